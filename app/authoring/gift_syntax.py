"""Reading GIFT text: question blocks, escapes, weights and the problems worth telling.

A GIFT file is a list of questions separated by blank lines; `//` lines are comments and
`$CATEGORY:` lines name a Moodle category. Inside a question `{ } = ~ # :` carry meaning only
when unescaped. As in Moodle, `\\~ \\= \\# \\{ \\} \\:` stand for the character, `\\n` for a line
break and `\\\\` for a backslash; any other backslash is text. Every helper here makes one pass
over its text (no pattern that can backtrack over the whole input), so the work grows with the
size of the file and nothing else.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

Severity = Literal["error", "warning"]
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_ESCAPES = {"n": "\n"}
_WEIGHT_RE = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")


@dataclass(frozen=True)
class GiftProblem:
    """Something about a GIFT file worth telling, at its line."""

    line: int
    #: a sentence for the trainer (lazy: worded in the reader's language when shown)
    message: str | LazyString
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.line}: {self.severity}: {self.message}"


class GiftSkip(Exception):
    """A question that cannot be converted; carries the error."""

    def __init__(self, line: int, message: str | LazyString) -> None:
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
            notes.append(GiftProblem(number, _l("category '%(category)s' ignored: the "
                                                "questions go into this quiz",
                                                category=stripped[10:].strip()), "warning"))
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
    while True:
        found = text.find(token, index)
        if found < 0:
            return -1
        escape = text.find("\\", index, found)
        if escape < 0:
            return found
        index = escape + 2  # past the escaped character: look again from there


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


def rfind_unescaped(text: str, token: str) -> int:
    """The offset of the last `token` in `text` outside backslash escapes, or -1 (as Moodle's
    strrpos: in `#####` the last `####` starts at 1)."""
    found, at = -1, find_unescaped(text, token)
    while at >= 0:  # `at` holds an unescaped character, so `at + 1` starts outside an escape
        found, at = at, find_unescaped(text, token, at + 1)
    return found


def unescape(text: str) -> str:
    r"""Moodle's GIFT escapes: `\~ \= \# \{ \} \:` and `\\` stand for the character, `\n` for
    a line break; a backslash before anything else stays."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def read_weight(text: str, line: int) -> tuple[Decimal | None, str]:
    """`%50%rest` -> (50, "rest"); no weight -> (None, text)."""
    match = _WEIGHT_RE.match(text)
    if not match:
        if text.lstrip().startswith("%"):
            raise GiftSkip(line, _l("the weight in '%(text)s' must be a percentage such as "
                                    "%%50%% or %%-100%%", text=text.strip()[:30]))
        return None, text
    weight = Decimal(match.group(1))
    if not -100 <= weight <= 100:
        raise GiftSkip(line, _l("the weight %(weight)s%% must be between -100%% and 100%%",
                                weight=weight))
    return weight, text[match.end():]
