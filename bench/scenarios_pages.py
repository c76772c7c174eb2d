"""Pages on a phone: the weight of every page of the main journeys (HTML, CSS and JavaScript as
sent), nothing render-blocking from another origin, static files hashed, cached and compressed;
then Lighthouse (performance and accessibility, its mobile defaults) on the home, lesson, quiz
attempt and verification pages, served by gunicorn."""
from __future__ import annotations

import gzip
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.servers import ROOT, gunicorn

PAGE_BUDGET = 100_000  # bytes transferred per page
SCORE_BUDGET = 95
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
LIGHTHOUSE_PAGES = ("home", "lesson", "quiz attempt", "verification page")


class _Links(html.parser.HTMLParser):
    """What a page loads before it can render: stylesheets and scripts."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.blocking_scripts: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.styles.append(attributes.get("href") or "")
        elif tag == "script" and attributes.get("src"):
            self.scripts.append(attributes["src"])
            if "defer" not in attributes and "async" not in attributes:
                self.blocking_scripts.append(attributes["src"])


def _foreign(url: str) -> bool:
    return url.startswith(("http:", "https:", "//"))


def weigh(client, path: str) -> dict:
    """The bytes a browser receives for the page and what it loads: the HTML as the app sends
    it, stylesheets and scripts as the app sends them to a client accepting gzip."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    links = _Links(page)
    weights = {"html": len(response.data), "css": 0, "js": 0}
    static, foreign = [], [url for url in links.styles + links.scripts if _foreign(url)]
    for kind, urls in (("css", links.styles), ("js", links.scripts)):
        for url in urls:
            if _foreign(url):
                continue
            asset = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert asset.status_code == 200, (url, asset.status_code)
            weights[kind] += len(asset.data)
            if kind == "css" and b"@import" in _plain(asset):
                foreign.append(f"{url} (@import)")
            static.append((url, asset.headers.get("Cache-Control", ""),
                           asset.headers.get("Content-Encoding", "")))
    return {**weights, "total": sum(weights.values()), "foreign": foreign, "static": static,
            "html_gzip": len(gzip.compress(response.data, 6))}


def _plain(response) -> bytes:
    data = response.data
    return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data


def lighthouse(url: str, cookie: str | None, workdir: Path) -> dict:
    """Lighthouse's performance and accessibility scores (0-100) and key metrics for one URL."""
    report = workdir / "report.json"
    command = ["node", str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}",
               "--only-categories=performance,accessibility", "--quiet",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu "
               "--disable-dev-shm-usage"]
    if cookie:
        headers = workdir / "headers.json"
        headers.write_text(json.dumps({"Cookie": f"session={cookie}"}))
        command.append(f"--extra-headers={headers}")
    for attempt in range(2):  # Chromium now and then fails to start on a loaded machine
        run = subprocess.run(command, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "CHROME_PATH": CHROME})
        if run.returncode == 0:
            break
    else:
        raise RuntimeError(f"Lighthouse failed on {url}: {run.stderr.strip()[-500:]}")
    result = json.loads(report.read_text())
    audits = result["audits"]
    return {
        "performance": round(result["categories"]["performance"]["score"] * 100),
        "accessibility": round(result["categories"]["accessibility"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "failed": [audit_id for audit_id in ("color-contrast", "render-blocking-resources",
                                             "uses-text-compression", "uses-long-cache-ttl")
                   if (audits.get(audit_id) or {}).get("score") not in (None, 1)],
    }


def lighthouse_available() -> str | None:
    """Why Lighthouse cannot run here, or None."""
    if not LIGHTHOUSE.exists():
        return "Lighthouse is not installed (npm ci)"
    if not shutil.which("node") or not Path(CHROME).exists():
        return f"node or Chromium ({CHROME}) is missing"
    return None


def pages(_seconds: float) -> dict:
    from bench.journey_pages import journey_pages
    from bench.scenarios_web import _release_database, app_env, prepare_instance

    with tempfile.TemporaryDirectory(prefix="okr-bench-pages-") as tmp:
        instance = Path(tmp)
        env = app_env(instance)
        prepared = prepare_instance(env)
        journey = journey_pages(prepared)
        weights = {name: weigh(client, path) for name, (client, path, _) in journey.items()}
        _release_database(prepared["app"])
        scores, missing = {}, lighthouse_available()
        if missing is None:
            with gunicorn("app:create_app()", env) as base:
                for name in LIGHTHOUSE_PAGES:
                    _, path, cookie = journey[name]
                    scores[name] = lighthouse(base + path, cookie, instance)
    heaviest = max(weights, key=lambda name: weights[name]["total"])
    foreign = sorted({url for weight in weights.values() for url in weight["foreign"]})
    static = {url: (cache, encoding) for weight in weights.values()
              for url, cache, encoding in weight["static"]}
    unhashed = sorted(url for url, (cache, _) in static.items() if "immutable" not in cache)
    lowest = min((min(s["performance"], s["accessibility"]) for s in scores.values()),
                 default=None)
    ok = weights[heaviest]["total"] <= PAGE_BUDGET and not foreign and not unhashed \
        and missing is None and lowest is not None and lowest >= SCORE_BUDGET
    return {
        "name": f"Page weight ({len(weights)} pages of the main journeys) and Lighthouse "
                "12.2.3 (mobile, simulated throttling)",
        "measured": _describe(weights, heaviest, foreign, static, unhashed, scores, missing),
        "baseline": f"{PAGE_BUDGET // 1000} KB per page; Lighthouse scores out of 100",
        "ratio": PAGE_BUDGET / weights[heaviest]["total"],
        "budget": f"heaviest page <= {PAGE_BUDGET // 1000} KB (ratio = budget / heaviest), no "
                  "render-blocking file from another origin, every static file hashed and "
                  f"cached for good; performance and accessibility >= {SCORE_BUDGET} "
                  f"on the {', '.join(LIGHTHOUSE_PAGES)}",
        "ok": ok,
    }


def _describe(weights, heaviest, foreign, static, unhashed, scores, missing) -> str:
    heavy = weights[heaviest]
    parts = [
        f"heaviest: {heaviest} {heavy['total'] / 1000:.1f} KB (HTML {heavy['html'] / 1000:.1f}, "
        f"CSS {heavy['css'] / 1000:.1f}, JS {heavy['js'] / 1000:.1f}); lightest "
        f"{min(w['total'] for w in weights.values()) / 1000:.1f} KB; HTML is sent uncompressed "
        f"(gzip would make the heaviest page's HTML {heavy['html_gzip'] / 1000:.1f} KB)",
        "per page (KB): " + ", ".join(f"{name} {weight['total'] / 1000:.1f}"
                                      for name, weight in weights.items()),
        f"render-blocking from another origin: {', '.join(foreign) or 'none'}",
        f"static files: {len(static)}, "
        + ("all hashed, cached for a year, gzip" if not unhashed and all(
            encoding == "gzip" for _, encoding in static.values())
           else "not hashed: " + ", ".join(unhashed) + "; not compressed: " + ", ".join(
               url for url, (_, encoding) in static.items() if encoding != "gzip")),
    ]
    if missing:
        parts.append(f"Lighthouse not run: {missing}")
    for name, score in scores.items():
        parts.append(f"{name}: performance {score['performance']}, accessibility "
                     f"{score['accessibility']} (FCP {score['fcp'] / 1000:.1f} s, LCP "
                     f"{score['lcp'] / 1000:.1f} s, TBT {score['tbt']:.0f} ms, CLS "
                     f"{score['cls']:.3f}"
                     + (f"; audits not passed: {', '.join(score['failed'])}" if score['failed']
                        else "") + ")")
    return "; ".join(parts)
