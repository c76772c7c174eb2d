"""Issuing and renewing certificates: one live certificate per learner and course.

Issuance signs the payload, renders and PDF-signs the document once and stores the bytes: every
later download hands out exactly those bytes. A learner whose address is confirmed earns a
certificate by passing the final exam (the receiver of `events.final_exam_passed` in
:mod:`app.certificates.receivers` calls :func:`issue_certificate_if_eligible`; confirming the
address later issues what was held back); an administrator or the command line may issue one too.
Functions take the session, plain data, `now` and the issuer; they flush and never commit.

A certificate is issued in its learner's language (:func:`certificate_language`), which it keeps:
the words and dates of its PDF, its course title and achievement (the course's translation when
there is one) and its badge's criteria.
"""
from __future__ import annotations

import calendar
import hashlib
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.certificates.codes import new_code
from app.certificates.errors import NotEligible
from app.certificates.payload import CertificatePayload
from app.certificates.design import CertificateFacts
from app.certificates.archive import credential_bytes
from app.certificates.records import certificate_wording, document_design, open_badge
from app.clock import as_utc
from app.courses import standing
from app.courses.translations import CourseWording, course_wording
from app.models import Certificate, Course, CourseVersion, QuizAttempt, User
from app.models.certificates import (
    ACTIVE, SUPERSEDED, SUSPENDED, catch_up_status_list_entries, status_list_entry,
)
from app.models.quizzes import FINAL_EXAM_KEY, SUBMITTED

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer


#: why a learner whose address is not confirmed gets no certificate yet
UNCONFIRMED_ADDRESS = _l("Confirm your email address to receive your certificate: open the link "
                         "we mailed to you, or send it again from your account page.")


#: how often issuance tries the next free status list entry when concurrent issuance took it
_INDEX_ATTEMPTS = 5


class _RenewedMeanwhile(Exception):
    """Another request renewed the same certificate first."""


def issue_certificate(session: Session, user: User, course: Course, now: datetime, *,
                      actor: User | None = None, issuer: CertificateIssuer,
                      page_locale: str | None = None) -> Certificate:
    """Issue the learner's certificate for the course, or return the live one they hold.

    A holder in the renewal window (RECERTIFICATION_WINDOW before expiry, or any time after)
    who has passed the final exam again gets a new certificate linked to the old one, which
    becomes superseded in the same transaction.

    :param actor: who issues (None when the learner earned it or for the command line)
    :param page_locale: the language of the page the learner was shown when their action issued
        the certificate (None when someone else's action or a command issues it)
    :raises NotEligible: the learner's address is not confirmed yet, the rule is not met, the
        live certificate is suspended, or the last certificate was revoked and no
        recertification was allowed since
    """
    if not user.email_verified:
        raise NotEligible([UNCONFIRMED_ADDRESS])
    rule = standing.certification_status(session, user, course)
    if not rule.met:
        raise NotEligible(rule.reasons)
    live = standing.live_certificate(session, user.id, course.id)
    if live is None:
        _refuse_after_revocation(session, user, course)
    elif not _renewal_due(session, live, now):
        return live
    version = _earned_version(session, user, course)
    locale = certificate_language(user, page_locale, live, issuer.settings.languages)
    wording = course_wording(session, version, locale)
    with force_locale(locale):
        certificate, facts = _new_certificate(user, course, version, now, issuer, previous=live,
                                              wording=wording, locale=locale)
    facts = replace(facts, **document_design(session, version, issuer.settings.templates_dir,
                                             wording))
    certificate.capstone_assessed = standing.capstone_passed(session, user.id, course.id)
    stored = _store(session, certificate, live, actor, now)
    if stored is not certificate:
        return stored  # another request issued it first
    _render(session, certificate, facts, version.certificate_template, issuer)
    _announce(session, certificate, live, actor, now)
    return certificate


def issue_certificate_if_eligible(session: Session, user: User, course: Course, now: datetime,
                                  *, issuer: CertificateIssuer,
                                  page_locale: str | None = None) -> Certificate | None:
    """Issue (or renew) after a passed final exam; None when the rule is not met, or while the
    learner's address is not confirmed (confirming it issues what is due: see
    :func:`app.certificates.receivers.issue_after_verification`)."""
    try:
        return issue_certificate(session, user, course, now, issuer=issuer,
                                 page_locale=page_locale)
    except NotEligible:
        return None


def certificate_language(user: User, page_locale: str | None, previous: Certificate | None,
                         languages: tuple[str, ...]) -> str:
    """The language a certificate is issued in, one of `languages`: the learner's chosen one;
    else the language of the page they were shown when they earned it; else, for a renewal,
    the renewed certificate's; else the first of `languages` (English)."""
    candidates = (user.locale, page_locale, previous.locale if previous else None)
    return next((code for code in candidates if code in languages), languages[0])


def _renewal_due(session: Session, live: Certificate, now: datetime) -> bool:
    """True when a live certificate is in its renewal window and the exam was passed again."""
    if live.status == SUSPENDED:
        raise NotEligible([_l("Certificate %(code)s is suspended while it is reviewed; it "
                              "cannot be renewed until the suspension is lifted.",
                              code=live.code)])
    opens = standing.renewal_opens_at(live.expires_at)
    if opens is None or now < opens:
        return False
    passed_at = last_final_exam_pass(session, live.user_id, live.course_id)
    return passed_at is not None and passed_at > live.issued_at and passed_at >= opens


def _refuse_after_revocation(session: Session, user: User, course: Course) -> None:
    """A revoked certificate blocks a new one until an administrator allows recertification;
    after that, only a final exam passed since the permission earns one."""
    latest = standing.latest_certificate(session, user.id, course.id)
    if standing.revocation_hold(latest):
        raise NotEligible([_l("Certificate %(code)s was revoked; a new certificate is issued "
                              "only after an administrator allows recertification.",
                              code=latest.code)])
    if standing.recertification_allowed(latest):
        passed_at = last_final_exam_pass(session, user.id, course.id)
        if passed_at is None or passed_at < latest.recertification_allowed_at:
            raise NotEligible([_l("Pass the final exam again: recertification was allowed "
                                  "after certificate %(code)s was revoked.", code=latest.code)])


def _earned_version(session: Session, user: User, course: Course) -> CourseVersion:
    """The course version of the learner's latest passed final exam (else the current one)."""
    version_id = session.scalar(
        _final_exam_passes(user.id, course.id)
        .with_only_columns(QuizAttempt.version_id)
        .order_by(QuizAttempt.submitted_at.desc()).limit(1))
    version = session.get(CourseVersion, version_id) if version_id else None
    return version or course.current_version


def _new_certificate(user: User, course: Course, version: CourseVersion, now: datetime,
                     issuer: CertificateIssuer, previous: Certificate | None, *,
                     wording: CourseWording | None = None, locale: str = "en"
                     ) -> tuple[Certificate, CertificateFacts]:
    """Sign the payload: the record, not yet stored, and the facts its PDF will show (the PDF
    is rendered once the record holds its status list entry; see :func:`_render`)."""
    now = as_utc(now)
    expires_at = add_months(now, version.validity_months) if version.validity_months else None
    payload = CertificatePayload.earned(new_code(), user, course, version, now, expires_at,
                                        issuer.url,
                                        course_title=wording.title if wording else None)
    facts = _signed_facts(issuer, payload, wording=certificate_wording(version),
                          organisation_name=user.organisation.name if user.organisation else None)
    facts = replace(facts, locale=locale)
    return Certificate(
        code=payload.code, user_id=user.id, course_id=course.id, version_id=version.id,
        holder_name=payload.holder_name, course_title=payload.course_title,
        course_slug=payload.course_slug, version_number=version.number,
        organisation_name=facts.organisation_name, issued_at=now, expires_at=expires_at,
        status=ACTIVE, key_id=facts.key_id, payload=facts.payload_json,
        signature=facts.signature, pdf=b"", pdf_sha256="",
        previous_id=previous.id if previous else None, locale=locale,
    ), facts


def _render(session: Session, certificate: Certificate, facts: CertificateFacts,
            template: str | None, issuer: CertificateIssuer) -> None:
    """Render and sign the stored record's PDF, embedding its proved Open Badges credential
    (which names the record's holder id and status list entry)."""
    credential = credential_bytes(open_badge(session, certificate, issuer).credential)
    pdf = issuer.render_and_sign(replace(facts, credential_json=credential), template)
    certificate.pdf, certificate.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    session.flush()


def _signed_facts(issuer: CertificateIssuer, payload: CertificatePayload, *, wording: str,
                  organisation_name: str | None) -> CertificateFacts:
    """Sign the canonical payload and return everything the PDF prints and embeds."""
    payload_bytes = payload.canonical_bytes()
    kid, signature = issuer.keyring.sign(payload_bytes)
    return CertificateFacts(payload=payload, payload_json=payload_bytes.decode("utf-8"),
                            signature=signature, key_id=kid, issuer_name=issuer.name,
                            wording=wording, organisation_name=organisation_name)


def _store(session: Session, certificate: Certificate, previous: Certificate | None,
           actor: User | None, now: datetime) -> Certificate:
    """Insert the certificate (superseding `previous`); a concurrent winner is returned instead."""
    user_id, course_id = certificate.user_id, certificate.course_id
    for attempt in range(_INDEX_ATTEMPTS):
        entry = status_list_entry(session)
        if entry is not None:
            certificate.status_list_index = entry
        try:
            with session.begin_nested():
                if previous is not None:
                    _supersede(session, previous, certificate.code, actor, now)
                session.add(certificate)
                session.flush()
            break
        except (IntegrityError, _RenewedMeanwhile) as refusal:
            # The partial unique index let only one request through; hand out its certificate.
            winner = standing.live_certificate(session, user_id, course_id)
            if winner is not None:
                return winner
            # A concurrent insert took the same status list entry (the model's default, the
            # next free one), or rows loaded by SQL did (the sequence): take the next.
            if not isinstance(refusal, IntegrityError) or attempt + 1 == _INDEX_ATTEMPTS:
                raise
            catch_up_status_list_entries(session)
    return certificate


def _announce(session: Session, certificate: Certificate, previous: Certificate | None,
              actor: User | None, now: datetime) -> None:
    """Audit the issuance and send `certificate_issued`, once the record and its PDF are in."""
    user_id = certificate.user_id
    action = "certificate.renew" if previous is not None else "certificate.issue"
    record(session, actor, action, "certificate", certificate.code,
           f"Certificate {certificate.code} issued to {certificate.holder_name} for "
           f"{certificate.course_slug}", course=certificate.course_slug,
           holder=certificate.holder_name, user_id=user_id, locale=certificate.locale,
           previous=previous.code if previous else None)
    events.certificate_issued.send(None, session=session, certificate=certificate,
                                   previous=previous, actor=actor, now=now)


def _supersede(session: Session, previous: Certificate, successor_code: str,
               actor: User | None, now: datetime) -> None:
    """Mark the renewed certificate superseded, unless another request did so first."""
    changed = session.execute(
        update(Certificate)
        .where(Certificate.id == previous.id, Certificate.status == ACTIVE)
        .values(status=SUPERSEDED, status_reason=f"Renewed by certificate {successor_code}.",
                status_changed_at=as_utc(now), status_changed_by_id=actor.id if actor else None)
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


def last_final_exam_pass(session: Session, user_id: int, course_id: int) -> datetime | None:
    """When the learner last passed the course's final exam."""
    return session.scalar(
        _final_exam_passes(user_id, course_id).with_only_columns(
            func.max(QuizAttempt.submitted_at)))


def _final_exam_passes(user_id: int, course_id: int) -> Select:
    return select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.course_id == course_id,
        QuizAttempt.quiz_key == FINAL_EXAM_KEY, QuizAttempt.status == SUBMITTED,
        QuizAttempt.passed.is_(True))
