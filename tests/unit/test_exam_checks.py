"""The exam checker: the cues of an answer key, and an exam's size and skill mix."""
from __future__ import annotations

from app.courses.exam_checks import (
    simulated_pass_rate, quiz_problems, quiz_statistics, true_false_problem,
)
from app.courses.quiz_parser import parse_quiz


def quiz(body: str, settings: str = "") -> object:
    spec, problems = parse_quiz(f"---\ntitle: Q\n{settings}---\n\n{body}", key="final-exam")
    assert problems == []
    return spec


def single(n: int, key_at: int, key: str, others: tuple[str, ...], skill: str = "") -> str:
    options = list(others)
    options.insert(key_at, key)
    lines = [f"## Question {n}? {{#q{n}{skill}}}"]
    lines += [f"- [{'x' if i == key_at else ' '}] {text}" for i, text in enumerate(options)]
    return "\n".join(lines) + "\n\n"


CUED = "".join(single(n, 0, "The complete and carefully qualified right answer",
                      ("Wrong", "Also wrong", "Never this")) for n in range(10))


def test_a_key_that_is_longest_and_first_is_measured_and_refused():
    spec = quiz(CUED)
    stats = quiz_statistics(spec)
    assert (stats.single_choice, stats.key_longest, stats.key_positions) == (10, 10, {1: 10})
    assert stats.key_length_ratio > 4
    assert stats.absolute_distractors == 10 and stats.absolute_keys == 0
    assert quiz_problems(spec, stats, final_exam=False) == [
        "the key is the strictly longest option in 10 of 10 single-choice questions (100%; at "
        "most 30%)",
        "option 1 is the key in 10 of 10 single-choice questions (100%; at most 40% in any "
        "position)",
        "absolute wording is 33% points more common in one of keys and distractors than in "
        "the other (at most 10%)"]
    # picking the longest option passes even a candidate who knows nothing
    assert simulated_pass_rate(spec, knowledge=0.0) == 1.0
    assert simulated_pass_rate(spec, knowledge=0.0, blind=True) < 0.05


def test_a_key_without_a_shape_passes_the_cue_targets():
    options = ("Set quarterly", "Score weekly", "Share widely")
    body = "".join(single(n, n % 4, "Grade openly", options, " .application")
                   for n in range(8))
    spec = quiz(body)
    stats = quiz_statistics(spec)
    assert stats.key_longest == 0 and stats.top_position_share == 0.25
    assert quiz_problems(spec, stats, final_exam=True) == [
        "the exam has 8 questions for a draw of 8 (at least 2.5 times the draw)"]


def test_multiple_response_keys_written_first_are_counted():
    body = "".join(f"## Pick? (select all that apply) {{#m{n}}}\n- [x] A\n- [x] B\n- [ ] C\n\n"
                   for n in range(3))
    stats = quiz_statistics(quiz(body))
    assert (stats.multiple_response, stats.correct_first) == (3, 3)


def test_an_exam_needs_skills_sections_and_a_bank_deep_enough():
    body = "# One {#one}\n\n" + "".join(
        single(n, n % 3, f"Key {n}", ("A one", "B two", "C three"),
               " .attribution" if n < 2 else " .recall" if n < 5 else "")
        for n in range(10))
    spec = quiz(body, "draw: {one: 5}\nsection_pass_mark: 60\n")
    assert quiz_problems(spec, quiz_statistics(spec), final_exam=True) == [
        "5 questions carry no skill: tag each `.application`, `.recall` or `.attribution`",
        "0% of the questions are application items (at least 60%)",
        "20% of the questions are attribution items (at most 10%)",
        "section 'one' draws 5 questions: a section floor needs at least 8",
        "section 'one' has 10 questions for a draw of 5 (at least 2.5 times the draw)"]


def test_true_false_keys_are_balanced_across_the_course():
    assert true_false_problem(3, 4) is None
    assert true_false_problem(1, 2) is None
    assert true_false_problem(0, 7) == ("0 true/false keys are True and 7 False across the "
                                        "course's quizzes (between 40% and 60% True)")
