"""How the webhooks area reacts to the domain's events: a certificate event of a holder who
belongs to an organisation becomes a delivery to each of its endpoints subscribed to it, written
in the transaction of the event (see :mod:`app.webhooks.outbox`). Connected by app.receivers.

`learner.completed` has no event of its own: a learner completes a course when its
certification rule holds (every lesson, every module quiz, the final exam and, where there is
one, the capstone). The final exam opens only once the lessons and quizzes are done, so the rule
can only come to hold when a final exam is passed or a capstone is scored as a pass: those two
events are checked against the rule. It is told whether or not a certificate follows (one is
held back while the learner's address is unconfirmed), and again for a renewal.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.courses.standing import certification_status
from app.models import CapstoneSubmission, Certificate, CourseVersion, QuizAttempt
from app.models.capstones import PASSED as CAPSTONE_PASSED
from app.notifications.extension import SiteLinks
from app.notifications.receivers import REMINDER_STEPS
from app.webhooks import payloads
from app.webhooks.outbox import write_event


def _verify_url(certificate: Certificate) -> str:
    return SiteLinks(current_app).url("verify.certificate_page", code=certificate.code)


def certificate_issued(_sender: Any, *, session: Session, certificate: Certificate,
                       now: datetime, **_: Any) -> None:
    organisation_id = certificate.user.organisation_id
    if organisation_id is None:
        return
    write_event(session, organisation_id, "certificate.issued",
                payloads.certificate_data(certificate, _verify_url(certificate), now),
                cause=f"certificate.issued:{certificate.id}", now=now)


def certificate_expiring(_sender: Any, *, session: Session, certificate: Certificate,
                         days_left: int, now: datetime, **_: Any) -> None:
    """Told once per reminder step (90, 30 and 7 days before), as the holder's mail is."""
    organisation_id = certificate.user.organisation_id
    step = next((days for days in REMINDER_STEPS if days_left <= days), None)
    if organisation_id is None or step is None:
        return
    data = payloads.certificate_data(certificate, _verify_url(certificate), now)
    data["days_left"] = max(days_left, 0)
    write_event(session, organisation_id, "certificate.expiring", data,
                cause=f"certificate.expiring:{certificate.id}:{step}", now=now)


def _status_change(event_type: str):
    def tell(_sender: Any, *, session: Session, certificate: Certificate, now: datetime,
             **_: Any) -> None:
        organisation_id = certificate.user.organisation_id
        if organisation_id is None:
            return
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            data = payloads.status_change_data(certificate, _verify_url(certificate), now)
        write_event(session, organisation_id, event_type, data,
                    cause=f"{event_type}:{certificate.id}:{now.isoformat()}", now=now)
    tell.__name__ = event_type.replace(".", "_")
    return tell


certificate_revoked = _status_change("certificate.revoked")
certificate_suspended = _status_change("certificate.suspended")
certificate_reinstated = _status_change("certificate.reinstated")


def completed_by_exam(_sender: Any, *, session: Session, attempt: QuizAttempt, now: datetime,
                      **_: Any) -> None:
    _tell_completed(session, attempt.user, attempt.course, attempt.version, now,
                    through="final_exam", cause=f"learner.completed:exam:{attempt.id}")


def completed_by_capstone(_sender: Any, *, session: Session, submission: CapstoneSubmission,
                          now: datetime, **_: Any) -> None:
    if submission.status != CAPSTONE_PASSED:
        return
    version = session.get(CourseVersion, submission.version_id)
    _tell_completed(session, submission.user, submission.course, version, now,
                    through="capstone", cause=f"learner.completed:capstone:{submission.id}")


def _tell_completed(session: Session, user, course, version, now: datetime, *, through: str,
                    cause: str) -> None:
    if user.organisation_id is None or not certification_status(session, user, course).met:
        return
    write_event(session, user.organisation_id, "learner.completed",
                payloads.completion_data(user, course, version or course.current_version, now,
                                         through=through), cause=cause, now=now)
