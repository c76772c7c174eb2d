"""The certification rule: every lesson completed, every module quiz and the final exam passed."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from app.courses import services as course_services
from app.courses.services import import_course
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services
from tests.factories import EXAMPLE_COURSE, import_example_course
from tests.factories import take_quiz as take

NOW = datetime(2025, 5, 5, 12, 0, tzinfo=timezone.utc)


def complete_lessons(db, user, course, module_slug: str, count: int | None = None) -> None:
    """Complete the first `count` lessons of a module (all by default)."""
    lessons = [lesson for lesson in course.current_version.lessons
               if lesson.module_slug == module_slug][:count]
    for lesson in lessons:
        course_services.complete_lesson(db.session, user, course, module_slug, lesson.slug, NOW)
    db.session.commit()


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def learner(db, make_user, course):
    user = make_user()
    course_services.enroll(db.session, user, course, NOW)
    db.session.commit()
    return user


def status(db, user, course):
    return services.certification_status(db.session, user, course)


def test_a_new_learner_has_everything_left_to_do(db, course, learner):
    result = status(db, learner, course)
    assert not result.met
    assert result.reasons == [
        "Complete the lessons of module 'Foundations' (0 of 2 done).",
        "Pass the quiz of module 'Foundations'.",
        "Complete the lessons of module 'Writing key results' (0 of 2 done).",
        "Pass the quiz of module 'Writing key results'.",
        "Pass the final exam.",
    ]


def test_reasons_shrink_as_the_learner_progresses(db, course, learner):
    complete_lessons(db, learner, course, "foundations", 1)
    assert status(db, learner, course).reasons[0] == \
        "Complete the lessons of module 'Foundations' (1 of 2 done)."
    complete_lessons(db, learner, course, "foundations")
    take(db, learner, course, "foundations", right=False)
    # a failed attempt counts for nothing
    assert status(db, learner, course).reasons[0] == "Pass the quiz of module 'Foundations'."
    take(db, learner, course, "foundations")
    complete_lessons(db, learner, course, "writing-key-results")
    take(db, learner, course, "writing-key-results")
    assert status(db, learner, course).reasons == ["Pass the final exam."]


def test_the_rule_is_met_once_the_final_exam_is_passed(db, course, learner):
    for module in ("foundations", "writing-key-results"):
        complete_lessons(db, learner, course, module)
        take(db, learner, course, module)
    take(db, learner, course, FINAL_EXAM_KEY, right=False)
    assert status(db, learner, course).reasons == ["Pass the final exam."]
    take(db, learner, course, FINAL_EXAM_KEY, now=NOW + timedelta(hours=2))  # after the cooldown
    assert status(db, learner, course) == services.CertificationStatus(True, [])


def test_a_course_without_final_exam_needs_lessons_and_quizzes_only(db, course, learner):
    course.current_version.final_exam = None
    db.session.commit()
    for module in ("foundations", "writing-key-results"):
        complete_lessons(db, learner, course, module)
        take(db, learner, course, module)
    assert status(db, learner, course).met


def test_progress_survives_a_new_course_version(db, course, learner, tmp_path):
    complete_lessons(db, learner, course, "foundations")
    take(db, learner, course, "foundations")
    changed = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, changed)
    course_md = changed / "course.md"
    course_md.write_text(course_md.read_text() + "\nA new paragraph for version 2.\n")
    import_course(db.session, changed)
    db.session.commit()
    assert course.current_version.number == 2
    reasons = status(db, learner, course).reasons
    assert "Pass the quiz of module 'Foundations'." not in reasons
    assert not any("'Foundations'" in reason for reason in reasons)


def test_a_course_without_content_is_not_met(db, course, learner):
    course.current_version = None
    db.session.flush()
    result = status(db, learner, course)
    assert not result.met and result.reasons == ["The course has no published content yet."]
