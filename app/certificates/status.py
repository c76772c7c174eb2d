"""Revoking, suspending and reinstating certificates, and what a certificate is today.

Each change is a guarded UPDATE (only if nobody changed the status meanwhile), audited, and
announced with its event (`certificate_revoked`, `certificate_suspended`,
`certificate_reinstated`). Functions flush and never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer, joinedload

from app import events
from app.audit import record
from app.certificates.errors import StatusChangeRefused
from app.certificates.records import get_certificate, renewed_by
from app.clock import as_utc
from app.courses.standing import latest_certificate
from app.dates import long_date
from app.models import Certificate, User
from app.models.certificates import (
    ACTIVE, EXPIRED, PUBLIC_REASONS, REVOKED, SUPERSEDED, SUSPENDED, VALID,
)

REASON_MAX_LENGTH = 500
#: what the learner sees for each state (see `Certificate.state`)
STATE_LABELS = {
    VALID: _l("Valid"), EXPIRED: _l("Expired"), SUSPENDED: _l("Suspended"),
    REVOKED: _l("Revoked"), SUPERSEDED: _l("Renewed"),
}
#: a certificate's recorded status, as a refusal names it
_STATUS_WORDS = {
    ACTIVE: _l("active"), SUSPENDED: _l("suspended"), REVOKED: _l("revoked"),
    SUPERSEDED: _l("superseded"),
}
#: audit action, past tense and event of each status change
_STATUS_ACTIONS = {
    REVOKED: ("revoke", "revoked", events.certificate_revoked),
    SUSPENDED: ("suspend", "suspended", events.certificate_suspended),
    ACTIVE: ("unsuspend", "unsuspended", events.certificate_reinstated),
}


def certificate_state(certificate: Certificate, now: datetime) -> str:
    """valid, expired, suspended, revoked or superseded: what the certificate is at `now`."""
    return certificate.state(now)


def announce_expiring(session: Session, now: datetime, within_days: int) -> list[Certificate]:
    """Send `certificate_expiring` for each active certificate expiring within the days given.

    :param within_days: how far ahead to look (a reminder job runs this once a day)
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    until = now + timedelta(days=within_days)
    expiring = list(session.scalars(
        select(Certificate).options(defer(Certificate.pdf), joinedload(Certificate.user))
        .where(Certificate.status == ACTIVE, Certificate.expires_at > now,
               Certificate.expires_at <= until)
        .order_by(Certificate.expires_at, Certificate.id)))
    for certificate in expiring:
        days_left = (certificate.expires_at - now).days
        events.certificate_expiring.send(None, session=session, certificate=certificate,
                                         days_left=days_left, now=now)
    return expiring


def revoke(session: Session, actor: User | None, code: str, reason: str,
           now: datetime, public_reason: str | None = None) -> Certificate:
    """Revoke a certificate for good, keeping the reason and the time.

    :param reason: the internal note (kept on record, never shown publicly)
    :param public_reason: a key of PUBLIC_REASONS that verification shows, or None
    :raises CertificateNotFound: unknown, malformed or mistyped code
    :raises StatusChangeRefused: revoked already, no reason given, or an unknown public reason
    """
    certificate = get_certificate(session, code)
    reason = _required_reason(reason, _l(
        "Give a reason for revoking the certificate; it is kept on the record (never shown "
        "publicly)."))
    public_reason = _public_reason(public_reason)
    if certificate.status == REVOKED:
        raise StatusChangeRefused(_l(
            "Certificate %(code)s was already revoked on %(date)s: %(reason)s",
            code=certificate.code, date=long_date(certificate.status_changed_at),
            reason=certificate.status_reason))
    return _change_status(session, actor, certificate, REVOKED, reason, now,
                          public_reason=public_reason)


def suspend(session: Session, actor: User | None, code: str, reason: str,
            now: datetime, public_reason: str | None = None) -> Certificate:
    """Suspend an active certificate while it is investigated; unsuspend() lifts it."""
    certificate = get_certificate(session, code)
    reason = _required_reason(reason, _l(
        "Give a reason for suspending the certificate; it is kept on the record (never shown "
        "publicly)."))
    public_reason = _public_reason(public_reason)
    if certificate.status != ACTIVE:
        raise StatusChangeRefused(_not_active_sentence(session, certificate))
    return _change_status(session, actor, certificate, SUSPENDED, reason, now,
                          public_reason=public_reason)


def unsuspend(session: Session, actor: User | None, code: str, now: datetime,
              reason: str | None = None) -> Certificate:
    """Lift a suspension: the certificate is active again."""
    certificate = get_certificate(session, code)
    if certificate.status != SUSPENDED:
        raise StatusChangeRefused(_l(
            "Certificate %(code)s is not suspended (it is %(status)s).", code=certificate.code,
            status=_status_word(certificate.status)))
    note = (reason or "").strip()[:REASON_MAX_LENGTH] or None
    return _change_status(session, actor, certificate, ACTIVE, note, now,
                          lifted=certificate.status_reason)


def allow_recertification(session: Session, actor: User | None, code: str, reason: str,
                          now: datetime) -> Certificate:
    """Let the holder of a revoked certificate earn a new one by passing the final exam again.

    The revoked certificate stays revoked; the permission is kept on it and audited.

    :raises StatusChangeRefused: not revoked, allowed already, a newer certificate exists, or no
        reason given
    """
    certificate = get_certificate(session, code)
    reason = _required_reason(reason, _l(
        "Give a reason for allowing recertification after the certificate; it is kept on the "
        "record (never shown publicly)."))
    if certificate.status != REVOKED:
        raise StatusChangeRefused(_l(
            "Certificate %(code)s is not revoked (it is %(status)s); only a revoked certificate "
            "holds back a new one.", code=certificate.code,
            status=_status_word(certificate.status)))
    if certificate.recertification_allowed_at is not None:
        allowed_on = long_date(certificate.recertification_allowed_at)
        raise StatusChangeRefused(_l(
            "Recertification after certificate %(code)s was already allowed on %(date)s.",
            code=certificate.code, date=allowed_on))
    if latest_certificate(session, certificate.user_id, certificate.course_id) is not certificate:
        raise StatusChangeRefused(_l(
            "A newer certificate than %(code)s exists for this learner and course.",
            code=certificate.code))
    changed = session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == REVOKED,
               Certificate.recertification_allowed_at.is_(None))
        .values(recertification_allowed_at=as_utc(now),
                recertification_allowed_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(certificate)
    if not changed:
        raise StatusChangeRefused(_l(
            "Certificate %(code)s changed meanwhile. Please check and try again.",
            code=certificate.code))
    record(session, actor, "certificate.allow_recertification", "certificate", certificate.code,
           f"Recertification allowed after certificate {certificate.code}", reason=reason)
    return certificate


def _change_status(session: Session, actor: User | None, certificate: Certificate,
                   status: str, reason: str | None, now: datetime, *,
                   public_reason: str | None = None, **details: Any) -> Certificate:
    """Apply a status change only if nobody changed the status meanwhile; audit it."""
    before = certificate.status
    changed = session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == before)
        .values(status=status, status_reason=reason if status != ACTIVE else None,
                public_reason=public_reason if status != ACTIVE else None,
                status_changed_at=as_utc(now), status_changed_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(certificate)
    if not changed:
        raise StatusChangeRefused(_l(
            "Certificate %(code)s changed meanwhile; it is now %(status)s. Please check and try "
            "again.", code=certificate.code, status=_status_word(certificate.status)))
    action, done, signal = _STATUS_ACTIONS[status]
    record(session, actor, f"certificate.{action}", "certificate", certificate.code,
           f"Certificate {certificate.code} {done}", reason=reason, previous_status=before,
           public_reason=public_reason, **details)
    signal.send(None, session=session, certificate=certificate, actor=actor, reason=reason,
                now=now)
    return certificate


def public_reason_text(key: str | None) -> str | None:
    """The sentence verification shows for a public reason key (None when none was given), in
    the language of the moment (English outside a request)."""
    sentence = PUBLIC_REASONS.get(key) if key else None
    return str(sentence) if sentence is not None else None


def _public_reason(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and key not in PUBLIC_REASONS:
        raise StatusChangeRefused(
            _l("Choose the public reason from the list, or leave it blank."))
    return key


def _required_reason(reason: str | None, missing: str) -> str:
    """The reason given, trimmed; `missing` is the refusal when none was."""
    reason = (reason or "").strip()
    if not reason:
        raise StatusChangeRefused(missing)
    if len(reason) > REASON_MAX_LENGTH:
        raise StatusChangeRefused(_l("Keep the reason under %(limit)d characters.",
                                     limit=REASON_MAX_LENGTH))
    return reason


def _status_word(status: str) -> str:
    """The recorded status in words ("active", "superseded")."""
    return _STATUS_WORDS.get(status, status)


def _not_active_sentence(session: Session, certificate: Certificate) -> str:
    """Why a certificate that is not active cannot be suspended."""
    code = certificate.code
    if certificate.status == SUSPENDED:
        return _l("Certificate %(code)s is already suspended: %(reason)s", code=code,
                  reason=certificate.status_reason)
    if certificate.status == REVOKED:
        return _l("Certificate %(code)s was revoked; a revoked certificate cannot be suspended.",
                  code=code)
    successor = renewed_by(session, certificate)
    if successor is None:
        return _l("Certificate %(code)s was renewed; act on the newer certificate instead.",
                  code=code)
    return _l("Certificate %(code)s was renewed by %(successor)s; act on the newer certificate "
              "instead.", code=code, successor=successor.code)
