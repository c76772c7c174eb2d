"""Certificates: issue (one live per learner and course), renew, revoke, suspend, and find.

Functions take the database session, the acting user, plain data and `now`; they flush and
never commit (the caller does). Issuance signs the payload, renders and PDF-signs the
document once and stores the bytes: every later download hands out exactly those bytes.
"""
from __future__ import annotations

import calendar
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from app.audit import record
from app.certificates import badge
from app.certificates.codes import new_code, parse_code
from app.certificates.errors import (
    CertificateError, CertificateNotFound, NotEligible, StatusChangeRefused,
)
from app.certificates.pdf import CertificateFacts
from app.certificates.signing import canonical_payload
from app.courses.services import version_key
from app.models import Certificate, Course, CourseVersion, QuizAttempt, User
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes.services import certification_status

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer

ACTIVE, SUSPENDED, REVOKED, SUPERSEDED = "active", "suspended", "revoked", "superseded"
STATUSES = (ACTIVE, SUSPENDED, REVOKED, SUPERSEDED)
#: a holder may renew this long before expiry, and any time after it
RECERTIFICATION_WINDOW = timedelta(days=90)
DEFAULT_WORDING = "Certificate of Completion"
REASON_MAX_LENGTH = 500
#: what the learner sees for each state (see certificate_state)
STATE_LABELS = {
    "valid": "Valid", "expired": "Expired", SUSPENDED: "Suspended", REVOKED: "Revoked",
    SUPERSEDED: "Renewed",
}
#: audit action and past tense of each status change
_STATUS_ACTIONS = {
    REVOKED: ("revoke", "revoked"), SUSPENDED: ("suspend", "suspended"),
    ACTIVE: ("unsuspend", "unsuspended"),
}
BADGE_CRITERIA = ("Completed every lesson and module quiz of the course and passed its final "
                  "exam.")


class _RenewedMeanwhile(Exception):
    """Another request renewed the same certificate first."""


# --- issuing ----------------------------------------------------------------------------------

def issue_certificate(session: Session, user: User, course: Course, now: datetime, *,
                      actor: User | None = None, issuer: CertificateIssuer) -> Certificate:
    """Issue the learner's certificate for the course, or return the live one they hold.

    A holder in the renewal window (RECERTIFICATION_WINDOW before expiry, or any time after)
    who has passed the final exam again gets a new certificate linked to the old one, which
    becomes superseded in the same transaction.

    :param actor: who issues (None when the learner earned it or for the command line)
    :raises NotEligible: the rule is not met, or the live certificate is suspended
    """
    rule = certification_status(session, user, course)
    if not rule.met:
        raise NotEligible(rule.reasons)
    live = live_certificate(session, user, course)
    if live is not None and not _renewal_due(session, live, now):
        return live
    version = _earned_version(session, user, course)
    certificate = _new_certificate(user, course, version, now, issuer, previous=live)
    return _store(session, certificate, live, actor, now)


def issue_certificate_if_eligible(session: Session, user: User, course: Course, now: datetime,
                                  *, issuer: CertificateIssuer | None = None
                                  ) -> Certificate | None:
    """Issue (or renew) after a passed final exam; None when the rule is not met."""
    if issuer is None:
        from app.certificates.issuer import current_issuer

        issuer = current_issuer()
    try:
        return issue_certificate(session, user, course, now, issuer=issuer)
    except NotEligible:
        return None


def _renewal_due(session: Session, live: Certificate, now: datetime) -> bool:
    """True when a live certificate is in its renewal window and the exam was passed again."""
    if live.status == SUSPENDED:
        raise NotEligible([f"Certificate {live.code} is suspended while it is reviewed; it "
                           "cannot be renewed until the suspension is lifted."])
    opens = renewal_opens_at(live)
    if opens is None or now < opens:
        return False
    passed_at = last_final_exam_pass(session, live.user_id, live.course_id)
    return passed_at is not None and passed_at > live.issued_at and passed_at >= opens


def _earned_version(session: Session, user: User, course: Course) -> CourseVersion:
    """The course version of the learner's latest passed final exam (else the current one)."""
    version_id = session.scalar(
        _final_exam_passes(user.id, course.id)
        .with_only_columns(QuizAttempt.version_id)
        .order_by(QuizAttempt.submitted_at.desc()).limit(1))
    version = session.get(CourseVersion, version_id) if version_id else None
    return version or course.current_version


def _new_certificate(user: User, course: Course, version: CourseVersion, now: datetime,
                     issuer: CertificateIssuer, previous: Certificate | None) -> Certificate:
    """Sign the payload, render and sign the PDF: the complete record, not yet stored."""
    now = _utc(now)
    expires_at = add_months(now, version.validity_months) if version.validity_months else None
    facts = _signed_facts(issuer, {
        "code": new_code(), "holder_name": user.name, "course_title": version.title,
        "course_slug": course.slug, "course_version": version.number,
        "issued_on": now.date(), "expires_on": expires_at.date() if expires_at else None,
        "issuer": issuer.url,
    }, wording=certificate_wording(version),
        organisation_name=user.organisation.name if user.organisation else None)
    pdf = issuer.render_and_sign(facts, version.certificate_template)
    return Certificate(
        code=facts.code, user_id=user.id, course_id=course.id, version_id=version.id,
        holder_name=facts.holder_name, course_title=facts.course_title,
        course_slug=facts.course_slug, version_number=version.number,
        organisation_name=facts.organisation_name, issued_at=now, expires_at=expires_at,
        status=ACTIVE, key_id=facts.key_id, payload=facts.payload_json,
        signature=facts.signature, pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        previous_id=previous.id if previous else None,
    )


def _signed_facts(issuer: CertificateIssuer, payload: dict[str, Any], *, wording: str,
                  organisation_name: str | None) -> CertificateFacts:
    """Sign the canonical payload and return everything the PDF prints and embeds."""
    payload_bytes = canonical_payload(payload)
    kid, signature = issuer.keyring.sign(payload_bytes)
    return _facts(payload_bytes.decode("utf-8"), signature, kid, issuer.name, wording,
                  organisation_name)


def _store(session: Session, certificate: Certificate, previous: Certificate | None,
           actor: User | None, now: datetime) -> Certificate:
    """Insert the certificate (superseding `previous`); a concurrent winner is returned instead."""
    user_id, course_id = certificate.user_id, certificate.course_id
    try:
        with session.begin_nested():
            if previous is not None:
                _supersede(session, previous, certificate.code, actor, now)
            session.add(certificate)
            session.flush()
    except (IntegrityError, _RenewedMeanwhile):
        # The partial unique index let only one request through; hand out its certificate.
        winner = _live(session, user_id, course_id)
        if winner is None:
            raise
        return winner
    action = "certificate.renew" if previous is not None else "certificate.issue"
    record(session, actor, action, "certificate", certificate.code,
           f"Certificate {certificate.code} issued to {certificate.holder_name} for "
           f"{certificate.course_slug}", course=certificate.course_slug,
           user_id=user_id, previous=previous.code if previous else None)
    return certificate


def _supersede(session: Session, previous: Certificate, successor_code: str,
               actor: User | None, now: datetime) -> None:
    """Mark the renewed certificate superseded, unless another request did so first."""
    changed = session.execute(
        update(Certificate)
        .where(Certificate.id == previous.id, Certificate.status == ACTIVE)
        .values(status=SUPERSEDED, status_reason=f"Renewed by certificate {successor_code}.",
                status_changed_at=_utc(now), status_changed_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(previous)
    if not changed:
        raise _RenewedMeanwhile


# --- expiry and renewal -----------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """The same time `months` later; the day is clamped to the month's end (31 Jan -> 28 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def renewal_opens_at(certificate: Certificate) -> datetime | None:
    """When the holder may renew by passing the final exam again; None if it never expires."""
    if certificate.expires_at is None:
        return None
    return certificate.expires_at - RECERTIFICATION_WINDOW


def can_renew(session: Session, user: User, course: Course, now: datetime) -> bool:
    """True when the learner's active certificate is in its renewal window (exam reopens)."""
    live = live_certificate(session, user, course)
    if live is None or live.status != ACTIVE:
        return False
    opens = renewal_opens_at(live)
    return opens is not None and now >= opens


def last_final_exam_pass(session: Session, user_id: int, course_id: int) -> datetime | None:
    """When the learner last passed the course's final exam."""
    return session.scalar(
        _final_exam_passes(user_id, course_id).with_only_columns(
            func.max(QuizAttempt.submitted_at)))


def _final_exam_passes(user_id: int, course_id: int) -> Select:
    return select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.course_id == course_id,
        QuizAttempt.quiz_key == FINAL_EXAM_KEY, QuizAttempt.status == "submitted",
        QuizAttempt.passed.is_(True))


def certificate_state(certificate: Certificate, now: datetime) -> str:
    """valid, expired, suspended, revoked or superseded: what the certificate is today."""
    if certificate.status != ACTIVE:
        return certificate.status
    if certificate.expires_at is not None and now >= certificate.expires_at:
        return "expired"
    return "valid"


# --- revoking and suspending ------------------------------------------------------------------

def revoke(session: Session, actor: User | None, code: str, reason: str,
           now: datetime) -> Certificate:
    """Revoke a certificate for good, keeping the reason and the time.

    :raises CertificateNotFound: unknown, malformed or mistyped code
    :raises StatusChangeRefused: revoked already, or no reason given
    """
    certificate = get_certificate(session, code)
    reason = _required_reason(reason, "revoking")
    if certificate.status == REVOKED:
        raise StatusChangeRefused(
            f"Certificate {certificate.code} was already revoked on "
            f"{_day(certificate.status_changed_at)}: {certificate.status_reason}")
    return _change_status(session, actor, certificate, REVOKED, reason, now)


def suspend(session: Session, actor: User | None, code: str, reason: str,
            now: datetime) -> Certificate:
    """Suspend an active certificate while it is investigated; unsuspend() lifts it."""
    certificate = get_certificate(session, code)
    reason = _required_reason(reason, "suspending")
    if certificate.status != ACTIVE:
        raise StatusChangeRefused(_not_active_sentence(session, certificate, "suspended"))
    return _change_status(session, actor, certificate, SUSPENDED, reason, now)


def unsuspend(session: Session, actor: User | None, code: str, now: datetime,
              reason: str | None = None) -> Certificate:
    """Lift a suspension: the certificate is active again."""
    certificate = get_certificate(session, code)
    if certificate.status != SUSPENDED:
        raise StatusChangeRefused(
            f"Certificate {certificate.code} is not suspended (it is {certificate.status}).")
    note = (reason or "").strip()[:REASON_MAX_LENGTH] or None
    return _change_status(session, actor, certificate, ACTIVE, note, now,
                          lifted=certificate.status_reason)


def _change_status(session: Session, actor: User | None, certificate: Certificate,
                   status: str, reason: str | None, now: datetime, **details: Any) -> Certificate:
    """Apply a status change only if nobody changed the status meanwhile; audit it."""
    before = certificate.status
    changed = session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == before)
        .values(status=status, status_reason=reason if status != ACTIVE else None,
                status_changed_at=_utc(now), status_changed_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(certificate)
    if not changed:
        raise StatusChangeRefused(f"Certificate {certificate.code} changed meanwhile; it is "
                                  f"now {certificate.status}. Please check and try again.")
    action, done = _STATUS_ACTIONS[status]
    record(session, actor, f"certificate.{action}", "certificate", certificate.code,
           f"Certificate {certificate.code} {done}", reason=reason, previous_status=before,
           **details)
    return certificate


def _required_reason(reason: str | None, doing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StatusChangeRefused(f"Give a reason for {doing} the certificate; it is kept and "
                                  "shown on verification.")
    if len(reason) > REASON_MAX_LENGTH:
        raise StatusChangeRefused(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    return reason


def _not_active_sentence(session: Session, certificate: Certificate, wanted: str) -> str:
    code = certificate.code
    if certificate.status == SUSPENDED:
        return f"Certificate {code} is already suspended: {certificate.status_reason}"
    if certificate.status == REVOKED:
        return f"Certificate {code} was revoked; a revoked certificate cannot be {wanted}."
    successor = renewed_by(session, certificate)
    newer = f" by {successor.code}" if successor else ""
    return f"Certificate {code} was renewed{newer}; act on the newer certificate instead."


# --- finding ----------------------------------------------------------------------------------

def get_certificate(session: Session, code: str) -> Certificate:
    """The certificate with this code as typed, or CertificateNotFound with a sentence why."""
    parsed = parse_code(code)
    if not parsed.ok:
        raise CertificateNotFound(parsed.message)
    certificate = session.scalar(select(Certificate).where(Certificate.code == parsed.canonical))
    if certificate is None:
        raise CertificateNotFound(f"No certificate has the code {parsed.canonical}.")
    return certificate


def find_certificate(session: Session, code: str) -> Certificate | None:
    """The certificate with this code as typed, or None."""
    try:
        return get_certificate(session, code)
    except CertificateNotFound:
        return None


def live_certificate(session: Session, user: User, course: Course) -> Certificate | None:
    """The learner's active or suspended certificate for the course."""
    return _live(session, user.id, course.id)


def _live(session: Session, user_id: int, course_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.status.in_((ACTIVE, SUSPENDED))))


def renewed_by(session: Session, certificate: Certificate) -> Certificate | None:
    """The certificate that renewed this one."""
    return session.scalar(select(Certificate).where(Certificate.previous_id == certificate.id))


def certificates_of(session: Session, user: User) -> list[Certificate]:
    """The learner's certificates, newest first (PDF bytes are not loaded)."""
    return list(session.scalars(
        select(Certificate).options(defer(Certificate.pdf))
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def certificates_by_course(session: Session, user: User) -> dict[int, Certificate]:
    """Per course id, the learner's live certificate, else the latest one (for the dashboard)."""
    found: dict[int, Certificate] = {}
    for certificate in certificates_of(session, user):
        current = found.get(certificate.course_id)
        if current is None or (certificate.status in (ACTIVE, SUSPENDED)
                               and current.status not in (ACTIVE, SUSPENDED)):
            found[certificate.course_id] = certificate
    return found


def claimable_courses(session: Session, user: User) -> list[Course]:
    """Courses whose final exam the learner passed but who hold no certificate for them.

    A course whose certificate was revoked is not claimable: only an administrator issues again.
    """
    held = select(Certificate.course_id).where(Certificate.user_id == user.id)
    passed = select(QuizAttempt.course_id).where(
        QuizAttempt.user_id == user.id, QuizAttempt.quiz_key == FINAL_EXAM_KEY,
        QuizAttempt.status == "submitted", QuizAttempt.passed.is_(True))
    return list(session.scalars(
        select(Course).where(Course.id.in_(passed), Course.id.not_in(held))
        .order_by(Course.title)))


def search_certificates(q: str = "", status: str | None = None) -> Select:
    """Certificates matching a code, holder name, email or course slug, newest first."""
    stmt = (select(Certificate).join(User, Certificate.user_id == User.id)
            .options(defer(Certificate.pdf))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    q = q.strip()
    if q:
        parsed = parse_code(q)
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(
            Certificate.code == (parsed.canonical or q.upper()),
            func.lower(Certificate.holder_name).like(like), func.lower(User.email).like(like),
            Certificate.course_slug == q.lower()))
    if status in STATUSES:
        stmt = stmt.where(Certificate.status == status)
    return stmt


# --- what a stored certificate states -----------------------------------------------------------

def certificate_facts(session: Session, certificate: Certificate,
                      issuer_name: str) -> CertificateFacts:
    """The facts of an issued certificate, rebuilt from its signed payload (never re-signed)."""
    version = session.get(CourseVersion, certificate.version_id)
    return _facts(certificate.payload, certificate.signature, certificate.key_id, issuer_name,
                  certificate_wording(version), certificate.organisation_name)


def _facts(payload_json: str, signature: str, kid: str, issuer_name: str, wording: str,
           organisation_name: str | None) -> CertificateFacts:
    payload = json.loads(payload_json)
    expires_on = payload["expires_on"]
    return CertificateFacts(
        code=payload["code"], holder_name=payload["holder_name"],
        course_title=payload["course_title"], course_slug=payload["course_slug"],
        course_version=payload["course_version"],
        issued_on=date.fromisoformat(payload["issued_on"]),
        expires_on=date.fromisoformat(expires_on) if expires_on else None,
        issuer_name=issuer_name, issuer_url=payload["issuer"],
        verify_url=f"{payload['issuer']}/verify/{payload['code']}", wording=wording,
        organisation_name=organisation_name, payload_json=payload_json, signature=signature,
        key_id=kid,
    )


def certificate_wording(version: CourseVersion | None) -> str:
    """The headline a course version prints on its certificates.

    It sits in the version's whole course spec, which is large: each process reads it once per
    version (a version never changes; the content hash guards against a reused id).
    """
    if version is None:
        return DEFAULT_WORDING
    key = version_key(version)
    wording = _WORDINGS.get(key)
    if wording is None:
        spec = version.spec if isinstance(version.spec, dict) else {}
        if len(_WORDINGS) >= 256:
            _WORDINGS.clear()
        wording = _WORDINGS[key] = spec.get("certificate_wording") or DEFAULT_WORDING
    return wording


_WORDINGS: dict[tuple[int, str], str] = {}


@dataclass(frozen=True)
class OpenBadge:
    """A certificate as an Open Badges 3.0 credential: readable JSON and the signed VC-JWT."""

    credential: dict[str, Any]
    token: str


def open_badge(session: Session, certificate: Certificate,
               issuer: CertificateIssuer) -> OpenBadge:
    """The certificate's Open Badges credential, signed with the issuer's Ed25519 key."""
    facts = certificate_facts(session, certificate, issuer.name)
    version = session.get(CourseVersion, certificate.version_id)
    details = {
        "achievement_id": f"{facts.issuer_url}/courses/{facts.course_slug}",
        "description": (version.summary if version else "") or facts.course_title,
        "criteria": BADGE_CRITERIA,
    }
    credential = badge.build_credential(facts, **details)
    return OpenBadge(credential, badge.sign_credential(credential, issuer.keyring))


def linkedin_url(certificate: Certificate, issuer_name: str) -> str:
    """LinkedIn's "add licence or certification" link, pre-filled for this certificate."""
    expires_on = certificate.expires_at.date() if certificate.expires_at else None
    payload = json.loads(certificate.payload)
    return badge.linkedin_add_url(
        certificate.course_title, issuer_name, certificate.issued_at.date(), expires_on,
        certificate.code, f"{payload['issuer']}/verify/{certificate.code}")


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC is expected")
    return moment.astimezone(UTC)
