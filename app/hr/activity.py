"""Where each enrolment of an organisation stands: started or not, last active when, certified.

Shared by the reminders HR sends (nudges) and the weekly digest. One query, whatever the number
of learners: lessons and quiz attempts are grouped per (learner, course) in subqueries.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.models import Certificate, Course, Enrollment, LessonProgress, Organisation, QuizAttempt, User
from app.models.certificates import ACTIVE

#: an enrolment without any activity for this long is stuck
STUCK_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class EnrolmentActivity:
    """One learner in one course, with their last sign of life in it."""

    learner_id: int
    name: str
    email: str
    wants_nudges: bool
    course_id: int
    course_slug: str
    course_title: str
    enrolled_at: datetime
    last_activity_at: datetime
    lessons_done: int
    certified: bool

    @property
    def started(self) -> bool:
        """At least one lesson completed."""
        return self.lessons_done > 0

    def idle(self, now: datetime) -> bool:
        """No activity (enrolling, opening or completing a lesson, a quiz) for STUCK_AFTER."""
        return self.last_activity_at <= now - STUCK_AFTER

    def stuck(self, now: datetime) -> bool:
        """Enrolled, not certified, idle: what the weekly digest counts."""
        return not self.certified and self.idle(now)

    def needs_nudge(self, now: datetime) -> bool:
        """Not certified, and either not started or idle: whom HR may remind."""
        return not self.certified and (not self.started or self.idle(now))


def certified_clause(now: datetime, user_id, course_id):
    """SQL: the learner holds an active certificate of the course that has not expired."""
    return exists().where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.status == ACTIVE,
        or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))


def enrolment_activity(session: Session, org: Organisation, now: datetime, *,
                       learner_ids: Collection[int] | None = None) -> list[EnrolmentActivity]:
    """Every enrolment of the organisation's members (or of these members only), by name."""
    members = select(User.id).where(User.organisation_id == org.id).scalar_subquery()
    lessons = (
        select(LessonProgress.user_id, LessonProgress.course_id,
               func.count().label("done"), func.max(LessonProgress.completed_at).label("last"))
        .where(LessonProgress.user_id.in_(members))
        .group_by(LessonProgress.user_id, LessonProgress.course_id).subquery())
    quizzes = (
        select(QuizAttempt.user_id, QuizAttempt.course_id,
               func.max(QuizAttempt.started_at).label("last"))
        .where(QuizAttempt.user_id.in_(members))
        .group_by(QuizAttempt.user_id, QuizAttempt.course_id).subquery())
    stmt = (
        select(User.id, User.name, User.email, User.mail_nudges, Course.id, Course.slug,
               Course.title, Enrollment.enrolled_at, Enrollment.last_viewed_at,
               func.coalesce(lessons.c.done, 0), lessons.c.last, quizzes.c.last,
               certified_clause(now, Enrollment.user_id, Enrollment.course_id))
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(lessons, and_(lessons.c.user_id == Enrollment.user_id,
                                 lessons.c.course_id == Enrollment.course_id))
        .outerjoin(quizzes, and_(quizzes.c.user_id == Enrollment.user_id,
                                 quizzes.c.course_id == Enrollment.course_id))
        .where(User.organisation_id == org.id)
        .order_by(User.name, User.id, Course.title))
    if learner_ids is not None:
        stmt = stmt.where(User.id.in_(list(learner_ids)))
    found = []
    for (user_id, name, email, wants_nudges, course_id, slug, title, enrolled_at, viewed_at,
         done, lesson_at, quiz_at, certified) in session.execute(stmt):
        moments = [moment for moment in (enrolled_at, viewed_at, lesson_at, quiz_at) if moment]
        found.append(EnrolmentActivity(
            learner_id=user_id, name=name, email=email, wants_nudges=bool(wants_nudges),
            course_id=course_id, course_slug=slug, course_title=title, enrolled_at=enrolled_at,
            last_activity_at=max(moments), lessons_done=int(done), certified=bool(certified)))
    return found


def iso_week(moment: datetime) -> str:
    """The ISO year and week of a moment, as in 2026-W49: the bucket of weekly mails."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"
