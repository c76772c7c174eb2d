"""How the certificates area reacts to events of the areas below it.

Receivers are edges, like views and commands: they may look up the application's issuer, then
call services with everything explicit. They are connected by :mod:`app.receivers`.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.certificates.issuance import issue_certificate_if_eligible
from app.certificates.extension import current_issuer
from app.models import CapstoneSubmission, Certificate, Course, Enrollment, QuizAttempt, User
from app.models.capstones import PASSED as CAPSTONE_PASSED

log = logging.getLogger(__name__)


def page_locale_of(learner: User, *, visitor_is_learner: bool = False) -> str | None:
    """The language of the page being served when the learner is the one reading it (their
    certificate is then issued in it), else None. A visitor who is not logged in counts as the
    learner only where the request proves it, as opening the link mailed to their address does.
    """
    if not has_request_context():
        return None
    if current_user.is_authenticated:
        if current_user.id != learner.id:
            return None
    elif not visitor_is_learner:
        return None
    locale = get_locale()
    return str(locale) if locale else None


def issue_after_exam(_sender: Any, *, session: Session, attempt: QuizAttempt,
                     now: datetime, **_: Any) -> Certificate | None:
    """A passed final exam earns the certificate (or renews it), in the same transaction.

    The passed exam is kept even when issuance fails (rendering, keys): the failure is logged
    and the certificate can be issued later from the learner's certificates page or the
    command line.
    """
    try:
        with session.begin_nested():
            return issue_certificate_if_eligible(
                session, attempt.user, attempt.course, now,
                issuer=current_issuer(), page_locale=page_locale_of(attempt.user))
    except Exception:
        log.exception("Certificate issuance failed after attempt %s", attempt.id)
        return None


def issue_after_capstone(_sender: Any, *, session: Session, submission: CapstoneSubmission,
                         now: datetime, **_: Any) -> Certificate | None:
    """A capstone scored as a pass earns the certificate when the rest of the rule holds; the
    score is kept even when issuance fails (logged, as after an exam)."""
    if submission.status != CAPSTONE_PASSED:
        return None
    try:
        with session.begin_nested():
            return issue_certificate_if_eligible(session, submission.user, submission.course,
                                                 now, issuer=current_issuer(),
                                                 page_locale=page_locale_of(submission.user))
    except Exception:
        log.exception("Certificate issuance failed after capstone submission %s", submission.id)
        return None


def issue_after_verification(_sender: Any, *, session: Session, user: User, now: datetime,
                             **_: Any) -> list[Certificate]:
    """A confirmed address releases the certificates held back for it: each course the learner
    is enrolled in whose rule is met now issues its certificate, each under its own savepoint
    (a failure is logged, and the others and the confirmation are kept)."""
    issued = []
    page_locale = page_locale_of(user, visitor_is_learner=True)
    courses = session.scalars(select(Course).join(Enrollment, Enrollment.course_id == Course.id)
                              .where(Enrollment.user_id == user.id).order_by(Course.id))
    for course in list(courses):
        try:
            with session.begin_nested():
                certificate = issue_certificate_if_eligible(session, user, course, now,
                                                            issuer=current_issuer(),
                                                            page_locale=page_locale)
        except Exception:
            log.exception("Certificate issuance failed after user %s confirmed the address",
                          user.id)
            continue
        if certificate is not None:
            issued.append(certificate)
    return issued
