"""Every reaction to a domain event, connected in one place (see :mod:`app.events`).

A new reaction (a mail, a webhook) is a function in the area that owns it, taking the signal's
keyword arguments, and one line here. Connecting is idempotent: blinker keeps a receiver once,
however many applications the process builds.
"""
from __future__ import annotations

from app import events
from app.certificates import receivers as certificates
from app.notifications import receivers as mail
from app.webhooks import receivers as webhooks


def connect_receivers() -> None:
    """Connect each receiver to its signal."""
    events.final_exam_passed.connect(certificates.issue_after_exam)
    events.capstone_graded.connect(certificates.issue_after_capstone)
    events.capstone_graded.connect(mail.mail_capstone_scored)
    events.capstone_submitted.connect(mail.mail_capstone_trainers)
    events.certificate_issued.connect(mail.mail_issued)
    events.certificate_expiring.connect(mail.mail_expiring)
    events.certificate_revoked.connect(mail.mail_revoked)
    events.certificate_suspended.connect(mail.mail_suspended)
    events.certificate_reinstated.connect(mail.mail_reinstated)
    events.user_registered.connect(mail.mail_verification)
    events.registration_repeated.connect(mail.mail_account_exists)
    events.password_reset_requested.connect(mail.mail_password_reset)
    events.email_change_requested.connect(mail.mail_email_change)
    events.email_verified.connect(certificates.issue_after_verification)
    events.certificate_issued.connect(webhooks.certificate_issued)
    events.certificate_revoked.connect(webhooks.certificate_revoked)
    events.certificate_suspended.connect(webhooks.certificate_suspended)
    events.certificate_reinstated.connect(webhooks.certificate_reinstated)
    events.certificate_expiring.connect(webhooks.certificate_expiring)
    events.final_exam_passed.connect(webhooks.completed_by_exam)
    events.capstone_graded.connect(webhooks.completed_by_capstone)
