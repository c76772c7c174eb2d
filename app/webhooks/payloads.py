"""What each webhook says: the `data` of its Standard Webhooks payload.

Plain JSON values only (strings, numbers, ISO 8601 times in UTC). A certificate's message names
its code, status, dates and verification link, its holder and course; a status change adds the
public reason (a code and its sentence in the default language), never the administrator's
internal note.
"""
from __future__ import annotations

from datetime import datetime

from app.certificates.services import public_reason_text
from app.models import Certificate, Course, CourseVersion, User


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def holder(user: User) -> dict:
    return {"user_id": user.id, "name": user.name, "email": user.email}


def course(course: Course, version: CourseVersion | int | None) -> dict:
    number = version.number if isinstance(version, CourseVersion) else version
    return {"slug": course.slug, "title": course.title, "version": number}


def certificate_data(certificate: Certificate, verify_url: str, now: datetime) -> dict:
    """The facts of a certificate event: the certificate, its holder, its course."""
    return {
        "certificate": {
            "code": certificate.code, "status": certificate.state(now),
            "issued_at": iso(certificate.issued_at), "expires_at": iso(certificate.expires_at),
            "verify_url": verify_url,
            "renews": certificate.previous.code if certificate.previous_id else None,
        },
        "holder": holder(certificate.user),
        "course": {"slug": certificate.course_slug, "title": certificate.course_title,
                   "version": certificate.version_number},
    }


def status_change_data(certificate: Certificate, verify_url: str, now: datetime) -> dict:
    """A revocation, suspension or reinstatement: the certificate's facts and the public
    reason (None when none was given, and after a reinstatement)."""
    data = certificate_data(certificate, verify_url, now)
    key = certificate.public_reason if certificate.status != "active" else None
    text = public_reason_text(key)
    data["reason"] = {"code": key, "text": str(text)} if key and text else None
    data["changed_at"] = iso(certificate.status_changed_at or now)
    return data


def completion_data(user: User, completed_course: Course, version: CourseVersion | None,
                    now: datetime, *, through: str) -> dict:
    """A learner completed a course: who, which course, when, and what completed it
    (`final_exam` or `capstone`)."""
    return {"learner": holder(user), "course": course(completed_course, version),
            "completed_at": iso(now), "completed_by": through}
