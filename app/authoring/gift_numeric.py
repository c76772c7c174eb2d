"""Reading a GIFT numeric answer block (`{#...}`) as Moodle does.

`{#3:2}` (3 plus or minus 2), `{#1..5}` (a range), `{#42}`, or several answers separated by `=`,
each with an optional weight and feedback: `{#=%100%3:0#exact =%50%3:1#close}`. Whatever follows
the first unescaped `~` is the feedback for any other answer (`{#3:2 ~#Completely wrong}`).
Our quizzes accept one value with a tolerance and give no partial credit: the fully right answers
are kept when together they form one range; answers worth less are dropped with a note at their
line.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.authoring.gift_syntax import (
    GiftBlock, GiftSkip, find_unescaped, read_weight, split_marked, unescape,
)
from app.authoring.gift_text import split_format
from app.courses.quiz_spec import parse_number

def _not_a_number(text: str) -> LazyString:
    return _l("'%(text)s' is not a number, a number:tolerance or a min..max range", text=text)


@dataclass(frozen=True)
class NumericAnswer:
    """One `=` answer: its weight, the range it accepts and its feedback."""

    weight: Decimal
    text: str
    low: Decimal
    high: Decimal
    feedback: str
    line: int


@dataclass
class NumericReading:
    """What a numeric question keeps, and what it had to drop."""

    value: Decimal
    tolerance: Decimal
    right_feedback: list[str]
    other_feedback: list[str]
    notes: list[tuple[int, str]] = field(default_factory=list)


def read_numeric(block: GiftBlock, answers: str, offset: int,
                 feedback: Callable[[str], str]) -> NumericReading:
    """Read an answer block that starts with `#`; `feedback` converts a feedback text.

    :raises GiftSkip: no answer, a value that is not a number, no fully right answer, or fully
        right answers that do not form one range
    """
    start = answers.index("#") + 1
    body = answers[start:]
    wrong_feedback = ""
    tilde = find_unescaped(body, "~")
    if tilde >= 0:  # Moodle: the rest is one answer for everything else; its text is ignored
        cut = find_unescaped(body, "#", tilde + 1)
        wrong_feedback = feedback(body[cut + 1:]) if cut >= 0 else ""
        body = body[:tilde]
    parsed = _answers(block, body, offset + start, feedback)
    full = [answer for answer in parsed if answer.weight == 100]
    if not full:
        raise GiftSkip(block.first_line, _l("the numeric question has no answer worth 100%"))
    value, tolerance = _one_range(full)
    reading = NumericReading(value, tolerance, [a.feedback for a in full],
                             [a.feedback for a in parsed if a.weight != 100] + [wrong_feedback])
    for answer in parsed:
        if 0 < answer.weight < 100:
            reading.notes.append((answer.line, _l("partial credit for '%(answer)s' "
                                                  "(%(weight)s%%) is dropped",
                                                  answer=answer.text, weight=answer.weight)))
    return reading


def _answers(block: GiftBlock, body: str, offset: int,
             feedback: Callable[[str], str]) -> list[NumericAnswer]:
    """Every answer of the block: the text before the first `=` is one too, as in Moodle."""
    marked = split_marked(body, "=")
    lead_end = marked[0][2] if marked else len(body)
    parts = [(body[:lead_end], 0)] if body[:lead_end].strip() else []
    parts += [(text, at) for _, text, at in marked]
    if not parts:
        raise GiftSkip(block.line_at(offset), _l("the numeric question has no answer: write "
                                                 "{#42}, {#3.14:0.01} or {#1..5}"))
    parsed = []
    for text, at in parts:
        line = block.line_at(offset + at)
        weight, text = read_weight(text, line)
        cut = find_unescaped(text, "#")
        number, note = (text, "") if cut < 0 else (text[:cut], text[cut + 1:])
        number = unescape(split_format(number, "plain")[1]).strip()
        low, high = _range(number, line)
        parsed.append(NumericAnswer(Decimal(100) if weight is None else weight, number, low,
                                    high, feedback(note) if note.strip() else "", line))
    return parsed


def _range(text: str, line: int) -> tuple[Decimal, Decimal]:
    """(low, high) from `3.14:0.01`, `1..5` or `42`."""
    try:
        if text.find("..") > 0:
            low_text, _, high_text = text.partition("..")
            low, high = _number(low_text, text, line), _number(high_text, text, line)
            if low > high:
                raise GiftSkip(line, _l("the range %(text)s runs backwards: write min..max",
                                        text=text))
            _check_size(((low + high) / 2, (high - low) / 2), text, line)
            return low, high
        value_text, colon, tolerance_text = text.partition(":")
        value = _number(value_text, text, line)
        tolerance = _number(tolerance_text, text, line) if colon else Decimal(0)
        if tolerance < 0:
            raise GiftSkip(line, _l("the tolerance in %(text)s must be 0 or more", text=text))
        _check_size((value, tolerance, value - tolerance, value + tolerance), text, line)
        return value - tolerance, value + tolerance
    except DecimalException:
        raise GiftSkip(line, _not_a_number(text)) from None


def _number(text: str, answer: str, line: int) -> Decimal:
    number = parse_number(text)
    if number is None:
        raise GiftSkip(line, _not_a_number(answer))
    return number


def _check_size(numbers: tuple[Decimal, ...], text: str, line: int) -> None:
    """Our quizzes keep numbers as floats: refuse what a float cannot hold."""
    if not all(math.isfinite(float(number)) for number in numbers):
        raise GiftSkip(line, _not_a_number(text))


def _one_range(full: list[NumericAnswer]) -> tuple[Decimal, Decimal]:
    """(value, tolerance) covering the fully right answers, which must overlap or touch."""
    if len(full) == 1:
        answer = full[0]
        return (answer.low + answer.high) / 2, (answer.high - answer.low) / 2
    spans = sorted(full, key=lambda answer: answer.low)
    low, high = spans[0].low, spans[0].high
    for answer in spans[1:]:
        if answer.low > high:
            raise GiftSkip(max(spans[0].line, answer.line),
                           _l("the fully right numeric answers '%(first)s' and '%(second)s' "
                              "do not overlap: our quizzes accept one value with a tolerance, "
                              "keep one of them", first=spans[0].text, second=answer.text))
        high = max(high, answer.high)
    return (low + high) / 2, (high - low) / 2
