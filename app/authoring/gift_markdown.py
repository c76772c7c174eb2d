"""GIFT text made Markdown-safe: text escaped for our Markdown, and HTML turned into Markdown.

Quiz stems, options and explanations are rendered as Markdown, so text that is not Markdown is
escaped: `2*3*4` stays `2*3*4` instead of turning into emphasis, a line that starts with `-` or
`#` stays text instead of starting a list or a heading. HTML (Moodle's `[html]`, and the tags
Moodle honours in its auto-format) keeps its emphasis as Markdown (`<b>`, `<strong>` -> `**`,
`<i>`, `<em>` -> `*`), turns block elements and `<br>` into line breaks, decodes entities and
drops every other tag; what the quiz cannot show (images, links, tables...) is named so that it
can be reported. Everything here makes one pass over its text: a search that found nothing is
not repeated, and an emphasis is joined once, when it closes.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_INLINE_RE = re.compile(r"[\\`*\[~|_]|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
#: what opens a block at the start of a line: headings, quotes, lists, setext lines, and our
#: quiz dialect's `= value` answers; numbered lists only when a space or the end follows
_LINE_START_RE = re.compile(r"[#>+=-]|\d{1,9}[.)](?=\s|$)")

_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details",
    "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr",
    "ul",
})
#: tags whose removal loses nothing a learner needs (styling, or structure kept as spaces)
_QUIET = frozenset({
    "abbr", "acronym", "bdi", "bdo", "big", "body", "cite", "col", "colgroup", "dfn", "font",
    "html", "ins", "kbd", "label", "mark", "nobr", "q", "samp", "small", "span", "tbody", "td",
    "tfoot", "th", "thead", "time", "tt", "u", "var", "wbr",
})
#: tags whose removal is worth telling: their content is lost or shown without its meaning
_NOTED = frozenset({
    "a", "area", "audio", "base", "button", "canvas", "code", "del", "embed", "form", "head",
    "iframe", "img", "input", "link", "map", "math", "meta", "noscript", "object", "option",
    "picture", "s", "script", "select", "source", "strike", "style", "sub", "sup", "svg",
    "table", "template", "textarea", "title", "track", "video",
})
_KNOWN = frozenset(_EMPHASIS) | _BREAKS | _QUIET | _NOTED
#: elements whose content is not text for the reader
_SKIPPED = frozenset({"head", "script", "style", "template"})
_SPACED = frozenset({"td", "th"})
_NAME_END = " \t\n/>"


def escape_inline(text: str) -> str:
    """Text shown as it is by our Markdown: `\\`, backticks, `*`, `[`, `~`, `|`, `_` (unless
    inside a word), `<` before a letter and `&` before an entity name get a backslash."""
    def escape(match: re.Match[str]) -> str:
        char, at = match.group(), match.start()
        if char == "_" and 0 < at < len(text) - 1 and text[at - 1].isalnum() \
                and text[at + 1].isalnum():
            return char
        return "\\" + char
    return _INLINE_RE.sub(escape, text)


#: a tag's name: up to 12 ASCII letters and digits (longer is no tag we know)
_TAG_NAME = re.compile(r"[A-Za-z0-9]{0,12}")
_HTML_OR_BREAK = re.compile(r"[<&\n\r]")


def escape_line_start(line: str) -> str:
    """A line of escaped text that cannot start a block (heading, list, quote, rule, answer)."""
    match = _LINE_START_RE.match(line)
    if match is None:
        return line
    cut = match.end() - 1 if match.group()[0].isdigit() else 0
    return f"{line[:cut]}\\{line[cut:]}"


def plain_lines(text: str) -> list[str]:
    """Plain text as escaped Markdown lines (spaces collapsed, empty lines kept as "")."""
    return [escape_line_start(" ".join(escape_inline(line).split())) for line in text.split("\n")]


def html_lines(text: str, *, newlines: bool) -> tuple[list[str], set[str]]:
    """HTML as escaped Markdown lines, and the names of the elements the quiz cannot show.

    :param newlines: line breaks in the text are kept (Moodle's auto-format) rather than read
        as spaces (HTML)
    """
    if not _HTML_OR_BREAK.search(text):  # most options and feedback: nothing to interpret
        return plain_lines(text), set()
    writer = _Writer(newlines)
    scanner = _Scanner(text)
    position = 0
    while position < len(text):
        opening = text.find("<", position)
        if opening < 0:
            writer.text(text[position:])
            break
        writer.text(text[position:opening])
        tag = scanner.tag_at(opening)
        if tag is None:
            writer.text("<")
            position = opening + 1
            continue
        name, closing, position = tag
        if name in _SKIPPED and not closing:
            position = scanner.after_closing_tag(name, position)
        writer.tag(name, closing)
    return writer.finish()


class _Scanner:
    """Finds tags; remembers each search so that a search that found nothing is not repeated."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[str, tuple[int, int]] = {}

    def find(self, needle: str, start: int) -> int:
        """`text.find(needle, start)` (case-insensitive for `</name`), from memory when it can."""
        searched, found = self._found.get(needle, (len(self.text) + 1, -1))
        if searched <= start and (found < 0 or found >= start):
            return found
        if needle.startswith("</"):
            match = re.compile(re.escape(needle), re.IGNORECASE).search(self.text, start)
            found = match.start() if match else -1
        else:
            found = self.text.find(needle, start)
        self._found[needle] = (start, found)
        return found

    def tag_at(self, opening: int) -> tuple[str, bool, int] | None:
        """(name, is closing, offset after `>`) of the tag at `opening`, or None: it is text."""
        text, start = self.text, opening + 1
        if text.startswith("!--", start):
            end = self.find("-->", start + 3)
            return None if end < 0 else ("!--", False, end + 3)
        if text.startswith(("!", "?"), start):
            end = self.find(">", start)
            return None if end < 0 else ("!", False, end + 1)
        closing = text.startswith("/", start)
        start += closing
        end = _TAG_NAME.match(text, start).end()
        name = text[start:end].lower()
        if name not in _KNOWN or end >= len(text) or text[end] not in _NAME_END:
            return None
        after = self.find(">", end)
        return None if after < 0 else (name, closing, after + 1)

    def after_closing_tag(self, name: str, start: int) -> int:
        """The offset after `</name>` (the end of the text when it is never closed)."""
        closing = self.find(f"</{name}", start)
        if closing < 0:
            return len(self.text)
        after = self.find(">", closing)
        return len(self.text) if after < 0 else after + 1


@dataclass
class _Writer:
    """Markdown lines under construction: text waits in `raw` until a tag needs it escaped."""

    newlines: bool
    lines: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    # open emphasis: (marker, index of its placeholder in `pieces`); depth per marker
    open: list[tuple[str, int]] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=lambda: {"**": 0, "*": 0})
    dropped: set[str] = field(default_factory=set)

    def text(self, text: str) -> None:
        if text:
            self.raw.append(text)

    def tag(self, name: str, closing: bool) -> None:
        self._flush()
        if name in _EMPHASIS:
            self._emphasis(_EMPHASIS[name], closing)
        elif name in _BREAKS:
            self._end_line()
        elif name in _SPACED:
            self.pieces.append(" ")
        if name in _NOTED:
            self.dropped.add(name)

    def finish(self) -> tuple[list[str], set[str]]:
        self._flush()
        self._end_line()
        return [escape_line_start(line) for line in self.lines], self.dropped

    def _flush(self) -> None:
        """Decode and escape the waiting text (a kept line break ends the line)."""
        if not self.raw:
            return
        decoded = html.unescape("".join(self.raw))
        self.raw = []
        parts = decoded.split("\n") if self.newlines else [decoded]
        for index, part in enumerate(parts):
            if index:
                self._end_line()
            self.pieces.append(escape_inline(part))

    def _emphasis(self, marker: str, closing: bool) -> None:
        if not closing:
            self.depth[marker] += 1
            if self.depth[marker] == 1:
                self.open.append((marker, len(self.pieces)))
                self.pieces.append("")
            return
        if not self.depth[marker]:
            return
        self.depth[marker] -= 1
        while self.depth[marker] == 0 and self.open:  # closes what was opened inside it too
            inner, index = self.open.pop()
            self._close(inner, index)
            if inner == marker:
                break
            self.depth[inner] = 0

    def _close(self, marker: str, index: int) -> None:
        """Wrap what follows the placeholder; spaces stay outside the markers, empty is dropped."""
        content = "".join(self.pieces[index + 1:])
        del self.pieces[index + 1:]
        core = content.strip()
        if core:
            lead = content[:len(content) - len(content.lstrip())]
            trail = content[len(content.rstrip()):]
            content = f"{lead}{marker}{core}{marker}{trail}"
        self.pieces[index] = content

    def _end_line(self) -> None:
        """Close the open emphasis (it does not run across lines) and start a new line."""
        while self.open:
            self._close(*self.open.pop())
        self.depth = dict.fromkeys(self.depth, 0)
        self.lines.append(" ".join("".join(self.pieces).split()))
        self.pieces = []
