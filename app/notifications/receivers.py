"""How the mail area reacts to the domain's events: it writes notifications into the outbox,
in the transaction of the event (see app.notifications.outbox). Connected by app.receivers."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.certificates.extension import current_issuer
from app.models import CapstoneSubmission, Certificate, CourseMaintainer, User
from app.notifications import account_mails
from app.notifications.outbox import queue

#: the reminders before a certificate expires, in days; each is mailed once
REMINDER_STEPS = (7, 30, 90)


def mail_issued(_sender: Any, *, session: Session, certificate: Certificate, now: datetime,
                **_: Any) -> None:
    queue(session, kind="certificate_issued", to=certificate.user.email, user=certificate.user,
          key=f"certificate-issued:{certificate.id}", now=now,
          context={"certificate_id": certificate.id, "issuer_name": current_issuer().name})


def mail_expiring(_sender: Any, *, session: Session, certificate: Certificate, days_left: int,
                  now: datetime, **_: Any) -> None:
    step = next((days for days in REMINDER_STEPS if days_left <= days), None)
    if step is None:
        return
    queue(session, kind="certificate_expiring", to=certificate.user.email, user=certificate.user,
          key=f"certificate-expiring:{certificate.id}:{step}", now=now, category="reminders",
          context={"certificate_id": certificate.id, "days_left": max(days_left, 0)})


def _mail_status_change(change: str):
    def mail_status(_sender: Any, *, session: Session, certificate: Certificate, now: datetime,
                    **_: Any) -> None:
        queue(session, kind="certificate_status", to=certificate.user.email,
              user=certificate.user, now=now,
              key=f"certificate-{change}:{certificate.id}:{now.isoformat()}",
              context={"certificate_id": certificate.id, "change": change,
                       "public_reason_key": certificate.public_reason})
    mail_status.__name__ = f"mail_{change}"
    return mail_status


mail_revoked = _mail_status_change("revoked")
mail_suspended = _mail_status_change("suspended")
mail_reinstated = _mail_status_change("reinstated")


# --- capstones (see app.notifications.capstone_mails) ------------------------------------------

def mail_capstone_trainers(_sender: Any, *, session: Session, submission: CapstoneSubmission,
                  now: datetime, **_: Any) -> None:
    """Each active trainer who maintains the course hears of work waiting for a score."""
    trainers = session.scalars(
        select(User).join(CourseMaintainer, CourseMaintainer.user_id == User.id)
        .where(CourseMaintainer.course_id == submission.course_id, User.is_active_account.is_(True)))
    for trainer in trainers:
        queue(session, kind="capstone_submitted", to=trainer.email, user=trainer, now=now,
              key=f"capstone-submitted:{submission.id}:{trainer.id}",
              context={"submission_id": submission.id})


def mail_capstone_scored(_sender: Any, *, session: Session, submission: CapstoneSubmission,
                 now: datetime, **_: Any) -> None:
    """The learner hears their work was scored."""
    queue(session, kind="capstone_scored", to=submission.user.email, user=submission.user,
          now=now, key=f"capstone-scored:{submission.id}",
          context={"submission_id": submission.id})



# --- the account's mails (see app.notifications.account_mails) -------------------------------

def mail_password_reset(_sender: Any, *, session: Session, user: User, now: datetime,
                        **_: Any) -> None:
    account_mails.queue_password_reset(session, user, now,
                                       current_app.config["PASSWORD_RESET_MAX_AGE"])


def mail_verification(_sender: Any, *, session: Session, user: User, now: datetime,
                      **_: Any) -> None:
    """A new account whose address is not confirmed yet gets the link that confirms it."""
    account_mails.queue_verification(session, user, now,
                                     current_app.config["EMAIL_TOKEN_MAX_AGE"])


def mail_email_change(_sender: Any, *, session: Session, user: User, new_email: str,
                      now: datetime, **_: Any) -> None:
    account_mails.queue_email_change(session, user, new_email, now,
                                     current_app.config["EMAIL_TOKEN_MAX_AGE"])


def mail_account_exists(_sender: Any, *, session: Session, user: User, now: datetime,
                        **_: Any) -> None:
    account_mails.queue_account_exists(session, user, now)
