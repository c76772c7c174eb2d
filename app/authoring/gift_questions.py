"""Reading one GIFT question: its name, text and answer block, into a `GiftQuestion`.

Supported: multiple choice (`{=right ~wrong}`), multiple response (several answers with positive
weights), true/false (`{T}`, `{FALSE}`), numeric answers with a tolerance (`{#3.14:0.01}`) or a
range (`{#1..5}`), and missing-word questions (text after the answer block). Anything else raises
`GiftSkip` with the reason and its line; what our quizzes cannot keep (partial credit on a
single answer, per-answer feedback) becomes a warning on the question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException

from app.authoring.gift_syntax import (
    GiftBlock, GiftProblem, GiftSkip, clean_text, find_unescaped, split_marked, strip_tags,
    unescape,
)
from app.courses.quiz_spec import QuestionKind

_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = {"t": True, "true": True, "f": False, "false": False}
_BLANK = "_____"


@dataclass
class GiftAnswer:
    """One answer of a choice or numeric question."""

    marker: str
    weight: Decimal
    text: str
    feedback: str
    line: int


@dataclass
class GiftQuestion:
    """A GIFT question on its way to a `QuestionSpec`."""

    line: int
    title: str
    stem: str
    kind: QuestionKind = "single"
    options: list[tuple[str, bool]] = field(default_factory=list)
    answer: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    explanation: str = ""
    warnings: list[GiftProblem] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(GiftProblem(self.line, message, "warning"))


# --- one question -----------------------------------------------------------------------------


def read_question(block: GiftBlock) -> GiftQuestion:
    """Parse one question block, or raise `GiftSkip` with the reason."""
    text = block.text
    title, body_start = "", 0
    if text.lstrip().startswith("::"):
        opening = text.index("::")
        closing = find_unescaped(text, "::", opening + 2)
        if closing < 0:
            raise GiftSkip(block.first_line, "the question name is not closed: write ::Name:: "
                                             "before the question text")
        title, body_start = unescape(text[opening + 2:closing]).strip(), closing + 2
    fmt = _FORMAT_RE.match(text[body_start:])
    is_html = bool(fmt and fmt.group(1).lower() == "html")
    if fmt:
        body_start += fmt.end()
    opening = find_unescaped(text, "{", body_start)
    if opening < 0:
        raise GiftSkip(block.first_line, "a description (text without an answer block {...}) "
                                         "is not a question: not imported")
    closing = find_unescaped(text, "}", opening + 1)
    if closing < 0:
        raise GiftSkip(block.line_at(opening), "the answer block is not closed: add } (a blank "
                                               "line ends a question)")
    after = text[closing + 1:]
    if find_unescaped(after, "{") >= 0:
        raise GiftSkip(block.line_at(closing + 1 + find_unescaped(after, "{")),
                       "several answer blocks in one question (embedded answers) are not "
                       "supported")
    question = GiftQuestion(block.first_line, title,
                            _stem(text[body_start:opening], after, is_html))
    if is_html:
        question.warn("HTML formatting was removed from the question text")
    if not question.stem:
        raise GiftSkip(block.first_line, "the question has no text")
    _read_answers(question, block, text[opening + 1:closing], opening + 1, is_html)
    return question


def _stem(before: str, after: str, is_html: bool) -> str:
    """The question text; with text after the answers, the answers fill a blank (missing word)."""
    text = unescape(before) if not after.strip() else f"{unescape(before).rstrip()} {_BLANK} " \
        f"{unescape(after).lstrip()}"
    if is_html:
        text = strip_tags(text)
    lines = [" ".join(part.split()) for part in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _read_answers(question: GiftQuestion, block: GiftBlock, answers: str, offset: int,
                  is_html: bool) -> None:
    """Classify the answer block and read it into the question."""
    feedback_at = find_unescaped(answers, "####")
    if feedback_at >= 0:
        question.explanation = clean_text(answers[feedback_at + 4:], is_html)
        answers = answers[:feedback_at]
    content = answers.strip()
    line = question.line
    if not content:
        raise GiftSkip(line, "essay questions (an empty answer block {}) are not supported")
    if content.startswith("#"):
        _read_numeric(question, block, answers, offset, is_html)
    elif _head(content).lower() in _TRUE_FALSE:
        _read_true_false(question, content, is_html)
    elif find_unescaped(content, "->") >= 0 and content.startswith("="):
        raise GiftSkip(line, "matching questions (=item -> match) are not supported")
    elif find_unescaped(content, "~") >= 0:
        _read_choice(question, block, answers, offset, is_html)
    elif content.startswith("="):
        raise GiftSkip(line, "short answer questions ({=answer}) are not supported: learners "
                             "would type free text")
    else:
        raise GiftSkip(line, f"cannot read the answers '{content[:40]}': start each answer "
                             "with = (right) or ~ (wrong), or use T/F or #number")


def _head(content: str) -> str:
    """The part of an answer block before its first unescaped `#`."""
    cut = find_unescaped(content, "#")
    return (content if cut < 0 else content[:cut]).strip()


def _read_true_false(question: GiftQuestion, content: str, is_html: bool) -> None:
    """`{T}`, `{FALSE#feedback if wrong#feedback if right}`."""
    truth = _TRUE_FALSE[_head(content).lower()]
    feedback = [clean_text(part, is_html) for _, part, _ in split_marked(content, "#")]
    wrong_feedback = feedback[0] if feedback else ""
    right_feedback = feedback[1] if len(feedback) > 1 else ""
    question.kind = "true_false"
    question.options = [("True", truth), ("False", not truth)]
    _choose_explanation(question, [right_feedback, wrong_feedback])


def _read_weight(text: str, line: int) -> tuple[Decimal | None, str]:
    """`%50%rest` -> (50, "rest"); no weight -> (None, text)."""
    match = _WEIGHT_RE.match(text)
    if not match:
        if text.lstrip().startswith("%"):
            raise GiftSkip(line, f"the weight in '{text.strip()[:30]}' must be a percentage "
                                 "such as %50% or %-100%")
        return None, text
    weight = Decimal(match.group(1))
    if not -100 <= weight <= 100:
        raise GiftSkip(line, f"the weight {weight}% must be between -100% and 100%")
    return weight, text[match.end():]


def _parse_answers(block: GiftBlock, answers: str, offset: int, markers: str,
                   is_html: bool) -> list[GiftAnswer]:
    """The `=`/`~` answers of a block, with weights, feedback and lines."""
    lead = answers[:next((o for _, _, o in split_marked(answers, markers)), len(answers))]
    if lead.strip():
        raise GiftSkip(block.line_at(offset), f"unexpected text '{lead.strip()[:30]}' before "
                                              "the first answer: start each answer with = or ~")
    parsed = []
    for marker, text, at in split_marked(answers, markers):
        line = block.line_at(offset + at)
        weight, text = _read_weight(text, line)
        cut = find_unescaped(text, "#")
        answer_text, feedback = (text, "") if cut < 0 else (text[:cut], text[cut + 1:])
        if weight is None:
            weight = Decimal(100) if marker == "=" else Decimal(0)
        parsed.append(GiftAnswer(marker, weight, clean_text(answer_text, is_html),
                                 clean_text(feedback, is_html), line))
    return parsed


def _read_choice(question: GiftQuestion, block: GiftBlock, answers: str, offset: int,
                 is_html: bool) -> None:
    """Multiple choice or multiple response, from the answers' markers and weights."""
    options = _parse_answers(block, answers, offset, "=~", is_html)
    _check_options(question, options)
    right = [a for a in options if a.weight > 0]
    full = [a for a in right if a.weight == 100]
    if len(full) == 1 or len(right) == 1:
        keep = full[0] if full else right[0]
        _single_choice_notes(question, keep, right, options)
        question.options = [(a.text, a is keep) for a in options]
    else:
        _multiple_response_notes(question, right, full)
        question.kind = "multiple"
        question.options = [(a.text, a.weight > 0) for a in options]
    correct = [a.feedback for a, (_, is_right) in zip(options, question.options) if is_right]
    kept = set(correct)
    others = [a.feedback for a in options if a.feedback not in kept]
    _choose_explanation(question, correct + others)


def _check_options(question: GiftQuestion, options: list[GiftAnswer]) -> None:
    """At least two options, each with text, no two alike, at least one right."""
    if len(options) < 2:
        raise GiftSkip(question.line, "a choice question needs at least 2 answers")
    seen: dict[str, int] = {}
    for answer in options:
        if not answer.text:
            raise GiftSkip(answer.line, "an answer has no text")
        if answer.text.casefold() in seen:
            raise GiftSkip(answer.line, f"the answer '{answer.text}' appears twice")
        seen[answer.text.casefold()] = answer.line
    if not any(a.weight > 0 for a in options):
        raise GiftSkip(question.line, "the question has no correct answer: mark one with = or "
                                      "give it a positive weight such as ~%50%")


def _single_choice_notes(question: GiftQuestion, keep: GiftAnswer, right: list[GiftAnswer],
                         options: list[GiftAnswer]) -> None:
    """Warn about what a single-choice question cannot keep."""
    if keep.weight < 100:
        question.warn(f"the only right answer '{keep.text}' carries {keep.weight}%: imported as "
                      "fully right")
    for other in right:
        if other is not keep:
            question.warn(f"partial credit for '{other.text}' ({other.weight}%) is dropped: it "
                          "becomes a wrong answer")
    if any(a.weight < 0 for a in options):
        question.warn("negative weights (penalties) are dropped: a wrong answer scores 0")


def _multiple_response_notes(question: GiftQuestion, right: list[GiftAnswer],
                             full: list[GiftAnswer]) -> None:
    """Warn where Moodle's weights and our multiple-response scoring differ."""
    if full:
        question.warn(f"{len(full)} answers are each worth 100% (any one scores full marks in "
                      "Moodle): imported as 'select all that apply'")
        return
    weights = sorted({a.weight for a in right})
    if len(weights) > 1:
        question.warn("unequal weights (" + ", ".join(f"{w}%" for w in weights) + ") become "
                      "equal shares under partial scoring")
    total = sum(a.weight for a in right)
    if abs(total - 100) > 1:
        question.warn(f"the right answers' weights add up to {total}%, not 100%")


def _read_numeric(question: GiftQuestion, block: GiftBlock, answers: str, offset: int,
                  is_html: bool) -> None:
    """`#value`, `#value:tolerance`, `#min..max`, or several `#=...` answers with weights."""
    start = answers.index("#") + 1
    body = answers[start:]
    if body.strip().startswith("="):
        parsed = _parse_answers(block, body, offset + start, "=~", is_html)
        wrong = [a for a in parsed if a.marker == "~"]
        parsed = [a for a in parsed if a.marker == "="]
        if wrong:
            question.warn("feedback for wrong numeric answers (~) is dropped")
    else:
        cut = find_unescaped(body, "#")
        text, feedback = (body, "") if cut < 0 else (body[:cut], body[cut + 1:])
        parsed = [GiftAnswer("=", Decimal(100), unescape(text).strip(),
                             clean_text(feedback, is_html), block.line_at(offset + start))]
    full = [a for a in parsed if a.weight == 100]
    if not full:
        raise GiftSkip(question.line, "the numeric question has no answer worth 100%")
    if len(full) > 1:
        raise GiftSkip(full[1].line, "several fully right numeric answers: our quizzes accept "
                                     "one value with a tolerance, keep one of them")
    question.kind = "numeric"
    question.answer, question.tolerance = _numeric_value(full[0])
    for other in parsed:
        if other is not full[0]:
            question.warn(f"partial credit for '{other.text}' ({other.weight}%) is dropped")
    others = [a.feedback for a in parsed if a is not full[0]]
    _choose_explanation(question, [full[0].feedback] + others)


def _numeric_value(answer: GiftAnswer) -> tuple[Decimal, Decimal]:
    """(value, tolerance) from `3.14:0.01`, `1..5` (midpoint, half-width) or `42`."""
    text = answer.text.strip()
    try:
        if ".." in text:
            low, high = (Decimal(part.strip()) for part in text.split("..", 1))
            if low > high:
                raise GiftSkip(answer.line, f"the range {text} runs backwards: write min..max")
            return (low + high) / 2, (high - low) / 2
        value, _, tolerance = text.partition(":")
        tolerance_value = Decimal(tolerance.strip()) if tolerance.strip() else Decimal(0)
        if tolerance_value < 0:
            raise GiftSkip(answer.line, f"the tolerance in {text} must be 0 or more")
        return Decimal(value.strip()), tolerance_value
    except (DecimalException, ValueError):
        raise GiftSkip(answer.line, f"'{text}' is not a number, a number:tolerance or a "
                                    "min..max range") from None


def _choose_explanation(question: GiftQuestion, candidates: list[str]) -> None:
    """General feedback wins, else the right answer's; other answer feedback is reported."""
    feedback = [text for text in candidates if text]
    if not question.explanation and feedback:
        question.explanation = feedback.pop(0)
    if feedback:
        question.warn(f"{len(feedback)} answer-specific feedback text(s) dropped: a quiz question "
                      "has one explanation")
