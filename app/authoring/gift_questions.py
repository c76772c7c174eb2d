"""Reading one GIFT question as Moodle does: its name, text and answer block, into a `GiftQuestion`.

Moodle tells the type from the answer block (general feedback `####...` set aside): `{}` is an
essay, `{#...}` numeric, a block with `~` multiple choice, `=` with `->` matching, `T`, `F`,
`TRUE` or `FALSE` true/false, anything else short answer; text without a block is a description.
Text after the block makes a missing-word question (the block becomes a blank in the text).
Multiple choice is single choice when an answer is marked `=`, multiple response (checkboxes)
when none is. We convert multiple choice, true/false and numeric questions
(:mod:`app.authoring.gift_numeric`); the other types raise `GiftSkip` with the reason and line.
What our quizzes cannot keep (partial credit, penalties, feedback per answer, HTML they cannot
show) becomes a warning on the question.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.authoring.gift_numeric import read_numeric
from app.authoring.gift_syntax import (
    GiftBlock, GiftProblem, GiftSkip, find_unescaped, read_weight, rfind_unescaped, split_marked,
    unescape,
)
from app.authoring.gift_text import BLANK_MARK, Format, GiftText, convert_text
from app.courses.quiz_spec import QuestionKind

_TRUE_FALSE = {"t": True, "true": True, "f": False, "false": False}


@dataclass
class GiftAnswer:
    """One answer of a choice question (text and feedback as Markdown)."""

    marker: str
    weight: Decimal
    text: str
    feedback: str
    line: int


@dataclass
class GiftQuestion:
    """A GIFT question on its way to a `QuestionSpec` (texts as Markdown)."""

    line: int
    title: str
    stem: str = ""
    body: str = ""
    format: Format = "moodle"
    kind: QuestionKind = "single"
    options: list[tuple[str, bool]] = field(default_factory=list)
    answer: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    explanation: str = ""
    warnings: list[GiftProblem] = field(default_factory=list)
    dropped_html: set[str] = field(default_factory=set)

    def warn(self, message: str | LazyString, line: int | None = None) -> None:
        self.warnings.append(GiftProblem(line or self.line, message, "warning"))

    def text(self, raw: str) -> GiftText:
        """A part of the question (answer, feedback) in its own format, else the question's."""
        converted = convert_text(raw, self.format)
        self.dropped_html |= converted.dropped
        return converted


# --- one question -----------------------------------------------------------------------------


def read_question(block: GiftBlock) -> GiftQuestion:
    """Parse one question block, or raise `GiftSkip` with the reason."""
    text = block.text
    title, body_start = "", 0
    if text.lstrip().startswith("::"):
        opening = text.index("::")
        closing = find_unescaped(text, "::", opening + 2)
        if closing < 0:
            raise GiftSkip(block.first_line, _l("the question name is not closed: write "
                                                "::Name:: before the question text"))
        title, body_start = unescape(text[opening + 2:closing]).strip(), closing + 2
    opening = find_unescaped(text, "{", body_start)
    if opening < 0:
        raise GiftSkip(block.first_line, _l("a description (text without an answer block "
                                            "{...}) is not a question: not imported"))
    closing = find_unescaped(text, "}", opening + 1)
    if closing < 0:
        raise GiftSkip(block.line_at(opening), _l("the answer block is not closed: add } (a "
                                                  "blank line ends a question)"))
    after = text[closing + 1:]
    if find_unescaped(after, "{") >= 0:
        raise GiftSkip(block.line_at(closing + 1 + find_unescaped(after, "{")),
                       _l("several answer blocks in one question (embedded answers) are not "
                          "supported"))
    question = GiftQuestion(block.first_line, title)
    _read_text(question, text[body_start:opening], after)
    if not question.stem:
        raise GiftSkip(block.first_line, _l("the question has no text"))
    _read_answers(question, block, text[opening + 1:closing], opening + 1)
    if question.dropped_html:
        question.warn(_l("HTML the quiz cannot show was removed: %(tags)s (check the text)",
                         tags=", ".join(f"<{name}>" for name in sorted(question.dropped_html))))
    return question


def _read_text(question: GiftQuestion, before: str, after: str) -> None:
    """The question text: its first line is the heading, the rest the text under it; with text
    after the answers, the answers are a blank in the sentence (missing word)."""
    raw = before.replace(BLANK_MARK, "")
    if after.strip():
        raw = f"{raw.rstrip()} {BLANK_MARK} {after.replace(BLANK_MARK, '').lstrip()}"
    converted = question.text(raw)
    question.format = converted.format
    if converted.lines:
        question.stem = converted.lines[0]
        question.body = "\n".join(converted.lines[1:]).strip("\n")


def _read_answers(question: GiftQuestion, block: GiftBlock, answers: str, offset: int) -> None:
    """Classify the answer block as Moodle does and read it into the question."""
    feedback_at = rfind_unescaped(answers, "####")
    if feedback_at >= 0:
        question.explanation = question.text(answers[feedback_at + 4:]).block
        answers = answers[:feedback_at]
    content = answers.strip()
    line = question.line
    if not content:
        raise GiftSkip(line, _l("essay questions (an empty answer block {}) are not supported"))
    if content.startswith("#"):
        reading = read_numeric(block, answers, offset, lambda raw: question.text(raw).block)
        question.kind, question.answer = "numeric", reading.value
        question.tolerance = reading.tolerance
        for note_line, note in reading.notes:
            question.warn(note, note_line)
        _choose_explanation(question, reading.right_feedback, reading.other_feedback)
    elif find_unescaped(content, "~") >= 0:
        _read_choice(question, block, answers, offset)
    elif find_unescaped(content, "=") >= 0 and find_unescaped(content, "->") >= 0:
        raise GiftSkip(line, _l("matching questions (=item -> match) are not supported"))
    elif _head(content).lower() in _TRUE_FALSE:
        _read_true_false(question, content)
    else:
        raise GiftSkip(line, _l("short answer questions ({=answer}) are not supported: "
                                "learners would type free text"))


def _head(content: str) -> str:
    """The part of an answer block before its first unescaped `#`."""
    cut = find_unescaped(content, "#")
    return (content if cut < 0 else content[:cut]).strip()


def _read_true_false(question: GiftQuestion, content: str) -> None:
    """`{T}`, `{FALSE#feedback if wrong#feedback if right}` (Moodle's order)."""
    truth = _TRUE_FALSE[_head(content).lower()]
    wrong = right = ""
    first = find_unescaped(content, "#")
    if first >= 0:
        second = find_unescaped(content, "#", first + 1)
        wrong = question.text(content[first + 1:second if second >= 0 else len(content)]).block
        right = question.text(content[second + 1:]).block if second >= 0 else ""
    question.kind = "true_false"
    question.options = [("True", truth), ("False", not truth)]
    _choose_explanation(question, [right], [wrong])


def _parse_answers(question: GiftQuestion, block: GiftBlock, answers: str,
                   offset: int) -> list[GiftAnswer]:
    """The `=`/`~` answers of a block, with weights, feedback and lines."""
    marked = split_marked(answers, "=~")
    lead_end = marked[0][2] if marked else len(answers)
    parts = [(marker, text, at) for marker, text, at in marked]
    if answers[:lead_end].strip():  # Moodle reads it as one more answer, unmarked
        question.warn(_l("the text '%(text)s' before the first answer is read as a wrong "
                         "answer, as Moodle does: start each answer with = or ~",
                         text=answers[:lead_end].strip()[:30]), block.line_at(offset))
        parts.insert(0, ("~", answers[:lead_end], 0))
    parsed = []
    for marker, text, at in parts:
        line = block.line_at(offset + at)
        weight, text = read_weight(text, line)
        cut = find_unescaped(text, "#")
        answer_text, feedback = (text, "") if cut < 0 else (text[:cut], text[cut + 1:])
        if weight is None:
            weight = Decimal(100) if marker == "=" else Decimal(0)
        parsed.append(GiftAnswer(marker, weight, question.text(answer_text).inline,
                                 question.text(feedback).block if feedback.strip() else "", line))
    return parsed


def _read_choice(question: GiftQuestion, block: GiftBlock, answers: str, offset: int) -> None:
    """Single choice or multiple response: Moodle's checkboxes unless an answer is marked `=`."""
    options = _parse_answers(question, block, answers, offset)
    _check_options(question, options)
    right = [a for a in options if a.weight > 0]
    full = [a for a in right if a.weight == 100]
    moodle_single = any(a.marker == "=" for a in options)
    if moodle_single and (len(right) == 1 or len(full) == 1):
        keep = full[0] if full else right[0]
        _single_choice_notes(question, keep, right, options, moodle_single)
        question.options = [(a.text, a is keep) for a in options]
    else:
        _multiple_response_notes(question, right, full)
        question.kind = "multiple"
        question.options = [(a.text, a.weight > 0) for a in options]
    correct = [is_right for _, is_right in question.options]
    _choose_explanation(question, [a.feedback for a, ok in zip(options, correct) if ok],
                        [a.feedback for a, ok in zip(options, correct) if not ok])


def _check_options(question: GiftQuestion, options: list[GiftAnswer]) -> None:
    """At least two options, each with text, no two alike, at least one right."""
    if len(options) < 2:
        raise GiftSkip(question.line, _l("a choice question needs at least 2 answers"))
    seen: dict[str, int] = {}
    for answer in options:
        if not answer.text:
            raise GiftSkip(answer.line, _l("an answer has no text"))
        if answer.text.casefold() in seen:
            raise GiftSkip(answer.line, _l("the answer '%(answer)s' appears twice",
                                           answer=answer.text))
        seen[answer.text.casefold()] = answer.line
    if not any(a.weight > 0 for a in options):
        raise GiftSkip(question.line, _l("the question has no correct answer: mark one with = "
                                         "or give it a positive weight such as ~%50%"))


def _single_choice_notes(question: GiftQuestion, keep: GiftAnswer, right: list[GiftAnswer],
                         options: list[GiftAnswer], moodle_single: bool) -> None:
    """Warn about what a single-choice question cannot keep."""
    if keep.weight < 100:
        question.warn(_l("the only right answer '%(answer)s' carries %(weight)s%%: imported as "
                         "fully right", answer=keep.text, weight=keep.weight))
    for other in right:
        if other is not keep:
            question.warn(_l("partial credit for '%(answer)s' (%(weight)s%%) is dropped: it "
                             "becomes a wrong answer", answer=other.text, weight=other.weight),
                          other.line)
    if moodle_single and any(a.weight < 0 for a in options):
        question.warn(_l("negative weights (penalties) are dropped: a wrong answer scores 0"))


def _multiple_response_notes(question: GiftQuestion, right: list[GiftAnswer],
                             full: list[GiftAnswer]) -> None:
    """Warn where Moodle's weights and our multiple-response scoring differ."""
    if len(full) > 1:
        question.warn(_l("%(count)d answers are each worth 100%% (any one scores full marks in "
                         "Moodle): imported as 'select all that apply'", count=len(full)))
        return
    weights = sorted({a.weight for a in right})
    if len(weights) > 1:
        question.warn(_l("unequal weights (%(weights)s) become equal shares under partial "
                         "scoring", weights=", ".join(f"{w}%" for w in weights)))
    total = sum(a.weight for a in right)
    if abs(total - 100) > 1:
        question.warn(_l("the right answers' weights add up to %(total)s%%, not 100%%",
                         total=total))


def _choose_explanation(question: GiftQuestion, right: list[str], others: list[str]) -> None:
    """General feedback wins, else the right answer's feedback. Feedback written for other
    answers ("Completely wrong") would mislead the learners who answered right: reported."""
    if not question.explanation:
        question.explanation = next((text for text in right if text), "")
    dropped = [text for text in right + others if text and text != question.explanation]
    if dropped:
        question.warn(_l("%(count)d answer-specific feedback text(s) dropped: a quiz question "
                         "has one explanation", count=len(dropped)))
