"""Rebuild the course's downloadable templates (PDF) from the HTML and CSS in this folder.

Run from the repository root:

    .venv/bin/python courses/okr-executive/.sources/templates/build.py

Each NAME.html here becomes courses/okr-executive/assets/templates/NAME.pdf (A4). Nothing is
fetched from the network: only files in this folder are read, and fonts come from the machine.
"""
from __future__ import annotations

import sys
from pathlib import Path

from urllib.parse import unquote, urlparse

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "assets" / "templates"
TEMPLATES = ("okr-worksheet", "check-in-agenda", "retrospective")
MAX_BYTES = 100_000


class LocalOnly(URLFetcher):
    """Fetch files from this folder only: no network, no stray files."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file" or not Path(unquote(parsed.path)).resolve().is_relative_to(HERE):
            raise FatalURLFetchingError(f"refusing {url}: templates may only use files in {HERE}")
        return super().fetch(url, headers)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in TEMPLATES:
        source = HERE / f"{name}.html"
        target = OUT / f"{name}.pdf"
        HTML(filename=str(source), base_url=str(HERE), url_fetcher=LocalOnly()).write_pdf(str(target))
        size = target.stat().st_size
        print(f"{target.relative_to(HERE.parent.parent.parent.parent)}: {size / 1000:.1f} kB")
        if size >= MAX_BYTES:
            print(f"  too large: keep each template under {MAX_BYTES / 1000:.0f} kB", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
