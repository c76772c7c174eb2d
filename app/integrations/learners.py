"""The organisation read API's documents: its learners' progress and its certificates.

Plain data for JSON, read in a fixed number of queries per page whatever the page holds. Only
the token's organisation is ever read.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from app.courses.services import percent, version_outlines
from app.models import (
    Certificate, Course, CourseVersion, Enrollment, LessonProgress, Organisation, User,
)

#: largest page the API serves
MAX_PER_PAGE = 100
VerifyUrl = Callable[[str], str]


def learner_page(session: Session, organisation: Organisation, page: int, per_page: int,
                 now: datetime, verify_url: VerifyUrl) -> dict[str, Any]:
    """One page of the organisation's members (by id), each with enrolments and certificates."""
    members = select(User).where(User.organisation_id == organisation.id)
    total = session.scalar(select(func.count()).select_from(members.subquery()))
    users = list(session.scalars(members.order_by(User.id).offset((page - 1) * per_page)
                                 .limit(per_page)))
    return {"data": learner_documents(session, users, now, verify_url), "page": page,
            "per_page": per_page, "total": total}


def learner_document(session: Session, organisation: Organisation, learner_id: int,
                     now: datetime, verify_url: VerifyUrl) -> dict[str, Any] | None:
    """One member of the organisation, else None (another organisation's member too)."""
    user = session.get(User, learner_id)
    if user is None or user.organisation_id != organisation.id:
        return None
    return learner_documents(session, [user], now, verify_url)[0]


def learner_documents(session: Session, users: Sequence[User], now: datetime,
                      verify_url: VerifyUrl) -> list[dict[str, Any]]:
    ids = [user.id for user in users]
    enrolments = _enrolments(session, ids)
    certificates = _certificates(session, ids)
    return [{
        "id": user.id, "name": user.name, "email": user.email, "active": user.is_active_account,
        "enrolments": enrolments.get(user.id, []),
        "certificates": [certificate_document(c, now, verify_url)
                         for c in certificates.get(user.id, [])],
    } for user in users]


def certificate_page(session: Session, organisation: Organisation, page: int, per_page: int,
                     now: datetime, verify_url: VerifyUrl) -> dict[str, Any]:
    """One page of the certificates of the organisation's members, newest first."""
    held = select(Certificate).join(User, Certificate.user_id == User.id) \
        .where(User.organisation_id == organisation.id)
    total = session.scalar(select(func.count()).select_from(held.subquery()))
    rows = session.scalars(held.options(defer(Certificate.pdf), defer(Certificate.payload))
                           .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return {"data": [certificate_document(c, now, verify_url) for c in rows], "page": page,
            "per_page": per_page, "total": total}


def certificate_document(certificate: Certificate, now: datetime,
                         verify_url: VerifyUrl) -> dict[str, Any]:
    return {
        "code": certificate.code, "learner_id": certificate.user_id,
        "holder_name": certificate.holder_name, "course_slug": certificate.course_slug,
        "course_title": certificate.course_title,
        "issued_at": certificate.issued_at.isoformat(),
        "expires_at": certificate.expires_at.isoformat() if certificate.expires_at else None,
        "status": certificate.state(now), "verify_url": verify_url(certificate.code),
    }


def _enrolments(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        select(Enrollment.user_id, Enrollment.course_id, Enrollment.enrolled_at, Course.slug,
               CourseVersion.id, CourseVersion.title, CourseVersion.content_hash)
        .join(Course, Enrollment.course_id == Course.id)
        .join(CourseVersion, Course.current_version_id == CourseVersion.id)
        .where(Enrollment.user_id.in_(ids)).order_by(Enrollment.enrolled_at)).all()
    outlines = version_outlines(session, {(row[4], row[6]) for row in rows})
    done: dict[tuple[int, int], set[tuple[str, str]]] = {}
    for user_id, course_id, module_slug, lesson_slug in session.execute(
            select(LessonProgress.user_id, LessonProgress.course_id, LessonProgress.module_slug,
                   LessonProgress.lesson_slug).where(LessonProgress.user_id.in_(ids))):
        done.setdefault((user_id, course_id), set()).add((module_slug, lesson_slug))
    found: dict[int, list[dict[str, Any]]] = {}
    for user_id, course_id, enrolled_at, slug, version_id, title, _ in rows:
        lessons = {lesson.key for module in outlines.get(version_id, ())
                   for lesson in module.lessons}
        completed = len(lessons & done.get((user_id, course_id), set()))
        found.setdefault(user_id, []).append({
            "course_slug": slug, "course_title": title, "enrolled_at": enrolled_at.isoformat(),
            "lessons_completed": completed, "lessons_total": len(lessons),
            "progress_percent": percent(completed, len(lessons))})
    return found


def _certificates(session: Session, ids: list[int]) -> dict[int, list[Certificate]]:
    found: dict[int, list[Certificate]] = {}
    for certificate in session.scalars(
            select(Certificate).options(defer(Certificate.pdf), defer(Certificate.payload))
            .where(Certificate.user_id.in_(ids)).order_by(Certificate.issued_at)):
        found.setdefault(certificate.user_id, []).append(certificate)
    return found
