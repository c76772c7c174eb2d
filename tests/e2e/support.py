"""Journeys in a real browser: named steps with screenshots, accessibility audits, page errors."""
from __future__ import annotations

import json
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from playwright.sync_api import BrowserContext, ConsoleMessage, Frame, Page, Response

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "e2e"
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: axe impacts that fail a page; "moderate" and "minor" are reported by axe but not enforced here
BLOCKING_IMPACTS = ("serious", "critical")
#: every impact axe reports, for the pages of the experience journeys (0 violations of any kind)
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")
NODES_SHOWN = 5
#: the desktop and the phone the experience journeys are looked at on
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


class JourneyStepFailed(AssertionError):
    """A step did not reach what it expected; the message names the page and the expectation."""


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on one page."""

    page: str
    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[str, ...]

    def describe(self) -> str:
        lines = [f"  [{self.impact}] {self.rule}: {self.help} ({self.help_url})"]
        lines += [f"      {node}" for node in self.nodes[:NODES_SHOWN]]
        if len(self.nodes) > NODES_SHOWN:
            lines.append(f"      ... and {len(self.nodes) - NODES_SHOWN} more elements")
        return "\n".join(lines)


class AccessibilityAudit:
    """Runs axe-core in pages, under the page's own Content-Security-Policy."""

    def __init__(self, script: Path = AXE_SCRIPT, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> None:
        self.source = script.read_text(encoding="utf-8")
        self.impacts = impacts

    def strict(self) -> "AccessibilityAudit":
        """The same audit failing on violations of every impact."""
        audit = AccessibilityAudit.__new__(AccessibilityAudit)
        audit.source, audit.impacts = self.source, ALL_IMPACTS
        return audit

    def install(self, context: BrowserContext) -> None:
        """Load axe into every document of the context as it is created.

        Init scripts go through the DevTools protocol, so `script-src 'self'` does not block
        them and the pages keep their real CSP (which the journeys check for violations)."""
        context.add_init_script(self.source)

    def violations(self, page: Page) -> list[Violation]:
        """The serious and critical violations on the page as it is now."""
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        results = page.evaluate("async () => JSON.stringify(await window.axe.run(document, "
                                "{resultTypes: ['violations']}))")
        where = f"{_page_title(page)} <{page.url}>"
        return [
            Violation(page=where, rule=item["id"], impact=item["impact"], help=item["help"],
                      help_url=item["helpUrl"],
                      nodes=tuple(_node_summary(node) for node in item["nodes"]))
            for item in json.loads(results)["violations"] if item["impact"] in self.impacts
        ]


def _node_summary(node: dict) -> str:
    target = " ".join(str(part) for part in node.get("target", []))
    summary = " ".join(node.get("failureSummary", "").split())
    return f"{target}: {summary}" if summary else target


def _page_title(page: Page) -> str:
    try:
        return repr(page.title())
    except Exception:  # noqa: BLE001  (a page that is closing has no title; the URL still helps)
        return "(no title)"


def format_violations(violations: list[Violation]) -> str:
    """Violations grouped by page, one rule per line with the offending elements below."""
    by_page: dict[str, list[Violation]] = {}
    for violation in violations:
        by_page.setdefault(violation.page, []).append(violation)
    blocks = [f"{page}\n" + "\n".join(v.describe() for v in found)
              for page, found in by_page.items()]
    return f"{len(violations)} accessibility violations:\n" + "\n".join(blocks)


@dataclass
class PageWatch:
    """What happened in a page: documents opened, server errors, script errors, CSP refusals."""

    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._on_console)
        page.on("framenavigated", lambda frame: self._on_navigation(page, frame))

    def _on_navigation(self, page: Page, frame: Frame) -> None:
        if frame == page.main_frame and frame.url.startswith("http"):
            self.visited.append(document_url(frame.url))

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"server error {response.status} on {response.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP refused something: {message.text}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found

    def take_visited(self) -> list[str]:
        found, self.visited = self.visited, []
        return found


def document_url(url: str) -> str:
    """The URL of the document: a fragment only scrolls within it."""
    return url.split("#", 1)[0]


class Journey:
    """One user's way through the product, step by step, in one browser page.

    Every step ends with a screenshot and, the first time a page is seen, an axe audit; a step
    that fails raises JourneyStepFailed naming the step, the page and what was expected.
    """

    def __init__(self, name: str, page: Page, audit: AccessibilityAudit | None,
                 scratch: Path, *, phone: bool = False) -> None:
        self.name = name
        self.page = page
        self.audit = audit
        #: every step is also photographed (and audited) at phone width
        self.phone = phone
        #: clicks and key presses a person makes, counted by `click` and `press`
        self.clicks = 0
        #: files the journey works with (downloads), private to this run
        self.scratch = scratch
        #: screenshots and copies of downloads, for people to look at after the run
        self.folder = ARTIFACTS_DIR / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.watch = PageWatch()
        self.watch.attach(page)
        self.audited: set[str] = set()
        self.violations: list[Violation] = []
        self.number = 0

    @contextmanager
    def step(self, description: str, *, expect: str) -> Iterator[Page]:
        """Run a step; on failure say which step, on which page, and what was expected."""
        self.number += 1
        shot = self.folder / f"{self.number:02d}-{_slug(description)}.png"
        try:
            yield self.page
            problems = self.watch.take() + self._unaudited_pages()
            if problems:
                raise AssertionError("; ".join(problems))
        except Exception as error:
            failed_shot = shot.with_name(shot.stem + "-FAILED.png")
            self._screenshot(failed_shot, full_page=True)
            raise JourneyStepFailed(
                f"{self.name}, step {self.number} ({description}) on {_page_title(self.page)} "
                f"<{self.page.url}>: expected {expect}.\n"
                f"{type(error).__name__}: {error}\nScreenshot: {failed_shot}") from error
        self._screenshot(shot)
        first_visit = document_url(self.page.url) not in self.audited
        self.check_accessibility()
        if self.phone:
            self._at_phone_width(shot, audit=first_visit)

    def click(self, locator) -> None:
        """Click as the person does, counted for the journey's click count."""
        self.clicks += 1
        locator.click()

    def record_clicks(self, task: str) -> int:
        """Write the clicks counted since the last record under `task` (clicks.json in the
        journey's folder, for people comparing journeys) and start counting again."""
        counts_file = self.folder / "clicks.json"
        counts = json.loads(counts_file.read_text()) if counts_file.exists() else {}
        counts[task], self.clicks = self.clicks, 0
        counts_file.write_text(json.dumps(counts, indent=2) + "\n")
        return counts[task]

    def _at_phone_width(self, shot: Path, audit: bool) -> None:
        """The same page at 390x844: a screenshot beside the desktop one, and an axe audit the
        first time the page is seen."""
        desktop = self.page.viewport_size
        self.page.set_viewport_size(PHONE)
        try:
            self._screenshot(shot.with_name(shot.stem + "-phone.png"))
            if audit and self.audit is not None:
                self.violations += [
                    Violation(page=v.page + " at phone width", rule=v.rule, impact=v.impact,
                              help=v.help, help_url=v.help_url, nodes=v.nodes)
                    for v in self.audit.violations(self.page)]
        finally:
            self.page.set_viewport_size(desktop)

    def keep(self, path: Path) -> None:
        """Copy a file the journey produced next to its screenshots."""
        self.folder.mkdir(parents=True, exist_ok=True)  # another run may have cleared it
        shutil.copy2(path, self.folder / path.name)

    def check_accessibility(self) -> None:
        """Audit the current page once per journey (by URL)."""
        url = document_url(self.page.url)
        if self.audit is None or url in self.audited:
            return
        self.audited.add(url)
        self.violations += self.audit.violations(self.page)

    def _unaudited_pages(self) -> list[str]:
        """Pages the step opened and left again, so no audit saw them: each page a journey
        visits ends a step of its own."""
        if self.audit is None:
            self.watch.take_visited()
            return []
        current = document_url(self.page.url)
        passed = {url for url in self.watch.take_visited() if url != current} - self.audited
        return [f"the step passed through {url} without ending there (no accessibility audit); "
                "split the step" for url in sorted(passed)]

    def finish(self) -> None:
        """Fail when any page of the journey had accessibility violations (of the impacts its
        audit enforces)."""
        finish(self)

    def _screenshot(self, path: Path, full_page: bool = False) -> None:
        # The viewport shows what the step was about; a whole tall page costs seconds to capture.
        try:
            self.page.screenshot(path=str(path), full_page=full_page)
        except Exception:  # noqa: BLE001  (a screenshot must never hide the real failure)
            pass


def finish(*journeys: Journey) -> None:
    """Fail when any page of these journeys had accessibility violations."""
    reports = [f"{journey.name}: " + format_violations(journey.violations)
               for journey in journeys if journey.violations]
    if reports:
        raise AssertionError("\n".join(reports))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def visible_text(page: Page, selector: str = "main") -> str:
    """The text of part of the page, whitespace collapsed."""
    return " ".join(page.locator(selector).inner_text().split())
