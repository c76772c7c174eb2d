"""Bulk seeding for benchmarks: learners who met a course's rule, inserted set-wise (no ORM loops)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password, hasher
from app.models import Enrollment, LessonProgress, QuizAttempt, User
from app.models.capstones import PASSED, CapstoneSubmission
from app.models.quizzes import FINAL_EXAM_KEY

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def seed_certified_learners(session: Session, course, count: int, *, prefix: str = "learner",
                            organisation_id: int | None = None, complete: bool = True,
                            passed_quizzes: Sequence[str] | None = None) -> list[int]:
    """Insert `count` learners enrolled in `course`; with `complete`, every lesson done and every
    quiz, the final exam and the capstone (when the course has one) passed; only the quizzes
    named in `passed_quizzes` when given (e.g. the module quizzes without the exam), and then no
    capstone. Returns their ids."""
    password_hash = hash_password("Bench-Password-1", hasher(1, 1024))
    session.execute(insert(User), [
        {"email": f"{prefix}{i}@bench.example", "name": f"Bench {prefix.title()} {i}",
         "password_hash": password_hash, "organisation_id": organisation_id,
         "is_active_account": True, "created_at": NOW,
         "email_verified_at": NOW} for i in range(count)])
    ids = list(session.scalars(select(User.id).where(User.email.like(f"{prefix}%@bench.example"))
                               .order_by(User.id)))
    version = course.current_version
    session.execute(insert(Enrollment), [
        {"user_id": uid, "course_id": course.id, "enrolled_at": NOW} for uid in ids])
    if complete:
        lessons = [(lesson.module_slug, lesson.slug) for lesson in version.lessons]
        session.execute(insert(LessonProgress), [
            {"user_id": uid, "course_id": course.id, "module_slug": module, "lesson_slug": slug,
             "completed_at": NOW} for uid in ids for module, slug in lessons])
        quiz_keys = [m.slug for m in version.modules if m.quiz] + (
            [FINAL_EXAM_KEY] if version.final_exam else [])
        if passed_quizzes is not None:
            quiz_keys = list(passed_quizzes)
        if quiz_keys:
            session.execute(insert(QuizAttempt), [
                {"user_id": uid, "course_id": course.id, "version_id": version.id,
                 "quiz_key": key, "number": 1, "snapshot": {}, "answers": {},
                 "status": "submitted", "started_at": NOW, "submitted_at": NOW, "score": 100.0,
                 "passed": True, "late": False} for uid in ids for key in quiz_keys])
        if passed_quizzes is None and version.capstone is not None:
            session.execute(insert(CapstoneSubmission), [
                {"user_id": uid, "course_id": course.id, "version_id": version.id, "attempt": 1,
                 "text_md": "Our quarterly objectives.", "submitted_at": NOW, "status": PASSED,
                 "graded_at": NOW, "scores": {}, "comment": "", "total": 10, "max_total": 10}
                for uid in ids])
    session.flush()
    return ids
