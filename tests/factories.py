"""Helpers other test modules reuse: course content, quiz answers, learners who met the rule,
the SQL a step runs."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event

from app.courses import services as course_services
from app.courses.services import import_course
from app.models import Course
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quiz_services

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_COURSE = FIXTURES / "courses" / "example-course"


def import_example_course(db) -> Course:
    """Import tests/fixtures/courses/example-course (committed) and return its Course."""
    result = import_course(db.session, EXAMPLE_COURSE)
    db.session.commit()
    return result.course


#: when the shared helpers take quizzes unless told otherwise
QUIZ_TIME = datetime(2025, 5, 5, 12, 0, tzinfo=timezone.utc)
EXAMPLE_MODULES = ("foundations", "writing-key-results")


def snapshot_answers(snapshot: dict, *, right: bool = True) -> dict:
    """Answers to every question of an attempt's snapshot: the key, or only wrong answers."""
    answers = {}
    for question in snapshot["questions"]:
        ids = [o["id"] for o in question["options"] if o["correct"] == right]
        if question["kind"] == "numeric":
            answers[question["id"]] = str(question["answer"] + (0 if right else 1000))
        else:
            answers[question["id"]] = ids if question["kind"] == "multiple" else ids[0]
    return answers


def take_quiz(db, user, course, quiz_key: str, now: datetime = QUIZ_TIME, *,
              right: bool = True) -> None:
    """Start a quiz and submit the key (or only wrong answers)."""
    attempt = quiz_services.start_attempt(db.session, user, course, quiz_key, now)
    quiz_services.submit_attempt(db.session, user, attempt.id,
                                 snapshot_answers(attempt.snapshot, right=right), now)
    db.session.commit()


def meet_rule(db, user, course, now: datetime = QUIZ_TIME) -> None:
    """Enrol, complete every lesson, pass every quiz and the final exam of the example course."""
    ready_for_exam(db, user, course, now)
    take_quiz(db, user, course, FINAL_EXAM_KEY, now)


def ready_for_exam(db, user, course, now: datetime = QUIZ_TIME) -> None:
    """Enrol, complete every lesson and pass every module quiz: all but the final exam."""
    course_services.enroll(db.session, user, course, now)
    for module in EXAMPLE_MODULES:
        for lesson in course.current_version.lessons:
            if lesson.module_slug == module:
                course_services.complete_lesson(db.session, user, course, module, lesson.slug,
                                                now)
        db.session.commit()
        take_quiz(db, user, course, module, now)


def statements_run(db, action: Callable[[], object]) -> list[str]:
    """The SQL statements `action()` sends to the database, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements
