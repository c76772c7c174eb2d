"""Is a page neutral? Whatever in an HTML document could run script: script elements that are
not ours, event handler attributes, script URLs, frames, <base> and refresh redirects."""
from __future__ import annotations

import re
from html.parser import HTMLParser

SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}


class _ActiveContent(HTMLParser):
    """Collects whatever in a document could run: scripts, handlers, script URLs, frames."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.found.append(f"<script {attributes}>")
        if tag in ("iframe", "object", "embed", "frame", "base"):
            self.found.append(f"<{tag}>")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value and SCRIPT_URL.match(value) \
                    and not value.startswith("data:image/"):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def active_content(html: str) -> list[str]:
    """Everything in the HTML that could run script; empty for a neutral page."""
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


def assert_neutral(response, *payload_markers: str) -> str:
    """The page rendered, runs nothing it was sent, and shows each marker as text."""
    html = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.request.path}: {response.status_code}"
    found = active_content(html)
    assert not found, f"{response.request.path} carries active content: {found}"
    for marker in payload_markers:
        assert marker in html, f"{response.request.path} does not show {marker!r} as text"
    return html
