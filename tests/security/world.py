"""A small world for the security suite: two organisations, their HR, learners with quiz attempts
and certificates, a trainer and an admin, set up through the services."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.authoring import services as studio
from app.certificates.services import live_certificate
from app.courses import services as courses
from app.models import Certificate, Course, QuizAttempt, User
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quizzes
from tests.factories import EXAMPLE_COURSE, import_example_course, snapshot_answers

COURSE_SLUG = "example-course"


# --- setting the scene through the services ---------------------------------------------------

def take_quiz(db, user: User, course: Course, quiz_key: str) -> QuizAttempt:
    """Start a quiz and submit the right answers."""
    now = datetime.now(UTC)
    attempt = quizzes.start_attempt(db.session, user, course, quiz_key, now)
    quizzes.submit_attempt(db.session, user, attempt.id, snapshot_answers(attempt.snapshot), now)
    db.session.commit()
    return attempt


def complete_module(db, user: User, course: Course, module_slug: str) -> None:
    """Complete every lesson of one module of a course the learner is enrolled in."""
    now = datetime.now(UTC)
    for lesson in course.current_version.lessons:
        if lesson.module_slug == module_slug:
            courses.complete_lesson(db.session, user, course, module_slug, lesson.slug, now)
    db.session.commit()


def study(db, user: User, course: Course, *, quizzes_too: bool = True) -> None:
    """Enrol and complete every lesson, passing each module quiz on the way; without
    `quizzes_too`, only the first module (the next stays locked until its quiz is passed)."""
    courses.enroll(db.session, user, course, datetime.now(UTC))
    for module in course.current_version.modules:
        complete_module(db, user, course, module.slug)
        if not quizzes_too:
            return
        if module.quiz:
            take_quiz(db, user, course, module.slug)


def certify(db, user: User, course: Course) -> Certificate:
    """Meet the certification rule; passing the final exam issues the certificate."""
    study(db, user, course)
    take_quiz(db, user, course, FINAL_EXAM_KEY)
    certificate = live_certificate(db.session, user, course)
    assert certificate is not None
    return certificate


@dataclass
class World:
    """Who is who, and what they own."""

    course: Course
    hr_a: User
    hr_b: User
    learner_a: User
    learner_b: User
    newcomer_a: User
    trainer: User
    admin: User
    certificate_a: Certificate
    certificate_b: Certificate
    attempt_a: QuizAttempt
    open_attempt: QuizAttempt


def build_world(db, make_org, make_user) -> World:
    """Organisations A and B, each with HR and a certified learner; a newcomer of A with a quiz
    attempt in progress; a trainer who maintains the course in the studio; an admin."""
    course = import_example_course(db)
    org_a, org_b = make_org("Alpha Industries"), make_org("Beta Holdings")
    learner_a = make_user(org=org_a, name="Avery Alpha")
    learner_b = make_user(org=org_b, name="Blake Beta")
    certificate_a, certificate_b = certify(db, learner_a, course), certify(db, learner_b, course)
    attempt_a = db.session.scalar(db.select(QuizAttempt).where(
        QuizAttempt.user_id == learner_a.id, QuizAttempt.quiz_key == FINAL_EXAM_KEY))
    newcomer_a = make_user(org=org_a, name="Noor Newcomer")
    # An attempt still open: nobody else may save or submit it.
    study(db, newcomer_a, course, quizzes_too=False)
    open_attempt = quizzes.start_attempt(db.session, newcomer_a, course, "foundations",
                                         datetime.now(UTC))
    trainer = make_user("trainer")  # the course's maintainer in the studio
    studio.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    db.session.commit()
    return World(course=course, hr_a=make_user("hr", org=org_a), hr_b=make_user("hr", org=org_b),
                 learner_a=learner_a, learner_b=learner_b, newcomer_a=newcomer_a,
                 trainer=trainer, admin=make_user("admin"),
                 certificate_a=certificate_a, certificate_b=certificate_b, attempt_a=attempt_a,
                 open_attempt=open_attempt)


def course_with(tmp_path: Path, edits: dict[str, str]) -> Path:
    """A copy of the example course with some files replaced ({relative path: new text})."""
    folder = tmp_path / COURSE_SLUG
    shutil.copytree(EXAMPLE_COURSE, folder)
    for relative, text in edits.items():
        (folder / relative).write_text(text, encoding="utf-8")
    return folder
