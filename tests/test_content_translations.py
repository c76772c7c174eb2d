"""Course translations read and checked: `X.de.md` beside `X.md`, held to the source's settings,
lessons, questions, options and marks; each refusal with its file and line."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.courses.content import course_from_dict, course_to_dict, read_course
from app.courses.quiz_spec import OptionSpec, QuestionSpec, QuizSpec
from app.courses.translation_checks import quiz_findings
from app.courses.translations import choose_locale, translate_snapshot
from app.courses.validation import validate_course, validate_courses_root
from app.quizzes.grading import build_snapshot, grade
from tests.content_translations_support import (
    SLUG, edit, mark_text, translated_course,
)

SHIPPED = Path(__file__).resolve().parent.parent / "courses"
QUIZ = "01-foundations/quiz.de.md"
EXAM = "final-exam.de.md"


@pytest.fixture
def course(tmp_path) -> Path:
    return translated_course(tmp_path)


def problems_of(folder: Path) -> list[tuple[str, int, str]]:
    _spec, problems = read_course(folder)
    return [(p.path.removeprefix(f"{SLUG}/"), p.line, p.message) for p in problems]


def only_problem(folder: Path) -> tuple[str, int, str]:
    found = problems_of(folder)
    assert len(found) == 1, found
    return found[0]


# --- reading -----------------------------------------------------------------------------------


def test_a_complete_translation_reads_with_the_sources_settings_and_keys(course):
    spec, problems = read_course(course)
    assert problems == []
    assert [lesson.slug for m in spec.modules for lesson in m.lessons] == [
        "origins", "anatomy", "measurable", "scoring"]  # translations are not lessons
    [german] = spec.translations
    assert german.locale == "de" and german.title == "DE OKR Essentials"
    assert [(lt.module_slug, lt.slug, lt.title) for lt in german.lessons][0] == (
        "foundations", "origins", "DE Origins")
    assert german.lessons[0].body_md.lstrip().startswith("#")
    quizzes = {quiz.key: quiz for quiz in german.quizzes}
    assert set(quizzes) == {"foundations", "writing-key-results", "final-exam"}
    source = spec.modules[0].quiz
    translated = quizzes["foundations"]
    assert translated.pass_mark == source.pass_mark and translated.scoring == source.scoring
    assert [q.id for q in translated.questions] == [q.id for q in source.questions]
    for ours, theirs in zip(source.questions, translated.questions):
        assert theirs.kind == ours.kind and theirs.answer == ours.answer
        assert [o.correct for o in theirs.options] == [o.correct for o in ours.options]
        assert [o.id for o in theirs.options] == [o.id for o in ours.options]
    assert translated.questions[0].stem_md.startswith("DE ")
    assert translated.questions[0].explanation_md.startswith("DE ")
    assert quizzes["final-exam"].sections[0].title == "DE Foundations"
    assert quizzes["final-exam"].draw == spec.final_exam.draw


def test_the_spec_round_trips_through_plain_data_with_its_translations(course):
    spec, _ = read_course(course)
    assert course_from_dict(course_to_dict(spec)).translations == spec.translations


def test_the_content_hash_covers_the_translations(course):
    with_german, _ = read_course(course)
    edit(course / "01-foundations/01-origins.de.md", "DE ", "DE DE ")
    changed, _ = read_course(course)
    assert changed.content_hash != with_german.content_hash


def test_two_languages_are_read_apart(course):
    for path in (course).rglob("*.de.md"):
        source = path.with_name(path.name.replace(".de.md", ".md")).read_text(encoding="utf-8")
        path.with_name(path.name.replace(".de.md", ".fr.md")).write_text(
            mark_text(source, "FR"), encoding="utf-8")
    spec, problems = read_course(course)
    assert problems == []
    assert [(t.locale, t.title) for t in spec.translations] == [
        ("de", "DE OKR Essentials"), ("fr", "FR OKR Essentials")]


def test_the_validator_and_the_command_report_translation_problems(course, runner):
    (course / "01-foundations/02-anatomy.de.md").unlink()
    assert [str(p) for p in validate_course(course)] == [
        f"{SLUG}/01-foundations/02-anatomy.de.md:0: the German translation lacks this file: "
        "translate 02-anatomy.md as 02-anatomy.de.md"]
    assert len(validate_courses_root(course.parent)) == 1
    result = runner.invoke(args=["courses", "validate", str(course), "--no-exam-checks"])
    assert result.exit_code == 1
    assert "01-foundations/02-anatomy.de.md:0: the German translation lacks this file" in result.output


def test_the_shipped_okr_essentials_german_translation_validates_without_problems():
    spec, problems = read_course(SHIPPED / "okr-essentials")
    assert [str(p) for p in problems] == []
    [german] = spec.translations
    assert german.locale == "de"
    assert len(german.lessons) == sum(len(m.lessons) for m in spec.modules)
    assert {quiz.key for quiz in german.quizzes} == {"okr-basics", "running-team-okrs",
                                                     "final-exam"}
    assert german.title != spec.title and german.achievement != spec.achievement
    assert [str(p) for p in validate_course(SHIPPED / "okr-essentials", exam_checks=True)] == []


# --- refusals: files ---------------------------------------------------------------------------


def test_a_missing_module_translation_is_reported(course):
    (course / "02-writing-key-results/module.de.md").unlink()
    assert only_problem(course) == (
        "02-writing-key-results/module.de.md", 0,
        "the German translation lacks this file: translate module.md as module.de.md")


def test_a_missing_quiz_or_course_translation_is_reported(course):
    (course / QUIZ).unlink()
    (course / "course.de.md").unlink()
    assert {path for path, _, _ in problems_of(course)} == {QUIZ, "course.de.md"}


def test_a_translation_of_a_file_the_course_lacks_is_reported(course):
    (course / "01-foundations/03-extra.de.md").write_text("---\ntitle: X\n---\nText\n")
    (course / "notes.de.md").write_text("---\ntitle: X\n---\nText\n")
    assert problems_of(course) == [
        ("01-foundations/03-extra.de.md", 0, "'03-extra.de.md' translates 03-extra.md, which the "
                                             "course does not have: remove it or name it after a "
                                             "file of the course"),
        ("notes.de.md", 0, "'notes.de.md' translates notes.md, which the course does not have: "
                           "remove it or name it after a file of the course")]


def test_languages_the_academy_does_not_offer_are_reported(course):
    shutil.copy(course / "course.de.md", course / "course.it.md")
    shutil.copy(course / "course.de.md", course / "course.en.md")
    found = problems_of(course)
    assert [(path, line) for path, line, _ in found] == [("course.en.md", 0), ("course.it.md", 0)]
    assert "is not a language the academy offers" in found[1][2]
    assert "the course is written in English" in found[0][2]


# --- refusals: front matter --------------------------------------------------------------------


def test_a_setting_that_differs_from_the_source_is_reported_on_its_line(course):
    edit(course / "01-foundations/01-origins.de.md", "minutes: 6", "minutes: 9")
    path, line, message = only_problem(course)
    assert (path, line) == ("01-foundations/01-origins.de.md", 3)
    assert message == ("'minutes' is 9 here but 6 in 01-origins.md: a translation keeps the "
                       "source's settings")


def test_a_missing_extra_or_empty_setting_is_reported(course):
    edit(course / "course.de.md", "validity_months: 24\n", "")
    edit(course / "course.de.md", "sequential: true\n", "sequential: true\nfavourite: yes\n")
    edit(course / "01-foundations/module.de.md", "title: DE Foundations", "title: ''")
    assert problems_of(course) == [
        ("01-foundations/module.de.md", 2, "'title' is empty: translate it"),
        ("course.de.md", 1, "'validity_months' is missing: copy `validity_months: 24` from "
                            "course.md"),
        ("course.de.md", 7, "'favourite' is not set in course.md: a translation has the source's "
                            "settings only")]


def test_a_quiz_setting_that_differs_is_reported(course):
    edit(course / QUIZ, "pass_mark: 75", "pass_mark: 60")
    assert only_problem(course) == (QUIZ, 3, "'pass_mark' is 60 here but 75 in quiz.md: a "
                                             "translation keeps the source's settings")


def test_the_signatory_keeps_its_name_and_signature_and_translates_its_title(course):
    signatory = ("signatory:\n  name: Dr. Amara Okafor\n  title: Academy Director\n"
                 "  signature: assets/okr-cycle.svg\n")
    edit(course / "course.md", "sequential: true\n", "sequential: true\n" + signatory)
    edit(course / "course.de.md", "sequential: true\n", "sequential: true\n" + signatory.replace(
        "Academy Director", "Leiterin der Akademie").replace("Amara", "A."))
    assert only_problem(course) == (
        "course.de.md", 8, "the signatory's name is 'Dr. A. Okafor' here but 'Dr. Amara Okafor' "
                           "in course.md: only the title is translated")
    edit(course / "course.de.md", "Dr. A. Okafor", "Dr. Amara Okafor")
    spec, problems = read_course(course)
    assert problems == [] and spec.translations[0].signatory_title == "Leiterin der Akademie"


# --- refusals: lessons -------------------------------------------------------------------------


def test_an_empty_lesson_and_changed_links_are_reported(course):
    lesson = course / "01-foundations/01-origins.de.md"
    text = lesson.read_text(encoding="utf-8")
    front_end = text.index("---", 3) + 4
    lesson.write_text(text[:front_end] + "\n", encoding="utf-8")
    found = problems_of(course)
    assert ("01-foundations/01-origins.de.md", 5, "the lesson has no content: translate it") \
        in found
    assert any("links to '../assets/okr-cycle.svg' but the translation does not" in m
               for _, _, m in found)


def test_a_link_the_source_does_not_have_is_reported(course):
    lesson = course / "01-foundations/02-anatomy.de.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n![x](../assets/okr-cycle.svg)\n",
                      encoding="utf-8")
    path, line, message = only_problem(course)
    assert path == "01-foundations/02-anatomy.de.md" and line == 0
    assert message == ("links to '../assets/okr-cycle.svg', which 02-anatomy.md does not: keep "
                       "the source's links and images")


# --- refusals: quizzes -------------------------------------------------------------------------


def test_a_missing_question_is_reported(course):
    text = (course / QUIZ).read_text(encoding="utf-8")
    start = text.index("## DE OKR scores")
    end = text.index("## DE A key result")
    (course / QUIZ).write_text(text[:start] + text[end:], encoding="utf-8")
    assert only_problem(course) == (
        QUIZ, 0, "question 'okr-pay-link' (number 3 in quiz.md) is missing: translate it")


def test_an_extra_question_is_reported_on_its_line(course):
    extra = "\n## DE Extra? {#extra}\n- [x] DE Yes\n- [ ] DE No\n"
    (course / QUIZ).write_text((course / QUIZ).read_text(encoding="utf-8") + extra,
                               encoding="utf-8")
    path, line, message = only_problem(course)
    assert (path, message) == (QUIZ, "question 'extra' is not in quiz.md: a translation has "
                                     "the source's questions only")
    assert (course / QUIZ).read_text(encoding="utf-8").splitlines()[line - 1].startswith(
        "## DE Extra?")


def test_reordered_questions_are_reported(course):
    edit(course / QUIZ, "{#objective-definition}", "{#tmp}")
    edit(course / QUIZ, "{#outcome-krs}", "{#objective-definition}")
    edit(course / QUIZ, "{#tmp}", "{#outcome-krs}")
    messages = [m for _, _, m in problems_of(course)]
    assert "question 'outcome-krs' comes where quiz.md has 'objective-definition': keep the " \
           "source's order" in messages


def test_option_counts_marks_and_classes_that_differ_are_reported(course):
    edit(course / QUIZ, "- [ ] DE A list of projects for the quarter\n", "")
    edit(course / QUIZ, "- [x] DE Cut median", "- [ ] DE Cut median")
    edit(course / QUIZ, "{#okr-pay-link}", "{#okr-pay-link .recall}")
    assert [(line, m) for _, line, m in problems_of(course)] == [
        (12, "question 'objective-definition' has 2 options here but 3 in quiz.md"),
        (18, "question 'outcome-krs' is single choice here but multiple response (`.multiple`) "
             "in quiz.md"),
        (18, "question 'outcome-krs': the options marked [x] are 1 here but 1, 2 in quiz.md: "
             "keep the marks and the order of the options"),
        (25, "question 'okr-pay-link' has the skill `.recall` here but none in quiz.md: keep "
             "its classes")]


def test_a_numeric_answer_that_differs_is_reported(course):
    edit(course / EXAM, "= 0.7 ± 0.05", "= 0.75 ± 0.05")
    path, _line, message = only_problem(course)
    assert (path, message) == (EXAM, "question 'score-seventy': the numeric answer differs from "
                                     "final-exam.md: keep its accepted value and tolerance")


def test_a_question_moved_to_another_exam_section_is_reported(course):
    text = (course / EXAM).read_text(encoding="utf-8")
    start, end = text.index("## DE How many objectives"), text.index("# DE Key results")
    moved = text[start:end]
    text = text[:start] + text[end:]
    (course / EXAM).write_text(text + "\n" + moved, encoding="utf-8")
    messages = [m for _, _, m in problems_of(course)]
    assert "question 'objective-count' is in section 'key-results' here but 'foundations' in " \
           "final-exam.md" in messages


def test_a_translation_with_its_own_quiz_problems_reports_them(course):
    edit(course / QUIZ, "{#objective-definition}", "")
    found = problems_of(course)
    assert (QUIZ, 12, "question has no id: end the heading with `{#question-id}`") in found


# --- the capstone ------------------------------------------------------------------------------

CAPSTONE = """---
title: Capstone
minutes: 120
pass_mark: 70
---
Write your team's OKRs.

# Rubric

## Outcomes {#outcomes minimum=2}
- **Strong** (3): Every key result is an outcome.
- **Weak** (1): Mostly activities.
"""


def test_a_capstone_translation_keeps_the_rubric(course):
    (course / "capstone.md").write_text(CAPSTONE, encoding="utf-8")
    edit(course / "course.md", "sequential: true\n", "sequential: true\ncapstone: capstone.md\n")
    edit(course / "course.de.md", "sequential: true\n",
         "sequential: true\ncapstone: capstone.md\n")
    german = CAPSTONE.replace("title: Capstone", "title: DE Capstone").replace(
        "Write your", "DE Write your").replace("Outcomes {", "DE Outcomes {").replace(
        "**Strong**", "**DE Strong**")
    (course / "capstone.de.md").write_text(german.replace("(1)", "(0)"), encoding="utf-8")
    assert only_problem(course) == ("capstone.de.md", 0, "criterion 'outcomes' has the levels "
                                                         "[3, 0] (points) here but [3, 1] in "
                                                         "capstone.md")
    (course / "capstone.de.md").write_text(german, encoding="utf-8")
    spec, problems = read_course(course)
    assert problems == []
    capstone = spec.translations[0].capstone
    assert capstone.title == "DE Capstone" and capstone.criteria[0].levels[1].points == 1
    assert capstone.criteria[0].title == "DE Outcomes"
    assert capstone.brief_md == "DE Write your team's OKRs."


# --- the structure rule, over generated quizzes ------------------------------------------------


def _quiz(questions: list[tuple[str, list[bool]]]) -> QuizSpec:
    return QuizSpec(
        key="q", title="Quiz", pass_mark=80, max_attempts=0, cooldown_minutes=0,
        time_limit_minutes=0, draw=None, shuffle=True, feedback="after_submit",
        scoring="all_or_nothing", section_pass_mark=None, sections=(),
        questions=tuple(QuestionSpec(
            id=qid, section_id=None, kind="multiple" if sum(marks) > 1 else "single",
            stem_md=f"Stem {qid}", body_md="",
            options=tuple(OptionSpec(chr(97 + i), f"Option {i}", mark)
                          for i, mark in enumerate(marks)),
            answer=None, tolerance=0.0, explanation_md="", line=n + 1)
            for n, (qid, marks) in enumerate(questions)))


_marks = st.lists(st.booleans(), min_size=2, max_size=5).filter(any)
_questions = st.lists(st.tuples(st.sampled_from("abcdefgh"), _marks), min_size=1, max_size=6,
                      unique_by=lambda item: item[0])


@settings(max_examples=60, deadline=None)
@given(source=_questions, data=st.data())
def test_a_translation_passes_exactly_when_ids_order_option_counts_and_marks_match(source, data):
    translated = data.draw(st.one_of(
        st.just(source),
        st.permutations(source).map(list),
        _questions,
        st.just([(qid, marks[::-1]) for qid, marks in source]),
        st.just([(qid, marks + [False]) for qid, marks in source]),
    ))
    findings = quiz_findings(_quiz(source), _quiz(translated), "quiz.md")
    assert (findings == []) == (translated == source)


@settings(max_examples=60, deadline=None)
@given(marks=st.lists(_marks, min_size=1, max_size=5), seed=st.integers(0, 10_000),
       chosen=st.lists(st.integers(0, 4), min_size=5, max_size=5))
def test_translated_snapshots_grade_the_same_and_show_the_translation(marks, seed, chosen):
    source = _quiz([(f"q{n}", m) for n, m in enumerate(marks)])
    snapshot = build_snapshot(source, random.Random(seed))
    text = {"title": "Quiz DE", "sections": {}, "questions": {
        q.id: {"stem_md": f"DE {q.stem_md}", "body_md": "", "explanation_md": "DE why",
               "options": {o.id: f"DE {o.text_md}" for o in q.options}}
        for q in source.questions}}
    shown = translate_snapshot(snapshot, text)
    answers = {q["id"]: q["options"][chosen[n] % len(q["options"])]["id"]
               for n, q in enumerate(snapshot["questions"])}
    assert grade(shown, answers) == grade(snapshot, answers)
    assert [[o["id"] for o in q["options"]] for q in shown["questions"]] == \
        [[o["id"] for o in q["options"]] for q in snapshot["questions"]]
    for question in shown["questions"]:
        original = next(q for q in source.questions if q.id == question["id"])
        for option in question["options"]:
            assert option["text_md"] == "DE " + next(
                o.text_md for o in original.options if o.id == option["id"])
    assert shown["title"] == "Quiz DE" and snapshot["title"] == "Quiz"


def test_the_content_language_follows_the_choice_then_the_interface_then_english():
    offered = ("en", "de")
    assert choose_locale(offered, "de", "fr") == "de"
    assert choose_locale(offered, None, "de") == "de"
    assert choose_locale(offered, "es", "fr") == "en"
    assert choose_locale(offered, "en", "de") == "en"
    assert choose_locale(("en",), None, "de") == "en"


def test_a_snapshot_without_translation_is_shown_as_it_is():
    snapshot = build_snapshot(_quiz([("a", [True, False])]), random.Random(1))
    assert translate_snapshot(snapshot, None) == snapshot
    partial = translate_snapshot(snapshot, {"questions": {}})
    assert partial["questions"] == snapshot["questions"]
