"""Quiz results: a learner's best scores and the trainer's statistics per question.

What a learner passed and the certification rule belong to the learner's standing
(:mod:`app.courses.standing`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.standing import passed_quiz_keys
from app.models import Course, QuizAttempt, User
from app.models.quizzes import FINAL_EXAM_KEY, SUBMITTED
from app.quizzes.errors import QuizNotFound


@dataclass(frozen=True)
class QuizResultSummary:
    """A learner's standing on one quiz, for the dashboard."""

    quiz_key: str
    title: str
    attempts: int
    best_score: float | None
    passed: bool
    last_submitted_at: datetime | None


@dataclass(frozen=True)
class QuizStatistics:
    """A trainer's view of one quiz over every submitted attempt."""

    quiz_key: str
    title: str
    attempts: int
    learners: int
    passed_attempts: int
    average_score: float | None

    @property
    def pass_rate(self) -> float | None:
        """Share of submitted attempts that passed (0..1), None before the first one."""
        return self.passed_attempts / self.attempts if self.attempts else None


# Finding quizzes and attempts


def best_results(session: Session, user: User, course: Course) -> dict[str, QuizResultSummary]:
    """Per quiz key: attempts submitted, best score and whether it was passed."""
    rows = session.execute(
        select(QuizAttempt.quiz_key, func.count(QuizAttempt.id), func.max(QuizAttempt.score),
               func.max(QuizAttempt.submitted_at))
        .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
               QuizAttempt.status == SUBMITTED)
        .group_by(QuizAttempt.quiz_key)
    ).all()
    passed = passed_quiz_keys(session, user, course)
    titles = _quiz_titles(course)
    return {
        key: QuizResultSummary(key, titles.get(key, key), count, score, key in passed, last)
        for key, count, score, last in rows
    }


def _quiz_titles(course: Course) -> dict[str, str]:
    """Quiz titles of the current version by quiz key."""
    version = course.current_version
    if version is None:
        return {}
    titles = {m.slug: m.quiz["title"] for m in version.modules if m.quiz}
    if version.final_exam:
        titles[FINAL_EXAM_KEY] = version.final_exam["title"]
    return titles


# Statistics for trainers

def quiz_statistics(session: Session, course: Course, quiz_key: str) -> QuizStatistics:
    """Attempts, learners, pass rate and average score over submitted attempts (each question's
    figures: :mod:`app.quizzes.item_stats`)."""
    attempts = list(session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.course_id == course.id, QuizAttempt.quiz_key == quiz_key,
               QuizAttempt.status == SUBMITTED)
        .order_by(QuizAttempt.submitted_at)
    ))
    if not attempts and quiz_key not in _quiz_titles(course):
        raise QuizNotFound(_l("This course has no such quiz."))
    scores = [a.score for a in attempts if a.score is not None]
    return QuizStatistics(
        quiz_key=quiz_key,
        title=_quiz_titles(course).get(quiz_key) or attempts[-1].snapshot["title"],
        attempts=len(attempts),
        learners=len({a.user_id for a in attempts}),
        passed_attempts=sum(bool(a.passed) for a in attempts),
        average_score=round(sum(scores) / len(scores), 2) if scores else None,
    )
