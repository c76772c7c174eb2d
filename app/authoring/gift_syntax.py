"""Reading GIFT text: question blocks, escapes, markers and the problems worth telling.

A GIFT file is a list of questions separated by blank lines; `//` lines are comments and
`$CATEGORY:` lines name a Moodle category. Inside a question a backslash escapes the next
character, and `{ } = ~ # ::` carry meaning only when unescaped. Every helper here makes one
pass over its text (no pattern that can backtrack over the whole input), so the work grows with
the size of the file and nothing else.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n"}


@dataclass(frozen=True)
class GiftProblem:
    """Something about a GIFT file worth telling, at its line."""

    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.line}: {self.severity}: {self.message}"


class GiftSkip(Exception):
    """A question that cannot be converted; carries the error."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.problem = GiftProblem(line, message)


@dataclass
class GiftBlock:
    """One question's source lines (between blank lines), comments removed."""

    lines: list[tuple[int, str]]
    text: str = field(init=False)
    _line_starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.text = "\n".join(text for _, text in self.lines)
        starts, offset = [], 0
        for _, text in self.lines:
            starts.append(offset)
            offset += len(text) + 1
        self._line_starts = starts

    @property
    def first_line(self) -> int:
        return self.lines[0][0]

    def line_at(self, offset: int) -> int:
        """The file line of a character offset in `text`."""
        index = bisect_right(self._line_starts, max(offset, 0)) - 1
        return self.lines[max(index, 0)][0]


def split_blocks(text: str) -> tuple[list[GiftBlock], list[GiftProblem]]:
    """Questions are separated by blank lines; `//` lines are comments; categories are noted."""
    blocks: list[GiftBlock] = []
    notes: list[GiftProblem] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped.startswith("$CATEGORY:"):
            notes.append(GiftProblem(number, f"category '{stripped[10:].strip()}' ignored: the "
                                             "questions go into this quiz", "warning"))
            continue
        if stripped:
            current.append((number, line))
        elif current:
            blocks.append(GiftBlock(current))
            current = []
    if current:
        blocks.append(GiftBlock(current))
    return blocks, notes


def find_unescaped(text: str, token: str, start: int = 0) -> int:
    """The offset of `token` in `text` outside backslash escapes, or -1."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(token, index):
            return index
        index += 1
    return -1


def split_marked(text: str, markers: str) -> list[tuple[str, str, int]]:
    """(marker, text, offset) for each part of `text` that starts with one of `markers`."""
    parts: list[tuple[str, str, int]] = []
    index, start = 0, None
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in markers:
            if start is not None:
                parts.append((text[start], text[start + 1:index], start))
            start = index
        index += 1
    if start is not None:
        parts.append((text[start], text[start + 1:], start))
    return parts


def unescape(text: str) -> str:
    r"""GIFT escapes: `\~ \= \# \{ \} \: \\` stand for the character, `\n` for a line break."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def strip_tags(text: str) -> str:
    """HTML tags (`<` up to the next `>`, not empty) replaced by spaces, entities decoded."""
    pieces: list[str] = []
    kept = search = 0
    while (opening := text.find("<", search)) >= 0:
        closing = text.find(">", opening + 1)
        if closing < 0:  # no `>` further on: no later `<` starts a tag either
            break
        if closing == opening + 1:  # `<>` is not a tag
            search = closing
            continue
        pieces += (text[kept:opening], " ")
        kept = search = closing + 1
    pieces.append(text[kept:])
    return html.unescape("".join(pieces))


def clean_text(text: str, is_html: bool) -> str:
    """Unescaped text on one line (HTML tags removed when the question says [html])."""
    text = unescape(text)
    if is_html:
        text = strip_tags(text)
    return " ".join(text.split())
