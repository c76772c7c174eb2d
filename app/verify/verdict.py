"""The one verification verdict: is this certificate real, and is it still valid?

:func:`verify_certificate` reads a typed code and answers from the issued record: the
stored payload's Ed25519 signature must verify and agree with the row; then the status and
the expiry decide. Every channel (page, API, PDF upload, bulk CSV, CLI) ends here.
"""
from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, defer

from app.certificates.codes import CodeStatus, parse_code
from app.certificates.payload import FIELD_LABELS, CertificatePayload
from app.certificates.status import public_reason_text
from app.certificates.signing import KeyRing
from app.dates import long_date
from app.models import Certificate
from app.models.certificates import EXPIRED, REVOKED, SUPERSEDED, SUSPENDED

log = logging.getLogger(__name__)

#: the longest text worth reading as a code; anything longer is not one
MAX_CODE_TEXT = 200
#: lookups per query when many codes are verified at once
LOOKUP_CHUNK = 500


class Outcome(enum.StrEnum):
    """The verdict on a certificate code or file."""

    VALID = "valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"
    MISTYPED = "mistyped"
    MALFORMED = "malformed"
    TAMPERED = "tampered"


HEADLINES = {
    Outcome.VALID: _l("Valid certificate"),
    Outcome.EXPIRED: _l("Expired certificate"),
    Outcome.SUSPENDED: _l("Suspended certificate"),
    Outcome.REVOKED: _l("Revoked certificate"),
    Outcome.NOT_FOUND: _l("No such certificate"),
    Outcome.MISTYPED: _l("This code looks mistyped"),
    Outcome.MALFORMED: _l("This is not a certificate code"),
    Outcome.TAMPERED: _l("Do not rely on this certificate"),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to "is this certificate real, and is it still valid?"."""

    outcome: Outcome
    code: str | None
    summary: str | LazyString
    reasons: tuple[str | LazyString, ...] = ()
    #: what the certificate states: its signed payload, nothing else about the learner
    certificate: CertificatePayload | None = None
    #: the public reason of a revocation or suspension (never the internal note)
    status_reason: str | None = None
    status_changed_at: datetime | None = None
    key_id: str | None = None
    payload: str | None = None
    signature: str | None = None
    checked_at: datetime | None = None
    #: the holder's capstone work was scored against a rubric (the work itself stays private)
    capstone_assessed: bool = False

    @property
    def headline(self) -> LazyString:
        """A few words for the top of the page."""
        return HEADLINES[self.outcome]

    @property
    def is_valid(self) -> bool:
        """True only for a genuine, current certificate."""
        return self.outcome is Outcome.VALID

    @property
    def record_intact(self) -> bool | None:
        """Whether the signed record checked out (None when there was no record to check)."""
        if self.payload is None:
            return None
        return self.outcome is not Outcome.TAMPERED


# --- one code ---------------------------------------------------------------------------------


def verify_certificate(session: Session, code_text: str | None, *, keyring: KeyRing,
                       now: datetime) -> Verdict:
    """Judge a typed certificate code against the issued records.

    :param code_text: the code as a person typed it (any case, spaces, dashes, look-alikes)
    :param keyring: the keys whose signatures certificates may carry
    :param now: the moment of the check (decides expiry)
    """
    if len(code_text or "") > MAX_CODE_TEXT:
        return Verdict(Outcome.MALFORMED, None,
                       _l("This is far too long to be a certificate code."), checked_at=now)
    parsed = parse_code(code_text or "")
    if parsed.status is CodeStatus.MALFORMED:
        return Verdict(Outcome.MALFORMED, None, parsed.message, checked_at=now)
    if parsed.status is CodeStatus.MISTYPED:
        return Verdict(Outcome.MISTYPED, None, parsed.message, checked_at=now)
    certificate = session.scalar(_BY_CODE, {"code": parsed.canonical})
    if certificate is None:
        return not_found(parsed.canonical, now)
    return judge_certificate(certificate, keyring=keyring, now=now)


def _by_codes(codes: Sequence[str]) -> Select:
    """SQL: certificates by code, without the stored PDF (the verdict never needs its bytes)."""
    return select(Certificate).options(defer(Certificate.pdf)).where(Certificate.code.in_(codes))


# Built once: this lookup runs on every public verification.
_BY_CODE = select(Certificate).options(defer(Certificate.pdf)) \
    .where(Certificate.code == bindparam("code"))


def not_found(code: str, now: datetime) -> Verdict:
    """The verdict for a well-formed code that no certificate of ours carries."""
    return Verdict(Outcome.NOT_FOUND, code,
                   _l("We have never issued a certificate with the code %(code)s. Check the code "
                      "against the document; if it matches, the document is not genuine.",
                      code=code),
                   checked_at=now)


def judge_certificate(certificate: Certificate, *, keyring: KeyRing, now: datetime) -> Verdict:
    """Judge one issued certificate: its signed record first, then its status and expiry."""
    problems, statement = read_record(certificate, keyring)
    if problems or statement is None:
        with force_locale("en"):
            log.warning("certificate %s failed its record check: %s", certificate.code,
                        [str(problem) for problem in problems])
        return Verdict(Outcome.TAMPERED, certificate.code,
                       _l("The record of this certificate fails our integrity check, so we "
                          "cannot confirm it. Please contact us before relying on it."),
                       reasons=tuple(problems), key_id=certificate.key_id,
                       payload=certificate.payload, signature=certificate.signature,
                       checked_at=now)
    outcome, summary = _status_outcome(certificate, statement, now)
    stated_status = outcome in (Outcome.REVOKED, Outcome.SUSPENDED)
    return Verdict(
        outcome, certificate.code, summary, reasons=_status_notes(certificate),
        certificate=statement,
        status_reason=public_reason_text(certificate.public_reason) if stated_status else None,
        status_changed_at=certificate.status_changed_at if stated_status else None,
        key_id=certificate.key_id, payload=certificate.payload,
        signature=certificate.signature, checked_at=now,
        capstone_assessed=bool(certificate.capstone_assessed),
    )


def _status_outcome(certificate: Certificate, statement: CertificatePayload,
                    now: datetime) -> tuple[Outcome, LazyString]:
    """The outcome for an intact record, and the sentence that explains it."""
    who = {"holder": statement.holder_name, "course": statement.course_title}
    changed = certificate.status_changed_at
    state = certificate.state(now)
    if state == REVOKED:
        if changed is None:
            return Outcome.REVOKED, _l("%(holder)s's certificate for %(course)s was revoked. It "
                                       "is no longer valid.", **who)
        return Outcome.REVOKED, _l("%(holder)s's certificate for %(course)s was revoked on "
                                   "%(date)s. It is no longer valid.", **who,
                                   date=reader_date(changed))
    if state == SUSPENDED:
        if changed is None:
            return Outcome.SUSPENDED, _l("%(holder)s's certificate for %(course)s is suspended. "
                                         "It is not valid while the suspension lasts.", **who)
        return Outcome.SUSPENDED, _l("%(holder)s's certificate for %(course)s is suspended "
                                     "since %(date)s. It is not valid while the suspension "
                                     "lasts.", **who, date=reader_date(changed))
    if state == EXPIRED or (state == SUPERSEDED and certificate.has_expired(now)):
        return Outcome.EXPIRED, _l("%(holder)s's certificate for %(course)s was genuine but "
                                   "expired on %(date)s.", **who,
                                   date=reader_date(statement.expires_on))
    if statement.expires_on is None:
        return Outcome.VALID, _l("%(holder)s's certificate for %(course)s is genuine and valid.",
                                 **who)
    return Outcome.VALID, _l("%(holder)s's certificate for %(course)s is genuine and valid "
                             "until %(date)s.", **who, date=reader_date(statement.expires_on))


def _status_notes(certificate: Certificate) -> tuple[LazyString, ...]:
    """Extra sentences about the certificate's standing."""
    if certificate.status != SUPERSEDED:
        return ()
    if certificate.status_changed_at is None:
        return (_l("A newer certificate for the same course replaces this one."),)
    return (_l("A newer certificate for the same course replaces this one since %(date)s.",
               date=reader_date(certificate.status_changed_at)),)


def read_record(certificate: Certificate,
                keyring: KeyRing) -> tuple[list[LazyString], CertificatePayload | None]:
    """The signed payload, parsed once, and a sentence for each way the record fails: the
    signature, a record that is not a payload, or row fields that differ from what was signed."""
    if not keyring.verify(certificate.payload.encode("utf-8"), certificate.key_id,
                          certificate.signature):
        if keyring.public_key(certificate.key_id) is None:
            return [_l("The record is signed with a key we do not publish.")], None
        return [_l("The record's digital signature does not match its contents.")], None
    try:
        stated = CertificatePayload.from_json(certificate.payload)
    except ValueError:
        return [_l("The signed record is not readable.")], None
    mismatched = CertificatePayload.from_row(certificate, stated.issuer).differences(
        stated.to_dict())
    if mismatched:
        return [_l("The certificate's %(fields)s differ from what was signed.",
                   fields=", ".join(FIELD_LABELS[n] for n in mismatched))], None
    return [], stated


def display_date(day: date | datetime | None) -> str:
    """A date as pages print it: 5 March 2026 (empty for none)."""
    return long_date(day) if day is not None else ""


def reader_date(day: date | datetime) -> LazyString:
    """A date for a sentence, written when the sentence is shown: 5 March 2026 in English,
    the reader's language's long form otherwise."""
    return LazyString(_date_in_reader_language, day)


def _date_in_reader_language(day: date | datetime) -> str:
    locale = get_locale()
    if locale is None or locale.language == "en":
        return display_date(day)
    return format_date(day.date() if isinstance(day, datetime) else day, "long", locale=locale)


def code_like(cell: str) -> bool:
    """True when a cell is a certificate code, even a mistyped one."""
    return parse_code(cell[:MAX_CODE_TEXT]).status is not CodeStatus.MALFORMED


def verify_many(session: Session, codes: Sequence[str], *, keyring: KeyRing,
                now: datetime) -> list[Verdict]:
    """Verdicts for many typed codes, looking the certificates up in a few queries."""
    parsed = [parse_code(code[:MAX_CODE_TEXT + 1]) for code in codes]
    wanted = sorted({p.canonical for p in parsed if p.ok})
    found: dict[str, Certificate] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        found.update((c.code, c) for c in session.scalars(_by_codes(chunk)))
    verdicts = []
    for text, result in zip(codes, parsed):
        if len(text) > MAX_CODE_TEXT or not result.ok:
            verdicts.append(verify_certificate(session, text, keyring=keyring, now=now))
        elif result.canonical in found:
            verdicts.append(judge_certificate(found[result.canonical], keyring=keyring, now=now))
        else:
            verdicts.append(not_found(result.canonical, now))
    return verdicts
