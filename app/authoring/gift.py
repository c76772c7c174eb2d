"""Moodle GIFT question banks, turned into our quiz dialect.

Supported: multiple choice (`{=right ~wrong}`), multiple response (several answers with positive
weights, `{~%50%a ~%50%b ~%-100%c}`), true/false (`{T}`, `{FALSE}`), and numeric answers with a
tolerance (`{#3.14:0.01}`) or a range (`{#1..5}`). Every other GIFT question type (essay,
matching, short answer, descriptions, several answer blocks) is reported with its line, never
dropped in silence; so is anything our dialect cannot keep (partial credit on a single answer,
per-answer feedback). Errors mean a question was not converted; warnings mean it was, with the
simplification they describe.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from app.authoring.dialect import front_matter, question_markdown
from app.courses.frontmatter import is_slug
from app.quizzes.parser import DEFAULT_PASS_MARK, parse_quiz
from app.quizzes.spec import OptionSpec, QuestionKind, QuestionSpec

Severity = Literal["error", "warning"]
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = {"t": True, "true": True, "f": False, "false": False}
_ESCAPES = {"n": "\n"}
_BLANK = "_____"


@dataclass(frozen=True)
class GiftProblem:
    """Something about a GIFT file worth telling, at its line."""

    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class GiftConversion:
    """The result of converting a GIFT file."""

    markdown: str
    questions_markdown: str
    converted: int
    problems: tuple[GiftProblem, ...]

    @property
    def errors(self) -> tuple[GiftProblem, ...]:
        """Questions that were not converted, and syntax errors."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[GiftProblem, ...]:
        """Questions converted with a simplification."""
        return tuple(p for p in self.problems if p.severity == "warning")


class _Skip(Exception):
    """A question that cannot be converted; carries the error."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.problem = GiftProblem(line, message)


@dataclass
class _Block:
    """One question's source lines (between blank lines), comments removed."""

    lines: list[tuple[int, str]]

    @property
    def first_line(self) -> int:
        return self.lines[0][0]

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)

    def line_at(self, offset: int) -> int:
        """The file line of a character offset in `text`."""
        return self.first_line + self.text.count("\n", 0, max(offset, 0))


@dataclass
class _Answer:
    """One answer of a choice or numeric question."""

    marker: str
    weight: Decimal
    text: str
    feedback: str
    line: int


@dataclass
class _Question:
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


# --- splitting the file -----------------------------------------------------------------------


def _blocks(text: str) -> tuple[list[_Block], list[GiftProblem]]:
    """Questions are separated by blank lines; `//` lines are comments; categories are noted."""
    blocks: list[_Block] = []
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
            blocks.append(_Block(current))
            current = []
    if current:
        blocks.append(_Block(current))
    return blocks, notes


def _find(text: str, token: str, start: int = 0) -> int:
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


def _split(text: str, markers: str) -> list[tuple[str, str, int]]:
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


def _unescape(text: str) -> str:
    r"""GIFT escapes: `\~ \= \# \{ \} \: \\` stand for the character, `\n` for a line break."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text, flags=re.DOTALL)


def _clean(text: str, is_html: bool) -> str:
    """Unescaped text on one line (HTML tags removed when the question says [html])."""
    text = _unescape(text)
    if is_html:
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())


# --- one question -----------------------------------------------------------------------------


def _read_block(block: _Block) -> _Question:
    """Parse one question block, or raise `_Skip` with the reason."""
    text = block.text
    title, body_start = "", 0
    if text.lstrip().startswith("::"):
        opening = text.index("::")
        closing = _find(text, "::", opening + 2)
        if closing < 0:
            raise _Skip(block.first_line, "the question name is not closed: write ::Name:: "
                                          "before the question text")
        title, body_start = _unescape(text[opening + 2:closing]).strip(), closing + 2
    fmt = _FORMAT_RE.match(text[body_start:])
    is_html = bool(fmt and fmt.group(1).lower() == "html")
    if fmt:
        body_start += fmt.end()
    opening = _find(text, "{", body_start)
    if opening < 0:
        raise _Skip(block.first_line, "a description (text without an answer block {...}) is "
                                      "not a question: not imported")
    closing = _find(text, "}", opening + 1)
    if closing < 0:
        raise _Skip(block.line_at(opening), "the answer block is not closed: add } (a blank line "
                                            "ends a question)")
    after = text[closing + 1:]
    if _find(after, "{") >= 0:
        raise _Skip(block.line_at(closing + 1 + _find(after, "{")),
                    "several answer blocks in one question (embedded answers) are not supported")
    question = _Question(block.first_line, title, _stem(text[body_start:opening], after, is_html))
    if is_html:
        question.warn("HTML formatting was removed from the question text")
    if not question.stem:
        raise _Skip(block.first_line, "the question has no text")
    _read_answers(question, block, text[opening + 1:closing], opening + 1, is_html)
    return question


def _stem(before: str, after: str, is_html: bool) -> str:
    """The question text; with text after the answers, the answers fill a blank (missing word)."""
    text = _unescape(before) if not after.strip() else f"{_unescape(before).rstrip()} {_BLANK} " \
        f"{_unescape(after).lstrip()}"
    if is_html:
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    lines = [" ".join(part.split()) for part in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _read_answers(question: _Question, block: _Block, answers: str, offset: int,
                  is_html: bool) -> None:
    """Classify the answer block and read it into the question."""
    feedback_at = _find(answers, "####")
    if feedback_at >= 0:
        question.explanation = _clean(answers[feedback_at + 4:], is_html)
        answers = answers[:feedback_at]
    content = answers.strip()
    line = question.line
    if not content:
        raise _Skip(line, "essay questions (an empty answer block {}) are not supported")
    if content.startswith("#"):
        _read_numeric(question, block, answers, offset, is_html)
    elif _head(content).lower() in _TRUE_FALSE:
        _read_true_false(question, content, is_html)
    elif _find(content, "->") >= 0 and content.startswith("="):
        raise _Skip(line, "matching questions (=item -> match) are not supported")
    elif _find(content, "~") >= 0:
        _read_choice(question, block, answers, offset, is_html)
    elif content.startswith("="):
        raise _Skip(line, "short answer questions ({=answer}) are not supported: learners "
                          "would type free text")
    else:
        raise _Skip(line, f"cannot read the answers '{content[:40]}': start each answer with "
                          "= (right) or ~ (wrong), or use T/F or #number")


def _head(content: str) -> str:
    """The part of an answer block before its first unescaped `#`."""
    cut = _find(content, "#")
    return (content if cut < 0 else content[:cut]).strip()


def _read_true_false(question: _Question, content: str, is_html: bool) -> None:
    """`{T}`, `{FALSE#feedback if wrong#feedback if right}`."""
    truth = _TRUE_FALSE[_head(content).lower()]
    feedback = [_clean(part, is_html) for _, part, _ in _split(content, "#")]
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
            raise _Skip(line, f"the weight in '{text.strip()[:30]}' must be a percentage such as "
                              "%50% or %-100%")
        return None, text
    weight = Decimal(match.group(1))
    if not -100 <= weight <= 100:
        raise _Skip(line, f"the weight {weight}% must be between -100% and 100%")
    return weight, text[match.end():]


def _parse_answers(block: _Block, answers: str, offset: int, markers: str,
                   is_html: bool) -> list[_Answer]:
    """The `=`/`~` answers of a block, with weights, feedback and lines."""
    lead = answers[:next((o for _, _, o in _split(answers, markers)), len(answers))]
    if lead.strip():
        raise _Skip(block.line_at(offset), f"unexpected text '{lead.strip()[:30]}' before the "
                                           "first answer: start each answer with = or ~")
    parsed = []
    for marker, text, at in _split(answers, markers):
        line = block.line_at(offset + at)
        weight, text = _read_weight(text, line)
        cut = _find(text, "#")
        answer_text, feedback = (text, "") if cut < 0 else (text[:cut], text[cut + 1:])
        if weight is None:
            weight = Decimal(100) if marker == "=" else Decimal(0)
        parsed.append(_Answer(marker, weight, _clean(answer_text, is_html),
                              _clean(feedback, is_html), line))
    return parsed


def _read_choice(question: _Question, block: _Block, answers: str, offset: int,
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
    correct = [a.feedback for a in options if (a.text, True) in question.options]
    others = [a.feedback for a in options if a.feedback not in correct]
    _choose_explanation(question, correct + others)


def _check_options(question: _Question, options: list[_Answer]) -> None:
    """At least two options, each with text, no two alike, at least one right."""
    if len(options) < 2:
        raise _Skip(question.line, "a choice question needs at least 2 answers")
    seen: dict[str, int] = {}
    for answer in options:
        if not answer.text:
            raise _Skip(answer.line, "an answer has no text")
        if answer.text.casefold() in seen:
            raise _Skip(answer.line, f"the answer '{answer.text}' appears twice")
        seen[answer.text.casefold()] = answer.line
    if not any(a.weight > 0 for a in options):
        raise _Skip(question.line, "the question has no correct answer: mark one with = or give "
                                   "it a positive weight such as ~%50%")


def _single_choice_notes(question: _Question, keep: _Answer, right: list[_Answer],
                         options: list[_Answer]) -> None:
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


def _multiple_response_notes(question: _Question, right: list[_Answer],
                             full: list[_Answer]) -> None:
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


def _read_numeric(question: _Question, block: _Block, answers: str, offset: int,
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
        cut = _find(body, "#")
        text, feedback = (body, "") if cut < 0 else (body[:cut], body[cut + 1:])
        parsed = [_Answer("=", Decimal(100), _unescape(text).strip(), _clean(feedback, is_html),
                          block.line_at(offset + start))]
    full = [a for a in parsed if a.weight == 100]
    if not full:
        raise _Skip(question.line, "the numeric question has no answer worth 100%")
    if len(full) > 1:
        raise _Skip(full[1].line, "several fully right numeric answers: our quizzes accept one "
                                  "value with a tolerance, keep one of them")
    question.kind = "numeric"
    question.answer, question.tolerance = _numeric_value(full[0])
    for other in parsed:
        if other is not full[0]:
            question.warn(f"partial credit for '{other.text}' ({other.weight}%) is dropped")
    others = [a.feedback for a in parsed if a is not full[0]]
    _choose_explanation(question, [full[0].feedback] + others)


def _numeric_value(answer: _Answer) -> tuple[Decimal, Decimal]:
    """(value, tolerance) from `3.14:0.01`, `1..5` (midpoint, half-width) or `42`."""
    text = answer.text.strip()
    try:
        if ".." in text:
            low, high = (Decimal(part.strip()) for part in text.split("..", 1))
            if low > high:
                raise _Skip(answer.line, f"the range {text} runs backwards: write min..max")
            return (low + high) / 2, (high - low) / 2
        value, _, tolerance = text.partition(":")
        tolerance_value = Decimal(tolerance.strip()) if tolerance.strip() else Decimal(0)
        if tolerance_value < 0:
            raise _Skip(answer.line, f"the tolerance in {text} must be 0 or more")
        return Decimal(value.strip()), tolerance_value
    except (InvalidOperation, ValueError):
        raise _Skip(answer.line, f"'{text}' is not a number, a number:tolerance or a min..max "
                                 "range") from None


def _choose_explanation(question: _Question, candidates: list[str]) -> None:
    """General feedback wins, else the right answer's; other answer feedback is reported."""
    feedback = [text for text in candidates if text]
    if not question.explanation and feedback:
        question.explanation = feedback.pop(0)
    if feedback:
        question.warn(f"{len(feedback)} answer-specific feedback text(s) dropped: a quiz question "
                      "has one explanation")


# --- the whole file ---------------------------------------------------------------------------


def _question_id(question: _Question, number: int, taken: set[str]) -> str:
    """A slug from the question's name (else `question-N`), unique in the quiz."""
    base = re.sub(r"[^a-z0-9]+", "-", question.title.lower()).strip("-")[:60].strip("-")
    base = base if is_slug(base) else f"question-{number}"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _to_spec(question: _Question, question_id: str) -> QuestionSpec:
    """The `QuestionSpec` the dialect writer needs."""
    stem, _, body = question.stem.partition("\n")
    options = tuple(OptionSpec(chr(ord("a") + i) if i < 26 else f"o{i}", text, correct)
                    for i, (text, correct) in enumerate(question.options))
    return QuestionSpec(
        id=question_id, section_id=None, kind=question.kind, stem_md=stem, body_md=body,
        options=options, answer=float(question.answer) if question.answer is not None else None,
        tolerance=float(question.tolerance), explanation_md=question.explanation,
        line=question.line)


def convert_gift(text: str, *, title: str = "Imported questions",
                 existing_ids: set[str] | None = None) -> GiftConversion:
    """Convert a GIFT file; every question that cannot be converted is reported, never lost.

    :param existing_ids: question ids already used in the quiz the questions will join
    """
    blocks, problems = _blocks(text)
    questions: list[tuple[_Question, QuestionSpec]] = []
    taken = set(existing_ids or ())
    for number, block in enumerate(blocks, start=1):
        try:
            question = _read_block(block)
        except _Skip as skip:
            problems.append(skip.problem)
            continue
        problems += question.warnings
        questions.append((question, _to_spec(question, _question_id(question, number, taken))))
    questions = _drop_unparsable(questions, problems)
    return _conversion(title, [spec for _, spec in questions], problems)


def _drop_unparsable(questions: list[tuple[_Question, QuestionSpec]],
                     problems: list[GiftProblem]) -> list[tuple[_Question, QuestionSpec]]:
    """Check each converted question with the quiz parser itself; report any it refuses."""
    kept = []
    for question, spec in questions:
        text = front_matter({"title": "check"}) + "\n" + question_markdown(spec)
        _, found = parse_quiz(text, key="check")
        if found:
            problems.append(GiftProblem(question.line, f"not imported: {found[0].message}"))
        else:
            kept.append((question, spec))
    return kept


def _conversion(title: str, specs: list[QuestionSpec],
                problems: list[GiftProblem]) -> GiftConversion:
    """The quiz file around the converted questions."""
    questions = "\n".join(question_markdown(spec) for spec in specs)
    settings = {"title": title, "pass_mark": DEFAULT_PASS_MARK, "shuffle": True,
                "feedback": "after_submit",
                "scoring": "partial" if any(s.kind == "multiple" for s in specs) else None}
    markdown = front_matter(settings) + "\n" + questions if specs else ""
    ordered = tuple(sorted(problems, key=lambda p: (p.line, p.severity != "error")))
    return GiftConversion(markdown, questions, len(specs), ordered)
