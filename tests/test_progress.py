"""Enrolment, lesson completion, the unlock rule, progress numbers and the dashboard queries."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from app.courses import services
from app.courses.services import LessonRef, ModuleRef, UnlockState, module_unlock_state
from app.models import QuizAttempt
from tests.factories import EXAMPLE_COURSE, import_example_course, statements_run

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def record_pass(db, user, course, quiz_key: str) -> None:
    """A passed attempt at a quiz, as grading stores it (the standing reads only these rows)."""
    db.session.add(QuizAttempt(
        user_id=user.id, course_id=course.id, version_id=course.current_version_id,
        quiz_key=quiz_key, number=1, snapshot={}, answers={}, status="submitted",
        started_at=T0, submitted_at=T0, score=100.0, passed=True))
    db.session.commit()


@pytest.fixture
def learner(make_user):
    return make_user("learner")


@pytest.fixture
def course(db):
    return import_example_course(db)


def complete(db, user, course, *keys: tuple[str, str]) -> None:
    for module_slug, lesson_slug in keys:
        services.complete_lesson(db.session, user, course, module_slug, lesson_slug, now=T0)
    db.session.commit()


MODULE_1 = (("foundations", "origins"), ("foundations", "anatomy"))
MODULE_2 = (("writing-key-results", "measurable"), ("writing-key-results", "scoring"))


# --- the unlock rule, as a pure function --------------------------------------------------


def outline(*modules: tuple[str, int, bool]) -> tuple[ModuleRef, ...]:
    """Modules given as (slug, lesson count, has quiz); lessons are named l1, l2..."""
    return tuple(
        ModuleRef(slug, n, slug.title(), "", has_quiz,
                  tuple(LessonRef(slug, f"l{i}", f"L{i}", 5) for i in range(1, count + 1)))
        for n, (slug, count, has_quiz) in enumerate(modules, start=1))


def test_first_module_is_always_open_and_the_next_waits_for_lessons():
    states = module_unlock_state(outline(("a", 2, False), ("b", 1, False)), {("a", "l1")}, set(),
                                 sequential=True)
    assert states["a"] == UnlockState(True)
    assert states["b"] == UnlockState(False, "Complete the lessons of Module 1: A first.")


def test_next_module_waits_for_the_quiz_then_opens():
    modules = outline(("a", 1, True), ("b", 1, False))
    done = {("a", "l1")}
    assert module_unlock_state(modules, done, set(), True)["b"].reason == \
        "Pass the quiz of Module 1: A first."
    assert module_unlock_state(modules, done, {"a"}, True)["b"].unlocked


def test_a_locked_module_names_the_first_blocker():
    modules = outline(("a", 1, True), ("b", 1, False), ("c", 1, False))
    states = module_unlock_state(modules, {("b", "l1")}, set(), True)
    assert states["c"].reason == "Complete the lessons of Module 1: A first."


def test_non_sequential_courses_open_every_module():
    states = module_unlock_state(outline(("a", 2, True), ("b", 1, True)), set(), set(), False)
    assert all(state.unlocked for state in states.values())


def test_a_module_without_lessons_does_not_block():
    states = module_unlock_state(outline(("a", 0, False), ("b", 1, False)), set(), set(), True)
    assert states["b"].unlocked


# --- enrolment and completion -------------------------------------------------------------


def test_enroll_is_idempotent(db, learner, course):
    first = services.enroll(db.session, learner, course, now=T0)
    second = services.enroll(db.session, learner, course)
    db.session.commit()
    assert first.id == second.id and first.enrolled_at == T0


def test_enroll_refuses_an_archived_course(db, learner, course):
    course.status = "archived"
    with pytest.raises(services.CourseError):
        services.enroll(db.session, learner, course)


def test_complete_lesson_needs_enrolment_and_an_existing_lesson(db, learner, course):
    with pytest.raises(services.NotEnrolled):
        services.complete_lesson(db.session, learner, course, "foundations", "origins")
    services.enroll(db.session, learner, course)
    with pytest.raises(services.LessonNotFound):
        services.complete_lesson(db.session, learner, course, "foundations", "nope")
    with pytest.raises(services.LessonLocked, match="Complete the lessons of Module 1"):
        services.complete_lesson(db.session, learner, course, *MODULE_2[0])


def test_complete_lesson_keeps_the_first_completion_time(db, learner, course):
    services.enroll(db.session, learner, course)
    services.complete_lesson(db.session, learner, course, *MODULE_1[0], now=T0)
    again = services.complete_lesson(db.session, learner, course, *MODULE_1[0],
                                     now=T0 + timedelta(days=1))
    db.session.commit()
    assert again.completed_at == T0
    assert services.completed_lessons(db.session, learner, course) == {MODULE_1[0]: T0}


def test_a_quiz_not_yet_passed_keeps_the_next_module_locked(db, learner, course):
    services.enroll(db.session, learner, course)
    complete(db, learner, course, *MODULE_1)
    progress = services.course_progress(db.session, learner, course)
    assert progress.modules[1].state.reason == "Pass the quiz of Module 1: Foundations first."
    assert progress.pending_quiz.module.slug == "foundations"
    assert progress.next_lesson is None


def test_passed_quiz_keys_count_only_passed_attempts(db, learner, course):
    assert services.passed_quiz_keys(db.session, learner, course) == set()
    assert services.passed_quiz_keys_for_courses(db.session, learner, [course.id]) == \
        {course.id: set()}
    record_pass(db, learner, course, "foundations")
    assert services.passed_quiz_keys(db.session, learner, course) == {"foundations"}
    assert services.passed_quiz_keys_for_courses(db.session, learner, []) == {}


def test_passing_the_quiz_opens_the_next_module(db, learner, course):
    services.enroll(db.session, learner, course)
    complete(db, learner, course, *MODULE_1)
    record_pass(db, learner, course, "foundations")
    complete(db, learner, course, MODULE_2[0])
    progress = services.course_progress(db.session, learner, course)
    assert progress.modules[1].state.unlocked and progress.modules[0].quiz_passed
    assert progress.next_lesson.key == MODULE_2[1]


# --- progress numbers ---------------------------------------------------------------------


def test_progress_numbers_and_next_and_last_viewed(db, learner, course):
    services.enroll(db.session, learner, course)
    progress = services.course_progress(db.session, learner, course)
    assert (progress.completed, progress.total, progress.percent) == (0, 4, 0)
    assert progress.next_lesson.key == MODULE_1[0] and progress.resume_lesson.key == MODULE_1[0]
    complete(db, learner, course, MODULE_1[0])
    services.record_lesson_view(db.session, learner, course, *MODULE_1[1], now=T0)
    db.session.commit()
    progress = services.course_progress(db.session, learner, course)
    assert (progress.completed, progress.percent) == (1, 25)
    assert [m.percent for m in progress.modules] == [50, 0]
    assert progress.last_viewed.key == MODULE_1[1] and progress.last_viewed_at == T0
    assert progress.resume_lesson.key == MODULE_1[1]
    assert progress.modules[0].lessons[0].completed_at == T0


def test_percent_rounds_down_so_100_means_done():
    assert services.percent(2, 3) == 66 and services.percent(0, 0) == 0
    assert services.percent(3, 3) == 100


def test_visitor_progress_is_empty(db, course):
    progress = services.course_progress(db.session, None, course)
    assert not progress.enrolled and progress.total == 4 and progress.percent == 0


def test_a_lesson_removed_in_a_new_version_drops_out(db, learner, tmp_path):
    folder = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, folder)
    course = services.import_course(db.session, folder).course
    services.enroll(db.session, learner, course)
    complete(db, learner, course, *MODULE_1)
    services.record_lesson_view(db.session, learner, course, *MODULE_1[1])
    assert services.course_progress(db.session, learner, course).percent == 50

    removed = (folder / "01-foundations" / "02-anatomy.md").read_text(encoding="utf-8")
    (folder / "01-foundations" / "02-anatomy.md").unlink()
    services.import_course(db.session, folder)
    db.session.commit()
    progress = services.course_progress(db.session, learner, course)
    assert (progress.completed, progress.total, progress.percent) == (1, 3, 33)
    assert progress.modules[0].percent == 100 and progress.last_viewed is None

    # Reinstated under the same slug (even with a new number), the completion counts again.
    (folder / "01-foundations" / "05-anatomy.md").write_text(removed, encoding="utf-8")
    services.import_course(db.session, folder)
    db.session.commit()
    assert services.course_progress(db.session, learner, course).percent == 50


# --- the dashboard ------------------------------------------------------------------------


def _import_copies(db, tmp_path, count: int):
    root = tmp_path / "many"
    for n in range(count):
        shutil.copytree(EXAMPLE_COURSE, root / f"course-{n}")
    results = services.import_courses(db.session, root)
    db.session.commit()
    return [r.course for r in results]


def test_dashboard_uses_a_fixed_number_of_queries(db, make_user, tmp_path):
    courses = _import_copies(db, tmp_path, 4)
    one, many = make_user("learner"), make_user("learner")
    services.enroll(db.session, one, courses[0])
    for course in courses:
        services.enroll(db.session, many, course)
        complete(db, many, course, MODULE_1[0])
    db.session.commit()
    db.session.expire_all()
    queries_one = len(statements_run(db, lambda: services.dashboard_rows(db.session, one)))
    db.session.expire_all()
    queries_many = len(statements_run(db, lambda: services.dashboard_rows(db.session, many)))
    assert queries_one == queries_many <= 6  # the expired user reloads, then 5 queries
    rows = services.dashboard_rows(db.session, many)
    assert len(rows) == 4 and all(row.progress.percent == 25 for row in rows)


def test_dashboard_rows_order_and_empty(db, learner, course, make_user):
    assert services.dashboard_rows(db.session, learner) == []
    services.enroll(db.session, learner, course)
    services.record_lesson_view(db.session, learner, course, *MODULE_1[0])
    db.session.commit()
    rows = services.dashboard_rows(db.session, learner)
    assert [row.course.slug for row in rows] == ["example-course"]
    assert rows[0].progress.resume_lesson.key == MODULE_1[0]
