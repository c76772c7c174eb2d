"""The courses we ship meet the standard the catalogue promises."""
import re
from collections import Counter
from pathlib import Path

import pytest

from app.courses.content import load_course
from app.courses.validation import validate_courses_root

COURSES = Path(__file__).resolve().parent.parent / "courses"
EXECUTIVE_DRAW = {"foundations": 6, "objectives-and-key-results": 10, "communicating-objectives": 5,
                  "leading-the-rollout": 6, "facilitating-the-practice": 8,
                  "accountability-and-alignment": 5}
#: lessons that are not teaching prose: the module checklists and the references
REFERENCE_SLUGS = {"checklist", "references"}


def words(markdown: str) -> int:
    return len(re.findall(r"[A-Za-z0-9’'%.-]+", markdown))


@pytest.fixture(scope="module")
def executive():
    return load_course(COURSES / "okr-executive")


def test_every_shipped_course_validates():
    assert [str(p) for p in validate_courses_root(COURSES)] == []


def test_executive_course_frame(executive):
    assert executive.title == "OKR Certification for Executives"
    assert executive.validity_months == 24
    assert executive.sequential
    assert [m.slug for m in executive.modules] == list(EXECUTIVE_DRAW)


def test_each_module_has_three_to_five_lessons_of_the_right_length(executive):
    for module in executive.modules:
        teaching = [l for l in module.lessons if l.slug not in REFERENCE_SLUGS]
        assert 3 <= len(teaching) <= 5, module.slug
        for lesson in teaching:
            count = words(lesson.body_md)
            assert 600 <= count <= 1600, f"{module.slug}/{lesson.slug}: {count} words"
            assert "## Exercise" in lesson.body_md, f"{module.slug}/{lesson.slug} has no exercise"
            assert re.search(r"> \[!(NOTE|TIP|WARNING)\]", lesson.body_md), lesson.slug
        assert any(l.slug == "checklist" for l in module.lessons), f"{module.slug}: no checklist"
        assert module.intro_md.strip()


def test_module_quizzes(executive):
    for module in executive.modules:
        quiz = module.quiz
        assert quiz is not None, module.slug
        assert len(quiz.questions) >= 8
        assert quiz.pass_mark == 80
        kinds = Counter(q.kind for q in quiz.questions)
        assert kinds["multiple"] >= 1 and kinds["single"] >= 1, module.slug


def test_final_exam_blueprint(executive):
    exam = executive.final_exam
    assert exam.pass_mark == 80 and exam.section_pass_mark == 60
    assert exam.max_attempts == 3 and exam.cooldown_minutes == 24 * 60
    assert exam.time_limit_minutes == 60
    assert exam.draw == EXECUTIVE_DRAW and sum(exam.draw.values()) == 40
    pool = Counter(q.section_id for q in exam.questions)
    assert len(exam.questions) >= 80
    for section, drawn in EXECUTIVE_DRAW.items():
        assert pool[section] >= 2 * drawn, f"{section}: pool {pool[section]} < 2 x {drawn}"
    scenarios = sum(q.id.startswith("scenario-") for q in exam.questions)
    assert 0.25 <= scenarios / len(exam.questions) <= 0.40


def test_every_question_has_a_teaching_explanation():
    for course_dir in sorted(p for p in COURSES.iterdir() if (p / "course.md").exists()):
        course = load_course(course_dir)
        quizzes = [m.quiz for m in course.modules if m.quiz] + [course.final_exam]
        for quiz in filter(None, quizzes):
            for question in quiz.questions:
                assert words(question.explanation_md) >= 8, f"{course.slug}/{question.id}"


def test_figures_are_accessible(executive):
    svgs = [a for a in executive.assets if a.path.endswith(".svg")]
    assert {a.path for a in svgs} >= {"okr-cycle.svg", "scoring-scale.svg",
                                      "alignment-vs-cascading.svg"}
    for asset in svgs:
        text = asset.data.decode()
        assert "<title" in text and "<desc" in text and "<script" not in text


def test_a_second_course_ships():
    essentials = load_course(COURSES / "okr-essentials")
    assert len(essentials.modules) == 2 and essentials.final_exam is not None
