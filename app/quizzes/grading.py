"""Drawing, snapshotting and grading quiz attempts: pure functions, no clock, no database.

An attempt stores the snapshot `build_snapshot` returns (drawn questions, option order and the
key); pages show `public_view(snapshot)`; `grade(snapshot, answers)` scores the submission.
Every question weighs the same. Scores are percentages; pass marks are compared exactly
(before rounding), so 79.996 % never passes a pass mark of 80.
"""
from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from app.courses.quiz_spec import QuestionSpec, QuizSpec, parse_number

SNAPSHOT_VERSION = 1
_KEY_FIELDS = ("answer", "tolerance", "explanation_md")


@dataclass(frozen=True)
class QuestionResult:
    """How one question was answered: credit 0..1, what was given and what was expected."""

    question_id: str
    correct: bool
    credit: float
    given: Any
    expected: Any


@dataclass(frozen=True)
class SectionResult:
    """A section's score (percent of its drawn questions) and whether it met the section floor."""

    section_id: str
    title: str
    score: float
    passed: bool


@dataclass(frozen=True)
class GradeResult:
    """The outcome of an attempt."""

    score: float
    passed: bool
    per_question: tuple[QuestionResult, ...]
    per_section: tuple[SectionResult, ...]


def draw_questions(spec: QuizSpec, rng: random.Random) -> list[QuestionSpec]:
    """Draw an attempt's questions: per section when `draw` is a mapping, else a total (or all).

    Questions stay grouped by section in file order; with `shuffle` they are shuffled within
    their section and their options are shuffled too (true/false keeps True before False).
    """
    pool = list(spec.questions)
    if isinstance(spec.draw, dict):
        chosen: list[QuestionSpec] = []
        for section in spec.sections:
            members = [q for q in pool if q.section_id == section.id]
            chosen += rng.sample(members, min(spec.draw.get(section.id, 0), len(members)))
    elif spec.draw is not None and spec.draw < len(pool):
        chosen = rng.sample(pool, spec.draw)
    else:
        chosen = pool
    return _arrange(spec, chosen, rng)


def _arrange(spec: QuizSpec, chosen: list[QuestionSpec], rng: random.Random) -> list[QuestionSpec]:
    """Order drawn questions (and their options) for presentation."""
    section_rank = {section.id: rank for rank, section in enumerate(spec.sections)}
    if not spec.shuffle:
        file_rank = {question.id: rank for rank, question in enumerate(spec.questions)}
        return sorted(chosen, key=lambda q: file_rank[q.id])
    arranged = list(chosen)
    rng.shuffle(arranged)
    arranged = [replace(q, options=_shuffled_options(q, rng)) for q in arranged]
    # A stable sort regroups sections while keeping the shuffled order inside each one.
    return sorted(arranged, key=lambda q: section_rank.get(q.section_id or "", -1))


def _shuffled_options(question: QuestionSpec, rng: random.Random) -> tuple:
    """The question's options in a random order (true/false stays as written)."""
    if question.kind == "true_false":
        return question.options
    options = list(question.options)
    rng.shuffle(options)
    return tuple(options)


def build_snapshot(spec: QuizSpec, rng: random.Random) -> dict[str, Any]:
    """Everything grading needs, JSON-serialisable: settings, drawn questions, option order, key."""
    questions = draw_questions(spec, rng)
    drawn_sections = {q.section_id for q in questions}
    return {
        "version": SNAPSHOT_VERSION,
        "quiz_key": spec.key,
        "title": spec.title,
        "pass_mark": spec.pass_mark,
        "section_pass_mark": spec.section_pass_mark,
        "scoring": spec.scoring,
        "feedback": spec.feedback,
        "time_limit_minutes": spec.time_limit_minutes,
        "sections": [asdict(s) for s in spec.sections if s.id in drawn_sections],
        "questions": [_question_snapshot(q) for q in questions],
    }


def _question_snapshot(question: QuestionSpec) -> dict[str, Any]:
    """One drawn question as stored in the snapshot (with its key)."""
    data = asdict(question)
    del data["line"]
    data["options"] = list(data["options"])  # as JSON gives it back
    return data


def public_view(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot without the key: no correctness, answer, tolerance or explanation."""
    view = copy.deepcopy(dict(snapshot))
    for question in view["questions"]:
        for field_name in _KEY_FIELDS:
            question.pop(field_name, None)
        question["options"] = [{k: v for k, v in o.items() if k != "correct"}
                               for o in question["options"]]
    return view


def grade(snapshot: Mapping[str, Any], answers: Mapping[str, Any]) -> GradeResult:
    """Score `answers` (question id -> option id, list of option ids, or number) against the key.

    Unanswered or malformed answers earn no credit. Multiple response is all-or-nothing unless
    the quiz says `scoring: partial`, where credit = (correct options chosen - wrong options
    chosen) / number of correct options, floored at 0. Numeric answers accept a decimal comma
    and the tolerance is inclusive. Passed = score >= pass_mark and, when `section_pass_mark`
    is set, every section's score >= it.
    """
    graded = [_grade_question(q, answers.get(q["id"]), snapshot["scoring"])
              for q in snapshot["questions"]]
    credits = {result.question_id: credit for result, credit in graded}
    overall = _percent([credits[q["id"]] for q in snapshot["questions"]])
    sections = tuple(_section_result(snapshot, section, credits) for section in snapshot["sections"])
    passed = overall >= _exact(snapshot["pass_mark"]) and all(s.passed for s in sections)
    return GradeResult(
        score=_rounded(overall),
        passed=passed,
        per_question=tuple(result for result, _ in graded),
        per_section=sections,
    )


def result_to_dict(result: GradeResult) -> dict[str, Any]:
    """A grade result as plain JSON-serialisable data."""
    return asdict(result)


def _section_result(snapshot: Mapping[str, Any], section: Mapping[str, Any],
                    credits: Mapping[str, Fraction]) -> SectionResult:
    """Score one section over its drawn questions."""
    score = _percent([credits[q["id"]] for q in snapshot["questions"]
                      if q["section_id"] == section["id"]])
    floor = snapshot.get("section_pass_mark")
    passed = floor is None or score >= _exact(floor)
    return SectionResult(section["id"], section["title"], _rounded(score), passed)


def _grade_question(question: Mapping[str, Any], given: Any,
                    scoring: str) -> tuple[QuestionResult, Fraction]:
    """Credit for one question and its result."""
    kind = question["kind"]
    if kind == "numeric":
        expected: Any = question["answer"]
        shown, credit = _numeric_credit(question, given)
    else:
        key = [o["id"] for o in question["options"] if o["correct"]]
        if kind == "multiple":
            expected = sorted(key)
            shown, credit = _multiple_credit(key, given, scoring)
        else:
            expected = key[0]
            shown = given if isinstance(given, str) and given else None
            credit = Fraction(int(shown == expected))
    result = QuestionResult(question["id"], credit == 1, float(credit), shown, expected)
    return result, credit


def _multiple_credit(key: list[str], given: Any, scoring: str) -> tuple[list[str], Fraction]:
    """All-or-nothing, or partial: (right chosen - wrong chosen) / len(key), floored at 0."""
    chosen = sorted({g for g in _as_list(given) if isinstance(g, str)})
    right = len(set(chosen) & set(key))
    wrong = len(chosen) - right
    if scoring == "partial":
        return chosen, max(Fraction(0), Fraction(right - wrong, len(key)))
    return chosen, Fraction(int(right == len(key) and wrong == 0))


def _numeric_credit(question: Mapping[str, Any], given: Any) -> tuple[str | None, Fraction]:
    """Full credit when the number is within the tolerance (inclusive)."""
    if given is None or isinstance(given, (bool, list, dict)):
        return None, Fraction(0)
    text = str(given).strip()
    value = parse_number(text)
    if value is None:
        return (text or None), Fraction(0)
    distance = abs(value - _decimal(question["answer"]))
    return text, Fraction(int(distance <= _decimal(question["tolerance"])))


def _as_list(given: Any) -> list[Any]:
    """A multiple-response answer as a list (a lone option id counts as one choice)."""
    if isinstance(given, str):
        return [given] if given else []
    if isinstance(given, (list, tuple)):
        return list(given)
    return []


def _percent(credits: list[Fraction]) -> Fraction:
    """Exact percentage of the available credit."""
    return Fraction(100) * sum(credits, Fraction(0)) / len(credits) if credits else Fraction(0)


def _decimal(number: float | int) -> Decimal:
    """A float from the file as the decimal it was written as (0.01, not 0.01000000000000000021)."""
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _exact(number: float | int) -> Fraction:
    """A pass mark as an exact fraction."""
    return Fraction(_decimal(number))


def _rounded(percent: Fraction) -> float:
    """A percentage rounded to 2 decimals for storage and display."""
    return round(float(percent), 2)


def validate_answers(snapshot: Mapping[str, Any], answers: Any) -> list[str]:
    """Sentences describing forged or malformed answers; empty when the submission is well formed.

    Missing answers are fine (they are simply wrong); unknown questions or options, a list for a
    one-answer question, or a numeric answer that is not a number are not.
    """
    if not isinstance(answers, Mapping):
        return [_l("Answers must map question ids to the chosen option ids.")]
    questions = {q["id"]: q for q in snapshot["questions"]}
    errors: list[str] = []
    for question_id, given in answers.items():
        question = questions.get(question_id)
        if question is None:
            errors.append(_l("There is no question '%(question)s' in this attempt.",
                              question=question_id))
        elif given is not None and given != "":
            errors += _answer_errors(question, given)
    return errors


def _answer_errors(question: Mapping[str, Any], given: Any) -> list[str]:
    """What is wrong with one non-empty answer."""
    question_id = question["id"]
    if question["kind"] == "numeric":
        if isinstance(given, bool) or not isinstance(given, (str, int, float)) \
                or parse_number(str(given)) is None:
            return [_l("The answer to question '%(question)s' must be a number.",
                       question=question_id)]
        return []
    option_ids = {o["id"] for o in question["options"]}
    if question["kind"] != "multiple":
        if isinstance(given, (list, tuple)):
            return [_l("Question '%(question)s' takes one answer, not a list.",
                       question=question_id)]
        chosen = [given]
    else:
        chosen = _as_list(given) if isinstance(given, (str, list, tuple)) else [given]
    errors = []
    for option_id in chosen:
        if not isinstance(option_id, str) or option_id not in option_ids:
            errors.append(_l("'%(option)s' is not an option of question '%(question)s'.",
                              option=option_id, question=question_id))
    return errors
