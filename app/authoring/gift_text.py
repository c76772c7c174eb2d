"""The four GIFT text formats, read as Moodle reads them and written as our Markdown.

Moodle reads a leading `[html]`, `[moodle]`, `[plain]` or `[markdown]` on the question text, on
each answer and on each feedback; without one, the question text is `[moodle]` and every other
part takes the question text's format. Each becomes Markdown our quizzes render as Moodle shows
it (:mod:`app.authoring.gift_markdown` does the escaping and the HTML):

- `[moodle]`, Moodle's auto-format: text whose line breaks are kept and whose HTML tags Moodle
  honours (so they are converted as for `[html]`); everything else is escaped;
- `[html]`: emphasis kept as Markdown, block elements become line breaks, other tags dropped,
  entities decoded; line breaks in the source are spaces, as in a browser;
- `[plain]`: text, shown exactly as written (tags and entities included), escaped;
- `[markdown]`: kept as Markdown.

A format name Moodle does not know (`[note]`) stays part of the text, as in Moodle.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Literal

from app.authoring.gift_markdown import html_lines, plain_lines
from app.authoring.gift_syntax import unescape

Format = Literal["moodle", "html", "plain", "markdown"]

#: the blank of a missing-word question
BLANK = "_____"
#: stands for the blank until the text around it is converted (removed from the text itself)
BLANK_MARK = "\x00"

_FORMAT_RE = re.compile(r"\[(html|moodle|plain|markdown)\]", re.IGNORECASE)


@dataclass(frozen=True)
class GiftText:
    """A piece of GIFT text as Markdown lines, with the HTML elements that could not be kept."""

    format: Format
    lines: tuple[str, ...]
    dropped: frozenset[str] = frozenset()

    @property
    def inline(self) -> str:
        """On one line: an option, or a question's heading."""
        return " ".join(line for line in self.lines if line)

    @property
    def block(self) -> str:
        """As a Markdown block: a question's text under its heading, or an explanation."""
        return "\n".join(self.lines)


def split_format(raw: str, default: Format) -> tuple[Format, str]:
    """`[html]text` -> ("html", "text"); without a known marker, (default, text), stripped."""
    text = raw.strip()
    match = _FORMAT_RE.match(text)
    if match is None:
        return default, text
    return match.group(1).lower(), text[match.end():].strip()  # type: ignore[return-value]


def convert_text(raw: str, default: Format = "moodle") -> GiftText:
    """GIFT text (escapes not yet undone, a format marker perhaps first) as Markdown lines."""
    text_format, text = split_format(raw, default)
    text = unescape(text)
    dropped: set[str] = set()
    if text_format == "markdown":
        lines = _markdown_lines(text)
    elif text_format == "plain":
        lines = plain_lines(text)
    else:
        lines, dropped = html_lines(text, newlines=text_format == "moodle")
    return GiftText(text_format, _tidy(lines, text_format == "markdown"), frozenset(dropped))


def _markdown_lines(text: str) -> list[str]:
    """Markdown as written, the indentation the lines after the first share removed."""
    first, _, rest = text.partition("\n")
    return [first.rstrip(), *(line.rstrip() for line in textwrap.dedent(rest).split("\n"))] \
        if rest else [first.rstrip()]


def _tidy(lines: list[str], markdown: bool) -> tuple[str, ...]:
    """The blank put in; empty lines dropped (kept single between Markdown paragraphs)."""
    tidy: list[str] = []
    for line in lines:
        line = line.replace(BLANK_MARK, BLANK)
        if line == BLANK:  # alone on its line, `_____` would be a horizontal rule
            line = "\\" + BLANK
        if line or (markdown and tidy and tidy[-1]):
            tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return tuple(tidy)
