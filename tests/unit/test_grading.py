"""Drawing, snapshots and grading: examples plus property tests."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.grading import (
    GradeResult,
    build_snapshot,
    draw_questions,
    grade,
    public_view,
    result_to_dict,
    validate_answers,
)
from app.courses.quiz_parser import QuizSpec, parse_quiz

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "courses" / "example-course"


def _quiz(text: str, key: str = "quiz") -> QuizSpec:
    spec, problems = parse_quiz(text, key=key)
    assert problems == []
    assert spec is not None
    return spec


def _example(name: str, key: str) -> QuizSpec:
    return _quiz((EXAMPLE / name).read_text(encoding="utf-8"), key)


MODULE_QUIZ = _example("01-foundations/quiz.md", "foundations")
FINAL_EXAM = _example("final-exam.md", "final-exam")


def key_answers(snapshot: dict) -> dict:
    """The answers that earn full marks."""
    answers: dict = {}
    for question in snapshot["questions"]:
        correct = [o["id"] for o in question["options"] if o["correct"]]
        if question["kind"] == "numeric":
            answers[question["id"]] = str(question["answer"])
        elif question["kind"] == "multiple":
            answers[question["id"]] = correct
        else:
            answers[question["id"]] = correct[0]
    return answers


def _question(snapshot: dict, question_id: str) -> dict:
    return next(q for q in snapshot["questions"] if q["id"] == question_id)


def _no_shuffle(spec: QuizSpec) -> dict:
    return build_snapshot(spec, random.Random(0))


# --- drawing -------------------------------------------------------------------------------


def test_stratified_draw_takes_the_per_section_counts() -> None:
    drawn = draw_questions(FINAL_EXAM, random.Random(3))
    sections = [q.section_id for q in drawn]
    assert sections.count("foundations") == 2
    assert sections.count("key-results") == 1
    assert sections == sorted(sections, key=["foundations", "key-results"].index)


def test_total_draw_takes_that_many_distinct_questions() -> None:
    spec = _quiz(QUIZ_WITH_FIVE.replace("shuffle: false", "shuffle: false\ndraw: 3"))
    drawn = draw_questions(spec, random.Random(1))
    assert len(drawn) == len({q.id for q in drawn}) == 3


def test_without_shuffle_questions_and_options_keep_file_order() -> None:
    spec = _quiz(QUIZ_WITH_FIVE)
    drawn = draw_questions(spec, random.Random(9))
    assert [q.id for q in drawn] == [q.id for q in spec.questions]
    assert all(q.options == original.options for q, original in zip(drawn, spec.questions))


def test_true_false_options_are_never_reordered() -> None:
    for seed in range(20):
        drawn = draw_questions(MODULE_QUIZ, random.Random(seed))
        true_false = next(q for q in drawn if q.kind == "true_false")
        assert [o.text_md for o in true_false.options] == ["True", "False"]


def test_shuffle_changes_question_order_for_some_seed() -> None:
    orders = {tuple(q.id for q in draw_questions(MODULE_QUIZ, random.Random(s))) for s in range(30)}
    assert len(orders) > 1


# --- snapshot and public view ----------------------------------------------------------------


def test_snapshot_is_json_serialisable_and_carries_the_key() -> None:
    snapshot = build_snapshot(MODULE_QUIZ, random.Random(5))
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["pass_mark"] == 75 and snapshot["scoring"] == "partial"
    numeric = _question(snapshot, "score-linear")
    assert numeric["answer"] == 0.75 and numeric["tolerance"] == 0.01
    assert any(o["correct"] for o in _question(snapshot, "objective-definition")["options"])


def test_public_view_hides_every_part_of_the_key() -> None:
    snapshot = build_snapshot(FINAL_EXAM, random.Random(2))
    view = public_view(snapshot)
    text = json.dumps(view)
    for secret in ('"correct"', '"answer"', '"tolerance"', '"explanation_md"'):
        assert secret not in text
    assert [q["id"] for q in view["questions"]] == [q["id"] for q in snapshot["questions"]]
    assert "correct" in snapshot["questions"][0]["options"][0] or snapshot["questions"][0]["kind"] == "numeric"


def test_public_view_leaves_the_snapshot_untouched() -> None:
    snapshot = build_snapshot(MODULE_QUIZ, random.Random(1))
    before = json.dumps(snapshot, sort_keys=True)
    public_view(snapshot)
    assert json.dumps(snapshot, sort_keys=True) == before


# --- grading ---------------------------------------------------------------------------------


def test_the_key_scores_full_marks() -> None:
    snapshot = build_snapshot(MODULE_QUIZ, random.Random(4))
    result = grade(snapshot, key_answers(snapshot))
    assert result.score == 100.0 and result.passed
    assert all(q.correct and q.credit == 1.0 for q in result.per_question)


def test_no_answers_score_zero() -> None:
    result = grade(build_snapshot(MODULE_QUIZ, random.Random(4)), {})
    assert result.score == 0.0 and not result.passed
    assert all(q.given is None or q.given == [] for q in result.per_question)


def test_numeric_accepts_decimal_comma_and_inclusive_tolerance() -> None:
    snapshot = _no_shuffle(MODULE_QUIZ)
    for given, correct in [("0,75", True), ("0.76", True), ("0.74", True), (0.76, True),
                           ("0.7601", False), ("abc", False), ("", False), (True, False)]:
        result = grade(snapshot, {"score-linear": given})
        outcome = next(r for r in result.per_question if r.question_id == "score-linear")
        assert outcome.correct is correct, given
        assert outcome.expected == 0.75


PARTIAL_CASES = [
    (["a", "b"], 1.0),
    (["a"], 0.5),
    (["a", "c"], 0.0),
    (["a", "b", "c"], 0.5),
    (["c"], 0.0),
    ([], 0.0),
]


@pytest.mark.parametrize(("chosen", "credit"), PARTIAL_CASES)
def test_partial_credit_is_right_minus_wrong_over_key_size(chosen: list[str], credit: float) -> None:
    snapshot = _no_shuffle(MODULE_QUIZ)
    result = grade(snapshot, {"outcome-krs": chosen})
    outcome = next(r for r in result.per_question if r.question_id == "outcome-krs")
    assert outcome.credit == credit
    assert outcome.correct is (credit == 1.0)


def test_all_or_nothing_gives_no_credit_for_a_partly_right_choice() -> None:
    spec = _quiz(QUIZ_WITH_FIVE)
    snapshot = _no_shuffle(spec)
    result = grade(snapshot, {"many": ["a"]})
    assert next(r for r in result.per_question if r.question_id == "many").credit == 0.0
    assert grade(snapshot, {"many": ["a", "b"]}).per_question[1].credit == 1.0


def test_pass_mark_is_compared_exactly() -> None:
    spec = _quiz(QUIZ_WITH_FIVE.replace("pass_mark: 80", "pass_mark: 60"))
    snapshot = _no_shuffle(spec)
    answers = key_answers(snapshot)
    answers.pop("one")
    answers.pop("many")
    result = grade(snapshot, answers)
    assert result.score == 60.0 and result.passed
    answers.pop("tf")
    assert not grade(snapshot, answers).passed


def test_score_is_rounded_to_two_decimals() -> None:
    spec = _quiz(QUIZ_WITH_FIVE.replace("pass_mark: 80", "pass_mark: 66.67"))
    snapshot = _no_shuffle(spec)
    answers = {"one": "b", "many": ["a", "b"]}
    three = grade({**snapshot, "questions": snapshot["questions"][:3]}, answers)
    assert three.score == 66.67
    assert not three.passed  # 66.666... is below 66.67


def test_section_floor_can_fail_a_passing_score() -> None:
    snapshot = build_snapshot(FINAL_EXAM, random.Random(8))
    answers = key_answers(snapshot)
    key_results = [q["id"] for q in snapshot["questions"] if q["section_id"] == "key-results"]
    for question_id in key_results:
        answers[question_id] = [] if isinstance(answers[question_id], list) else "zz"
    result = grade(snapshot, answers)
    assert result.score == pytest.approx(66.67)
    sections = {s.section_id: s for s in result.per_section}
    assert sections["foundations"].passed and sections["foundations"].score == 100.0
    assert not sections["key-results"].passed and sections["key-results"].score == 0.0
    assert sections["key-results"].title == "Key results"
    assert not result.passed


def test_result_to_dict_is_json_serialisable() -> None:
    snapshot = build_snapshot(FINAL_EXAM, random.Random(8))
    data = result_to_dict(grade(snapshot, key_answers(snapshot)))
    assert json.loads(json.dumps(data))["score"] == 100.0
    assert {"question_id", "correct", "credit", "given", "expected"} <= data["per_question"][0].keys()


# --- forged input ----------------------------------------------------------------------------


def test_validate_answers_accepts_well_formed_and_missing_answers() -> None:
    snapshot = _no_shuffle(MODULE_QUIZ)
    assert validate_answers(snapshot, key_answers(snapshot)) == []
    assert validate_answers(snapshot, {}) == []
    assert validate_answers(snapshot, {"objective-definition": "", "score-linear": None}) == []
    assert validate_answers(snapshot, {"outcome-krs": "a", "score-linear": "0,5"}) == []


@pytest.mark.parametrize(("answers", "message"), [
    ({"made-up": "a"}, "There is no question 'made-up' in this attempt."),
    ({"objective-definition": "z"}, "'z' is not an option of question 'objective-definition'."),
    ({"objective-definition": ["a"]}, "Question 'objective-definition' takes one answer, not a list."),
    ({"okr-pay-link": ["a", "b"]}, "Question 'okr-pay-link' takes one answer, not a list."),
    ({"objective-definition": 3}, "'3' is not an option of question 'objective-definition'."),
    ({"outcome-krs": ["a", "q"]}, "'q' is not an option of question 'outcome-krs'."),
    ({"outcome-krs": {"a": 1}}, "'{'a': 1}' is not an option of question 'outcome-krs'."),
    ({"score-linear": "seventy"}, "The answer to question 'score-linear' must be a number."),
    ({"score-linear": ["0.75"]}, "The answer to question 'score-linear' must be a number."),
    ({"score-linear": True}, "The answer to question 'score-linear' must be a number."),
])
def test_validate_answers_describes_forged_input(answers: dict, message: str) -> None:
    assert validate_answers(_no_shuffle(MODULE_QUIZ), answers) == [message]


def test_validate_answers_rejects_a_non_mapping() -> None:
    assert validate_answers(_no_shuffle(MODULE_QUIZ), ["a"]) == [
        "Answers must map question ids to the chosen option ids."
    ]


def test_grade_survives_forged_answers() -> None:
    snapshot = _no_shuffle(MODULE_QUIZ)
    forged = {"objective-definition": ["b"], "outcome-krs": 7, "score-linear": {"x": 1}, "zz": "a"}
    result = grade(snapshot, forged)
    assert result.score == 0.0


# --- properties ------------------------------------------------------------------------------

QUIZ_WITH_FIVE = """---
title: Five
pass_mark: 80
shuffle: false
---

## One {#one}
- [ ] Alpha
- [x] Beta
- [ ] Gamma

## Many {#many}
- [x] Alpha
- [x] Beta
- [ ] Gamma
- [ ] Delta

## TF {#tf}
- [x] True
- [ ] False

## Number {#number}
= 12.5 ± 0.5

## Another {#another}
- [ ] Alpha
- [x] Beta
"""

seeds = st.integers(min_value=0, max_value=2**32 - 1)
specs = st.sampled_from([MODULE_QUIZ, FINAL_EXAM])


def _random_answer(question: dict, draw: st.DrawFn) -> object:
    ids = [o["id"] for o in question["options"]]
    if question["kind"] == "numeric":
        return draw(st.one_of(st.none(), st.text(max_size=6),
                              st.floats(allow_nan=True, allow_infinity=True), st.integers()))
    if question["kind"] == "multiple":
        return draw(st.lists(st.sampled_from(ids + ["zz"]), max_size=6))
    return draw(st.one_of(st.none(), st.sampled_from(ids + ["zz"])))


@st.composite
def attempts(draw: st.DrawFn) -> tuple[dict, dict]:
    snapshot = build_snapshot(draw(specs), random.Random(draw(seeds)))
    answers = {q["id"]: _random_answer(q, draw) for q in snapshot["questions"]}
    return snapshot, answers


@settings(max_examples=200, deadline=None, database=None)
@given(attempts())
def test_score_is_always_between_0_and_100(attempt: tuple[dict, dict]) -> None:
    snapshot, answers = attempt
    result = grade(snapshot, answers)
    assert isinstance(result, GradeResult)
    assert 0.0 <= result.score <= 100.0
    assert all(0.0 <= q.credit <= 1.0 for q in result.per_question)
    assert all(0.0 <= s.score <= 100.0 for s in result.per_section)


@settings(max_examples=100, deadline=None, database=None)
@given(specs, seeds)
def test_the_key_always_scores_100(spec: QuizSpec, seed: int) -> None:
    snapshot = build_snapshot(spec, random.Random(seed))
    result = grade(snapshot, key_answers(snapshot))
    assert result.score == 100.0 and result.passed


@settings(max_examples=100, deadline=None, database=None)
@given(specs, seeds, st.data())
def test_changing_a_correct_single_answer_scores_less(spec: QuizSpec, seed: int,
                                                      data: st.DataObject) -> None:
    snapshot = build_snapshot(spec, random.Random(seed))
    answers = key_answers(snapshot)
    singles = [q for q in snapshot["questions"] if q["kind"] in ("single", "true_false")]
    question = data.draw(st.sampled_from(singles))
    wrong = [o["id"] for o in question["options"] if not o["correct"]]
    answers[question["id"]] = data.draw(st.sampled_from(wrong))
    assert grade(snapshot, answers).score < 100.0


@settings(max_examples=100, deadline=None, database=None)
@given(attempts(), seeds)
def test_option_order_never_changes_the_grade(attempt: tuple[dict, dict], seed: int) -> None:
    snapshot, answers = attempt
    reordered = json.loads(json.dumps(snapshot))
    rng = random.Random(seed)
    for question in reordered["questions"]:
        rng.shuffle(question["options"])
    for question_id, answer in answers.items():
        if isinstance(answer, list):
            answers[question_id] = list(reversed(answer))
    assert grade(reordered, answers) == grade(snapshot, answers)


@settings(max_examples=100, deadline=None, database=None)
@given(seeds)
def test_stratified_draw_gives_exact_section_counts(seed: int) -> None:
    drawn = draw_questions(FINAL_EXAM, random.Random(seed))
    assert isinstance(FINAL_EXAM.draw, dict)
    for section_id, count in FINAL_EXAM.draw.items():
        assert sum(q.section_id == section_id for q in drawn) == count
    assert len({q.id for q in drawn}) == len(drawn)


@settings(max_examples=50, deadline=None, database=None)
@given(specs, seeds)
def test_same_seed_gives_the_same_draw(spec: QuizSpec, seed: int) -> None:
    assert build_snapshot(spec, random.Random(seed)) == build_snapshot(spec, random.Random(seed))
