"""What passing a course has earned the learner: the certificate as it stands today, what is
still to do when none is issued yet, and which course to take next.

The quiz result page, the dashboard and the course page read these facts; the certificates area
sits above courses, so they are read straight from the tables, as in :mod:`standing`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer, joinedload

from app.courses.standing import capstone_status, certification_status
from app.models import Certificate, Course, QuizAttempt
from app.models.certificates import LIVE_STATUSES, VALID
from app.models.quizzes import FINAL_EXAM_KEY


@dataclass(frozen=True)
class Earning:
    """Where a passed final exam has led: the learner's certificate for the course (live, else
    the latest, whatever its state) or, while there is none, what the rule still asks for."""

    certificate: Certificate | None
    state: str | None
    still_to_do: list[str] = field(default_factory=list)
    has_capstone: bool = False
    #: the status of the latest capstone hand-in (None before the first)
    capstone_status: str | None = None
    next_course: Course | None = None

    @property
    def celebrated(self) -> bool:
        """Only a certificate that is valid today is celebrated (never a suspended, revoked,
        renewed or expired one)."""
        return self.state == VALID


@dataclass(frozen=True)
class Certified:
    """The learner's live certificate for a course and, while it is valid, the course to take
    next."""

    certificate: Certificate
    next_course: Course | None = None


def certified(session: Session, user_id: int, course_id: int, now: datetime) -> Certified | None:
    """The learner's live certificate for the course, with the next course; None without one."""
    certificate = live_certificates(session, user_id, [course_id]).get(course_id)
    if certificate is None:
        return None
    following = next_course(session, user_id, course_id, now) \
        if certificate.state(now) == VALID else None
    return Certified(certificate, following)


def final_exam_earning(session: Session, attempt: QuizAttempt, now: datetime) -> Earning | None:
    """What the passed final exam `attempt` has earned; None for any other attempt."""
    if attempt.quiz_key != FINAL_EXAM_KEY or not attempt.passed:
        return None
    course = attempt.course
    version = course.current_version
    has_capstone = version is not None and version.capstone is not None
    certificate = course_certificate(session, attempt.user_id, course.id)
    if certificate is None:
        return Earning(None, None, certification_status(session, attempt.user, course).reasons,
                       has_capstone, capstone_status(session, attempt.user_id, course.id)
                       if has_capstone else None)
    state = certificate.state(now)
    following = next_course(session, attempt.user_id, course.id, now) if state == VALID \
        else None
    return Earning(certificate, state, has_capstone=has_capstone, next_course=following)


def course_certificate(session: Session, user_id: int, course_id: int) -> Certificate | None:
    """The learner's live certificate for the course, else their latest one (its PDF is not
    loaded)."""
    return session.scalar(
        select(Certificate).options(defer(Certificate.pdf))
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.status.in_(LIVE_STATUSES).desc(), Certificate.id.desc()).limit(1))


def next_course(session: Session, user_id: int, course_id: int,
                now: datetime) -> Course | None:
    """The first other published course, in catalogue order, the learner is not certified in
    (holds no live certificate that is still within its validity)."""
    certified = select(Certificate.course_id).where(
        Certificate.user_id == user_id, Certificate.status.in_(LIVE_STATUSES),
        or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))
    return session.scalar(
        select(Course).options(joinedload(Course.current_version))
        .where(Course.status == "published", Course.current_version_id.is_not(None),
               Course.id != course_id, Course.id.not_in(certified))
        .order_by(Course.title).limit(1))


def live_certificates(session: Session, user_id: int,
                      course_ids: Iterable[int]) -> dict[int, Certificate]:
    """The learner's live (active or suspended) certificate per course id, in one query; the
    PDFs are not loaded."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(Certificate).options(defer(Certificate.pdf))
        .where(Certificate.user_id == user_id, Certificate.course_id.in_(ids),
               Certificate.status.in_(LIVE_STATUSES)))
    return {certificate.course_id: certificate for certificate in rows}
