"""The quiz dialect: question kinds, sections, settings and every problem it reports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.courses.quiz_parser import QuizSpec, parse_quiz, quiz_from_dict, quiz_to_dict

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "courses" / "example-course"

FRONT = "---\ntitle: Check\n---\n"


def parsed(text: str) -> QuizSpec:
    spec, problems = parse_quiz(text, key="check", path="course/01-mod/quiz.md")
    assert problems == [], [str(p) for p in problems]
    assert spec is not None
    return spec


def problems_of(text: str) -> list[str]:
    spec, problems = parse_quiz(text, key="check", path="quiz.md")
    assert spec is None
    return [str(p) for p in problems]


def test_example_module_quiz_has_every_question_kind() -> None:
    spec = parsed((EXAMPLE / "01-foundations" / "quiz.md").read_text(encoding="utf-8"))
    assert [q.kind for q in spec.questions] == ["single", "multiple", "true_false", "numeric"]
    assert spec.key == "check" and spec.title == "Foundations check"
    assert (spec.pass_mark, spec.scoring, spec.feedback, spec.shuffle) == (75, "partial", "after_submit", True)
    single = spec.questions[0]
    assert single.id == "objective-definition"
    assert single.stem_md == "Which statement best describes an objective?"
    assert [(o.id, o.correct) for o in single.options] == [("a", False), ("b", True), ("c", False)]
    assert single.explanation_md == "Key results carry the numbers; the objective carries the direction."
    assert single.line == 12
    numeric = spec.questions[3]
    assert (numeric.answer, numeric.tolerance, numeric.options) == (0.75, 0.01, ())
    assert numeric.body_md.startswith("Use linear scoring:") and "| 40 | 60 | 55 |" in numeric.body_md


def test_final_exam_sections_and_stratified_draw() -> None:
    spec = parsed((EXAMPLE / "final-exam.md").read_text(encoding="utf-8"))
    assert [(s.id, s.title) for s in spec.sections] == [("foundations", "Foundations"),
                                                         ("key-results", "Key results")]
    assert spec.draw == {"foundations": 2, "key-results": 1}
    assert spec.drawn_count == 3
    assert spec.section_pass_mark == 50
    assert [q.section_id for q in spec.questions] == ["foundations"] * 3 + ["key-results"] * 2
    assert (spec.max_attempts, spec.cooldown_minutes, spec.time_limit_minutes) == (3, 60, 30)


def test_defaults() -> None:
    spec = parsed(FRONT + "## Q {#q}\n- [x] A\n- [ ] B\n")
    assert (spec.pass_mark, spec.max_attempts, spec.cooldown_minutes, spec.time_limit_minutes) == (80, 0, 0, 0)
    assert (spec.draw, spec.shuffle, spec.feedback, spec.scoring) == (None, True, "after_submit", "all_or_nothing")
    assert spec.section_pass_mark is None and spec.sections == ()
    assert spec.drawn_count == 1


@pytest.mark.parametrize(("line", "answer", "tolerance"), [
    ("= 0.75 ± 0.01", 0.75, 0.01),
    ("= 0.75 +- 0.01", 0.75, 0.01),
    ("= 0.75 +/- 0.01", 0.75, 0.01),
    ("= 0,5", 0.5, 0.0),
    ("= -3", -3.0, 0.0),
    ("=42±2", 42.0, 2.0),
])
def test_numeric_answer_forms(line: str, answer: float, tolerance: float) -> None:
    question = parsed(FRONT + f"## N {{#n}}\n{line}\n").questions[0]
    assert (question.kind, question.answer, question.tolerance) == ("numeric", answer, tolerance)


def test_true_false_is_recognised_whatever_the_case() -> None:
    question = parsed(FRONT + "## T {#t}\n- [x] true\n- [ ] FALSE\n").questions[0]
    assert question.kind == "true_false"


def test_stem_body_can_hold_fenced_code_that_looks_like_quiz_syntax() -> None:
    text = FRONT + "## Q {#q}\n```\n## not a question\n- [x] not an option\n= 3\n```\n- [x] A\n- [ ] B\n"
    question = parsed(text).questions[0]
    assert "## not a question" in question.body_md
    assert [o.text_md for o in question.options] == ["A", "B"]


def test_option_continuation_lines_and_multi_paragraph_explanation() -> None:
    text = FRONT + "## Q {#q}\n- [x] A long\n  option\n- [ ] B\n\n> First.\n>\n> Second.\n"
    question = parsed(text).questions[0]
    assert question.options[0].text_md == "A long option"
    assert question.explanation_md == "First.\n\nSecond."


def test_option_ids_follow_file_order_not_correctness() -> None:
    question = parsed(FRONT + "## Q {#q}\n- [x] A\n- [ ] B\n- [ ] C\n").questions[0]
    assert [o.id for o in question.options] == ["a", "b", "c"]
    other = parsed(FRONT + "## Q {#q}\n- [ ] A\n- [ ] B\n- [x] C\n").questions[0]
    assert [o.id for o in other.options] == ["a", "b", "c"]


def test_round_trip_through_json() -> None:
    spec = parsed((EXAMPLE / "final-exam.md").read_text(encoding="utf-8"))
    data = quiz_to_dict(spec)
    assert json.loads(json.dumps(data)) == data
    assert quiz_from_dict(data) == spec


def test_problem_paths_and_lines() -> None:
    spec, problems = parse_quiz(FRONT + "## Q {#q}\n- [ ] A\n- [ ] B\n", key="k", path="c/01-m/quiz.md")
    assert spec is None
    assert [str(p) for p in problems] == [
        "c/01-m/quiz.md:4: question 'q' has no correct option: mark it with `- [x]`"
    ]


QUESTION = "## Q {#q}\n- [x] A\n- [ ] B\n"

PROBLEMS = [
    ("no title", "---\npass_mark: 50\n---\n" + QUESTION,
     ["quiz.md:1: 'title' is missing or empty"]),
    ("no front matter", QUESTION,
     ["quiz.md:1: missing front matter: the file must start with a `---` line, then YAML "
      "settings, then a closing `---` line"]),
    ("bad yaml", "---\ntitle: [x\n---\n" + QUESTION,
     ["quiz.md:3: front matter is not valid YAML: expected ',' or ']', but got '<stream end>' "
      "(while parsing a flow sequence started on line 2)"]),
    ("unknown setting", FRONT.replace("---\n", "---\nretries: 3\n", 1) + QUESTION,
     ["quiz.md:2: unknown setting 'retries' (allowed: title, pass_mark, max_attempts, "
      "cooldown_minutes, time_limit_minutes, draw, shuffle, feedback, scoring, section_pass_mark)"]),
    ("pass mark range", "---\ntitle: C\npass_mark: 101\n---\n" + QUESTION,
     ["quiz.md:3: 'pass_mark' must be between 0 and 100, got 101"]),
    ("pass mark type", "---\ntitle: C\npass_mark: high\n---\n" + QUESTION,
     ["quiz.md:3: 'pass_mark' must be a number, got 'high'"]),
    ("attempts negative", "---\ntitle: C\nmax_attempts: -1\n---\n" + QUESTION,
     ["quiz.md:3: 'max_attempts' must be 0 or more, got -1"]),
    ("time limit type", "---\ntitle: C\ntime_limit_minutes: 1.5\n---\n" + QUESTION,
     ["quiz.md:3: 'time_limit_minutes' must be a whole number, got 1.5"]),
    ("shuffle type", "---\ntitle: C\nshuffle: sometimes\n---\n" + QUESTION,
     ["quiz.md:3: 'shuffle' must be true or false, got 'sometimes'"]),
    ("feedback", "---\ntitle: C\nfeedback: later\n---\n" + QUESTION,
     ["quiz.md:3: 'feedback' must be one of after_submit, after_pass, never, got 'later'"]),
    ("scoring", "---\ntitle: C\nscoring: generous\n---\n" + QUESTION,
     ["quiz.md:3: 'scoring' must be one of all_or_nothing, partial, got 'generous'"]),
    ("draw too large", "---\ntitle: C\ndraw: 2\n---\n" + QUESTION,
     ["quiz.md:3: 'draw' asks for 2 questions but the quiz has only 1"]),
    ("draw not a number", "---\ntitle: C\ndraw: all\n---\n" + QUESTION,
     ["quiz.md:3: 'draw' must be a whole number of 1 or more, or a mapping of section id to "
      "count, got 'all'"]),
    ("draw mapping without sections", "---\ntitle: C\ndraw: {a: 1}\n---\n" + QUESTION,
     ["quiz.md:3: 'draw' is a mapping of section ids but the quiz has no "
      "`# Section title {#section-id}` headings"]),
    ("section pass mark without sections", "---\ntitle: C\nsection_pass_mark: 50\n---\n" + QUESTION,
     ["quiz.md:3: 'section_pass_mark' needs sections (`# Section title {#section-id}` headings)"]),
    ("duplicate setting", "---\ntitle: C\ntitle: D\n---\n" + QUESTION,
     ["quiz.md:3: setting 'title' is given twice (first on line 2)"]),
    ("no questions", FRONT + "\n",
     ["quiz.md:4: the quiz has no questions: start each one with `## Question text {#question-id}`"]),
    ("text before first question", FRONT + "Intro text.\nMore.\n\n" + QUESTION,
     ["quiz.md:4: text outside a question: each question starts with a "
      "`## Question text {#question-id}` heading"]),
    ("missing id", FRONT + "## Q\n- [x] A\n- [ ] B\n",
     ["quiz.md:4: question has no id: end the heading with `{#question-id}`",
      "quiz.md:4: the quiz has no questions: start each one with `## Question text {#question-id}`"]),
    ("bad id", FRONT + "## Q {#Bad_Id}\n- [x] A\n- [ ] B\n",
     ["quiz.md:4: question id 'Bad_Id' may use only lowercase letters, digits and hyphens"]),
    ("duplicate id", FRONT + QUESTION + QUESTION,
     ["quiz.md:7: question id 'q' is used twice (first on line 4)"]),
    ("empty heading", FRONT + "## {#q}\n- [x] A\n- [ ] B\n",
     ["quiz.md:4: question heading has no text"]),
    ("no correct option", FRONT + "## Q {#q}\n- [ ] A\n- [ ] B\n",
     ["quiz.md:4: question 'q' has no correct option: mark it with `- [x]`"]),
    ("one option", FRONT + "## Q {#q}\n- [x] A\n",
     ["quiz.md:4: question 'q' needs at least 2 options"]),
    ("no options", FRONT + "## Q {#q}\nJust text.\n",
     ["quiz.md:4: question 'q' has no options (`- [ ] text`, `- [x] text`) and no numeric "
      "answer (`= value`)"]),
    ("empty option", FRONT + "## Q {#q}\n- [x] A\n- [ ]\n",
     ["quiz.md:6: empty option in question 'q'"]),
    ("duplicate option", FRONT + "## Q {#q}\n- [x] A\n- [ ] a\n",
     ["quiz.md:6: option 'a' appears twice in question 'q' (first on line 5)"]),
    ("true false both correct", FRONT + "## Q {#q}\n- [x] True\n- [x] False\n",
     ["quiz.md:4: true/false question 'q' needs exactly one correct option"]),
    ("numeric not a number", FRONT + "## Q {#q}\n= seventy\n",
     ["quiz.md:5: numeric answer 'seventy' is not a number (write it like `= 0.75 ± 0.01`)"]),
    ("bad tolerance", FRONT + "## Q {#q}\n= 1 ± -2\n",
     ["quiz.md:5: tolerance '-2' must be a number of 0 or more"]),
    ("two numeric answers", FRONT + "## Q {#q}\n= 1\n= 2\n",
     ["quiz.md:6: question 'q' has more than one `= value` answer"]),
    ("options mixed with numeric", FRONT + "## Q {#q}\n- [x] A\n- [ ] B\n= 2\n",
     ["quiz.md:7: question 'q' mixes options with a numeric `= value` answer"]),
    ("text after options", FRONT + QUESTION + "Stray text.\n",
     ["quiz.md:7: unexpected text after the options of question 'q': the explanation is a "
      "`> ` blockquote after the options"]),
    ("text after explanation", FRONT + QUESTION + "> Why.\nStray.\n",
     ["quiz.md:8: unexpected text after the explanation of question 'q': the explanation is a "
      "`> ` blockquote after the options"]),
]

SECTIONED = """---
title: Exam
draw:
  one: 1
  ghost: 1
---

# One {#one}

## Q1 {#q1}
- [x] A
- [ ] B

# Two {#two}

## Q2 {#q2}
- [x] A
- [ ] B
"""

SECTION_PROBLEMS = [
    ("draw names a missing section and omits one", SECTIONED,
     ["quiz.md:3: 'draw' names section 'ghost', which does not exist (sections: one, two)",
      "quiz.md:3: 'draw' has no count for section 'two'"]),
    ("draw larger than a section", SECTIONED.replace("  ghost: 1", "  two: 2"),
     ["quiz.md:3: 'draw' asks for 2 questions from section 'two' but it has only 1"]),
    ("draw count not positive", SECTIONED.replace("  ghost: 1", "  two: 0"),
     ["quiz.md:3: 'draw' for section 'two' must be a whole number of 1 or more, got 0"]),
    ("section without id", FRONT + "# Part\n" + QUESTION,
     ["quiz.md:4: section heading needs an id: `# Section title {#section-id}`"]),
    ("section without title", FRONT + "# {#part}\n" + QUESTION,
     ["quiz.md:4: section heading has no title"]),
    ("bad section id", FRONT + "# Part {#Part}\n" + QUESTION,
     ["quiz.md:4: section id 'Part' may use only lowercase letters, digits and hyphens"]),
    ("duplicate section", FRONT + "# A {#a}\n" + QUESTION + "# B {#a}\n## R {#r}\n- [x] A\n- [ ] B\n",
     ["quiz.md:8: section id 'a' is used twice (first on line 4)"]),
    ("empty section", FRONT + "# A {#a}\n" + QUESTION + "# B {#b}\n",
     ["quiz.md:8: section 'b' has no questions"]),
    ("question before the first section", FRONT + QUESTION + "# A {#a}\n## R {#r}\n- [x] A\n- [ ] B\n",
     ["quiz.md:4: question 'q' comes before the first section: when a quiz has sections, "
      "every question belongs to one"]),
]


@pytest.mark.parametrize(("case", "text", "expected"), PROBLEMS + SECTION_PROBLEMS,
                         ids=[case for case, _, _ in PROBLEMS + SECTION_PROBLEMS])
def test_every_problem_is_reported_with_its_line(case: str, text: str, expected: list[str]) -> None:
    assert problems_of(text) == expected


def test_many_problems_are_reported_in_one_pass() -> None:
    text = "---\ntitle: C\nfeedback: later\n---\n## A {#a}\n- [ ] x\n- [ ] y\n## B\n## C {#c}\n= nope\n"
    assert len(problems_of(text)) == 4


def test_multiple_makes_checkboxes_of_a_question_with_one_correct_option() -> None:
    spec = parsed(FRONT + "## Which colour? {#colour .multiple}\n- [x] yellow\n- [ ] red\n"
                          "- [ ] blue\n\n## Which shape? {#shape}\n- [x] round\n- [ ] square\n")
    assert [(q.id, q.kind) for q in spec.questions] == [("colour", "multiple"),
                                                        ("shape", "single")]
    assert quiz_from_dict(json.loads(json.dumps(quiz_to_dict(spec)))).questions[0].kind == \
        "multiple"


@pytest.mark.parametrize("question, message", [
    ("## Pick {#pick .checkboxes}\n- [x] a\n- [ ] b\n", "unknown question class '.checkboxes'"),
    ("## Fact {#fact .multiple}\n- [x] True\n- [ ] False\n",
     "true/false question 'fact' cannot be `.multiple`"),
    ("## Count {#count .multiple}\n= 3\n", "numeric question 'count' cannot be `.multiple`"),
])
def test_multiple_only_on_choice_questions(question: str, message: str) -> None:
    assert any(message in problem for problem in problems_of(FRONT + question))
