"""Erasure: an account is anonymised, its personal free text removed, its certificates withdrawn.

`erase_account` does it all in the caller's transaction (the request commits once or nothing
is kept), audits every step without repeating the erased name or address, and refuses an
account erased already. What stays, and why:

- the account row, anonymised and deactivated: progress, scores and certificates point to it,
  and the organisation's statistics stay whole without saying whose they were;
- quiz attempts as scores (score, pass, per-question correct or not), without the answers
  given: trainers' item statistics stay honest, the person's choices go;
- capstone submissions as scores (status, points, total), without the work, its files or the
  trainer's comments on it;
- certificates: withdrawn with the public reason "withdrawn at the holder's request" (through
  the certificates' own status change, so its mail, webhook and audit follow), unless the
  organisation keeps its people's certificates verifiable after erasure; either way the issued
  record stays as signed, because a copy in circulation must verify as what it is (revoked, or
  valid) and never as "not found" or "tampered".
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.auth.logins import end_all_logins
from app.auth.services import normalise_email
from app.certificates import status as certificate_status
from app.domain import DomainError
from app.models import (
    AuditEvent, CapstoneFile, CapstoneSubmission, Certificate, DirectoryGroupMember, Invitation,
    Notification, ProvisionedAccount, QuizAttempt, User, UserRole, WebhookDelivery,
)
from app.models.certificates import REVOKED
from app.models.notifications import PENDING, SKIPPED

ERASED_NAME = "Erased account"
#: the reserved top-level domain no address will ever have (RFC 2606)
ERASED_DOMAIN = "invalid"
#: marks a password hash no password matches (argon2 refuses to read it)
UNUSABLE_PASSWORD_PREFIX = "!erased:"  # nosec B105: a marker no password hash starts with
WITHDRAWAL_NOTE = "Withdrawn on the erasure of the holder's account."
HOLDER_REQUEST = "holder_request"
#: the context keys of kept mails that hold an address
_ADDRESS_KEYS = ("address", "new_email")
#: the details of audit entries about an account that hold its earlier addresses and names,
#: and the identity provider's id of the person
_PERSONAL_DETAILS = ("old", "new", "subject", "email", "name", "holder")


class ErasureRefused(DomainError):
    """The erasure was not confirmed, or cannot be done."""

    status_code = 400


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, in numbers."""

    logins_ended: int
    certificates_withdrawn: int
    certificates_kept: int
    submissions_cleared: int
    attempts_reduced: int
    mails_stopped: int


def erased_email(user_id: int) -> str:
    """The placeholder address of an erased account: unique, and never deliverable."""
    return f"erased-{user_id}@{ERASED_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user.id)


def check_confirmation(user: User, typed: str | None) -> None:
    """The person confirming typed the account's address (any case, spaces around)."""
    if is_erased(user):
        raise ErasureRefused(_l("This account is erased already."))
    if normalise_email(typed or "") != normalise_email(user.email):
        raise ErasureRefused(_l("The address you typed is not the account's address. Nothing "
                                "was erased."))


def keeps_certificates(user: User) -> bool:
    """Whether the person's organisation keeps certificates verifiable after erasure."""
    return bool(user.organisation and user.organisation.keep_certificates_after_erasure)


def erase_account(session: Session, actor: User, user: User, now: datetime) -> Erasure:
    """Erase `user` for good (the person themselves, or an administrator on request).

    :raises ErasureRefused: the account is erased already
    """
    if is_erased(user):
        raise ErasureRefused(_l("This account is erased already."))
    old_email, old_name = user.email, user.name
    logins = end_all_logins(session, user, now)
    _anonymise(session, user)
    record(session, actor, "privacy.anonymise", "user", user.id,
           "Account anonymised and deactivated; every login ended", logins_ended=logins)
    submissions = _clear_submissions(session, user)
    attempts = _reduce_attempts(session, user)
    record(session, actor, "privacy.remove_learning_text", "user", user.id,
           "Capstone work and quiz answers removed; scores kept",
           submissions=submissions, quiz_attempts=attempts)
    withdrawn, kept = _settle_certificates(session, actor, user, now)
    stopped = _stop_mail(session, user, old_email)
    _scrub_traces(session, user, old_email, old_name)
    record(session, actor, "privacy.erase", "user", user.id, "Account erased",
           certificates_withdrawn=withdrawn, certificates_kept=kept, mails_stopped=stopped,
           by_administrator=actor.id != user.id)
    session.flush()
    return Erasure(logins, withdrawn, kept, submissions, attempts, stopped)


def _anonymise(session: Session, user: User) -> None:
    user.name = ERASED_NAME
    user.email = erased_email(user.id)
    user.password_hash = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24)
    user.is_active_account = False
    user.email_verified_at = None
    user.locale = user.timezone = user.content_locale = None
    user.mail_reminders = user.mail_nudges = user.mail_digests = False
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.execute(delete(ProvisionedAccount).where(ProvisionedAccount.user_id == user.id))
    session.execute(delete(DirectoryGroupMember).where(DirectoryGroupMember.user_id == user.id))
    session.flush()
    session.expire(user, ["role_grants"])


def _clear_submissions(session: Session, user: User) -> int:
    submissions = list(session.scalars(select(CapstoneSubmission).where(
        CapstoneSubmission.user_id == user.id)))
    session.execute(delete(CapstoneFile).where(
        CapstoneFile.submission_id.in_([s.id for s in submissions])))
    for submission in submissions:
        submission.text_md = ""
        submission.comment = ""
        submission.scores = {criterion: {"points": (given or {}).get("points")}
                             for criterion, given in (submission.scores or {}).items()} \
            if submission.scores else submission.scores
        session.expire(submission, ["files"])
    return len(submissions)


def _reduce_attempts(session: Session, user: User) -> int:
    attempts = list(session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id)))
    for attempt in attempts:
        attempt.answers = None
        if attempt.result:
            attempt.result = {**attempt.result, "per_question": [
                {**outcome, "given": None} for outcome in attempt.result.get("per_question", [])]}
    return len(attempts)


def _settle_certificates(session: Session, actor: User, user: User,
                         now: datetime) -> tuple[int, int]:
    """Withdraw every certificate not revoked yet, or keep them all (the organisation's
    setting); the number withdrawn and the number kept."""
    codes = list(session.scalars(_unrevoked(user).order_by(Certificate.id)))
    if keeps_certificates(user):
        if codes:
            record(session, actor, "privacy.keep_certificates", "user", user.id,
                   "Certificates kept verifiable by the organisation's retention setting",
                   certificates=codes)
        return 0, len(codes)
    for code in codes:
        certificate_status.revoke(session, actor, code, WITHDRAWAL_NOTE, now,
                                  public_reason=HOLDER_REQUEST)
    return len(codes), 0


def certificates_to_settle(session: Session, user: User) -> int:
    """How many of the person's certificates an erasure withdraws (or keeps): those not
    revoked already."""
    return session.scalar(_unrevoked(user).with_only_columns(func.count())) or 0


def _unrevoked(user: User):
    return select(Certificate.code).where(Certificate.user_id == user.id,
                                          Certificate.status != REVOKED)


def _stop_mail(session: Session, user: User, old_email: str) -> int:
    """Nothing more is sent to the person (the withdrawals' own mails included), and the mails
    kept in the outbox no longer name their address."""
    mine = or_(Notification.user_id == user.id, Notification.recipient == old_email)
    stopped = session.execute(
        update(Notification).where(mine, Notification.status == PENDING)
        .values(status=SKIPPED, last_error="account erased", claimed_until=None)
        .execution_options(synchronize_session=False)).rowcount
    for notification in session.scalars(select(Notification).where(mine)):
        notification.recipient = erased_email(user.id)
        if any(key in (notification.context or {}) for key in _ADDRESS_KEYS):
            notification.context = {key: value for key, value in notification.context.items()
                                     if key not in _ADDRESS_KEYS}
    return stopped


def _scrub_traces(session: Session, user: User, old_email: str, old_name: str) -> None:
    """The old address and name leave the audit log, invitations and webhook messages kept."""
    placeholder = erased_email(user.id)
    session.execute(delete(Invitation).where(
        or_(Invitation.email == old_email, Invitation.user_id == user.id)))
    session.execute(
        update(AuditEvent).where(AuditEvent.summary.contains(old_email, autoescape=True))
        .values(summary=func.replace(AuditEvent.summary, old_email, placeholder))
        .execution_options(synchronize_session=False))
    codes = select(Certificate.code).where(Certificate.user_id == user.id)
    mine = {("user", str(user.id))} | {("certificate", code) for code in session.scalars(codes)}
    about = or_(and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id)),
                and_(AuditEvent.target_type == "certificate", AuditEvent.target_id.in_(codes)))
    known = {old_email: placeholder, old_name: ERASED_NAME} | {
        name: ERASED_NAME for name in session.scalars(
            select(Certificate.holder_name).where(Certificate.user_id == user.id).distinct())}
    for event in session.scalars(select(AuditEvent).where(or_(AuditEvent.actor_id == user.id,
                                                               about))
                                 .execution_options(populate_existing=True)):
        own = (event.target_type, event.target_id) in mine
        _scrub_event(event, known | (_earlier_values(event, placeholder) if own else {}))
    quoted_email, quoted_name = json.dumps(old_email), json.dumps(old_name)
    for delivery in session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.payload.contains(quoted_email, autoescape=True))):
        delivery.payload = delivery.payload.replace(quoted_email, json.dumps(placeholder)) \
            .replace(quoted_name, json.dumps(ERASED_NAME))


def _earlier_values(event: AuditEvent, placeholder: str) -> dict[str, str]:
    """The person's earlier addresses, names and sign-on subject an entry about them names."""
    return {value: placeholder if "@" in value else ERASED_NAME
            for key, value in (event.details or {}).items()
            if key in _PERSONAL_DETAILS and isinstance(value, str) and value}


def _scrub_event(event: AuditEvent, replacements: dict[str, str]) -> None:
    """Each personal value becomes its stand-in, in the summary and in the details."""
    summary = event.summary or ""
    for value in sorted(replacements, key=len, reverse=True):
        summary = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", replacements[value], summary)
    event.summary = summary
    if any(value in replacements for value in (event.details or {}).values()
           if isinstance(value, str)):
        event.details = {key: replacements.get(value, value) if isinstance(value, str) else value
                         for key, value in event.details.items()}
