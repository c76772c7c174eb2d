"""Item analysis rules: difficulty, the 27 % discrimination index, choices and flags."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.item_stats import (
    EASY, HARD, LOW, NEGATIVE, THRESHOLDS, Response, ScoredAttempt, analyse,
    discrimination_index, group_size, item_flags,
)

OPTIONS = (("a", "Wrong", False), ("b", "Right", True), ("c", "Also wrong", False))


def single(correct: bool, given: str | None = None, qid: str = "q1") -> Response:
    return Response(qid, "single", "Which?", OPTIONS, correct,
                    given if given is not None else ("b" if correct else "a"))


def attempt(score: float, *responses: Response) -> ScoredAttempt:
    return ScoredAttempt(score, responses)


@pytest.mark.parametrize(("count", "size"), [(0, 0), (1, 0), (2, 1), (3, 1), (4, 1), (6, 2),
                                             (10, 3), (11, 3), (100, 27), (37, 10)])
def test_group_size_is_27_percent_rounded_at_least_one(count, size):
    assert group_size(count) == size


def test_discrimination_compares_the_upper_and_lower_27_percent():
    # Ten attempts: groups of three. The best three all right, the worst three all wrong.
    results = [(score, score >= 50) for score in range(0, 100, 10)]
    assert discrimination_index(results) == 1.0
    assert discrimination_index([(s, not r) for s, r in results]) == -1.0
    assert discrimination_index([(s, True) for s, _ in results]) == 0.0
    # Upper group 2 of 3 right, lower group 1 of 3 right.
    mixed = [(90, True), (80, False), (70, True), (50, True), (40, False), (30, True),
             (20, False), (10, True), (5, False), (0, False)]
    assert discrimination_index(mixed) == pytest.approx(1 / 3)


def test_discrimination_needs_two_attempts():
    assert discrimination_index([]) is None
    assert discrimination_index([(80.0, True)]) is None


def test_no_flags_below_the_minimum_number_of_attempts():
    assert item_flags(THRESHOLDS.min_attempts - 1, 1.0, 0.0) == ()
    assert item_flags(THRESHOLDS.min_attempts, 1.0, 0.0) == (EASY,)


@pytest.mark.parametrize(("share", "discrimination", "flags"), [
    (0.9, 0.0, (EASY,)), (0.89, 0.5, ()), (0.2, 0.5, (HARD,)), (0.21, 0.5, ()),
    (0.5, 0.19, (LOW,)), (0.5, 0.2, ()), (0.5, -0.1, (NEGATIVE,)), (0.5, None, ()),
])
def test_flags_at_their_thresholds(share, discrimination, flags):
    assert item_flags(20, share, discrimination) == flags


@given(attempts=st.integers(0, 500), share=st.floats(0, 1),
       discrimination=st.one_of(st.none(), st.floats(-1, 1)))
def test_flag_rules_combine_consistently(attempts, share, discrimination):
    flags = item_flags(attempts, share, discrimination)
    assert len(flags) <= 1
    if attempts < THRESHOLDS.min_attempts:
        assert flags == ()
        return
    assert (EASY in flags) == (share >= THRESHOLDS.nearly_all_right)
    assert (HARD in flags) == (share <= THRESHOLDS.nearly_all_wrong)
    middle = THRESHOLDS.nearly_all_wrong < share < THRESHOLDS.nearly_all_right
    if middle and discrimination is not None:
        assert (NEGATIVE in flags) == (discrimination < 0)
        assert (LOW in flags) == (0 <= discrimination < THRESHOLDS.low_discrimination)


@st.composite
def scored_attempts(draw):
    """Attempts at a two-question quiz whose second question is drawn only sometimes."""
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        responses = [single(draw(st.booleans()), qid="q1")]
        if draw(st.booleans()):
            given = draw(st.sampled_from(["a", "b", "c", None]))
            responses.append(single(given == "b", given or "", qid="q2"))
        rows.append(attempt(draw(st.floats(0, 100)), *responses))
    return rows


@settings(max_examples=60)
@given(rows=scored_attempts())
def test_analysis_holds_together(rows):
    items = {item.question_id: item for item in analyse(rows)}
    for qid, item in items.items():
        drawn = [r for a in rows for r in a.responses if r.question_id == qid]
        assert item.attempts == len(drawn)
        assert item.right == sum(r.correct for r in drawn)
        assert item.discrimination is None or -1 <= item.discrimination <= 1
        # one answer per attempt: the options and "no answer" add up to the attempts
        assert sum(choice.chosen for choice in item.choices) == item.attempts
        right_rows = [choice for choice in item.choices if choice.correct]
        assert [choice.label for choice in right_rows] == ["Right"]
        assert right_rows[0].chosen == item.right
        assert item.flags == item_flags(item.attempts, item.share_right, item.discrimination)
    assert set(items) == {r.question_id for a in rows for r in a.responses}


@settings(max_examples=40)
@given(rows=scored_attempts(), seed=st.randoms())
def test_the_order_of_attempts_with_distinct_scores_does_not_matter(rows, seed):
    distinct = list({a.score: a for a in rows}.values())
    shuffled = list(distinct)
    seed.shuffle(shuffled)
    assert analyse(shuffled) == analyse(distinct)


def test_options_are_counted_by_the_text_the_learner_saw():
    reordered = (("a", "Right", True), ("b", "Wrong", False), ("c", "Also wrong", False))
    rows = [attempt(90, single(True, "b")),  # "Right" was option b in the first version
            attempt(80, Response("q1", "single", "Which?", reordered, True, "a")),
            attempt(10, Response("q1", "single", "Which?", reordered, False, "b")),
            attempt(0, single(False, ""))]
    (item,) = analyse(rows, {"q1": Response("q1", "single", "Which now?", reordered, False, None)})
    assert item.stem_md == "Which now?"
    counts = {choice.label: (choice.chosen, choice.correct) for choice in item.choices}
    assert counts == {"Right": (2, True), "Wrong": (1, False), "Also wrong": (0, False),
                      "No answer": (1, False)}
    assert item.discrimination == 1.0


def test_multiple_response_counts_every_option_chosen():
    options = (("a", "One", True), ("b", "Two", True), ("c", "Three", False))
    rows = [attempt(100, Response("m", "multiple", "Pick", options, True, ["a", "b"])),
            attempt(50, Response("m", "multiple", "Pick", options, False, ["a", "c"])),
            attempt(0, Response("m", "multiple", "Pick", options, False, []))]
    (item,) = analyse(rows)
    shares = {choice.label: choice.chosen for choice in item.choices}
    assert shares == {"One": 2, "Two": 1, "Three": 1, "No answer": 1}


def test_numeric_answers_list_the_most_common_and_group_the_rest():
    answers = ["0.75"] * 4 + ["0,75"] * 2 + ["1", "2", "3", "4", "5", None]
    rows = [attempt(i, Response("n", "numeric", "Score?", (), a in ("0.75", "0,75"), a))
            for i, a in enumerate(answers)]
    (item,) = analyse(rows)
    labels = [(c.label, c.chosen, c.kind) for c in item.choices]
    assert labels[:2] == [("0.75", 4, "answer"), ("0,75", 2, "answer")]
    assert ("Other answers", 2, "other") in labels and labels[-1] == ("No answer", 1, "none")
    assert sum(c.chosen for c in item.choices) == len(answers)


def test_questions_follow_the_current_quiz_then_the_retired_ones():
    rows = [attempt(50, single(True, qid="old"), single(True, qid="q2"), single(True, qid="q1"))]
    current = {"q1": single(False, qid="q1"), "q2": single(False, qid="q2"),
               "unseen": single(False, qid="unseen")}
    assert [item.question_id for item in analyse(rows, current)] == ["q1", "q2", "old"]
