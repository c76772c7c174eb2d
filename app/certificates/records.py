"""Finding certificates, and what a stored certificate states (facts, badge, share links).

Nothing here writes: issuance is in :mod:`app.certificates.issuance`, status changes in
:mod:`app.certificates.status`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer

from app.certificates import badge, data_integrity, status_list
from app.certificates.codes import parse_code
from app.certificates.errors import CertificateNotFound
from app.certificates.payload import CertificatePayload
from app.certificates.design import (
    DEFAULT_WORDING, CertificateFacts, Signatory, academy_signatory, study_time,
)
from app.courses import standing
from app.courses.catalogue import version_key
from app.courses.translations import CourseWording, course_wording, translation_part
from app.models import (
    Certificate, Course, CourseAsset, CourseVersion, QuizAttempt, User, VersionLesson,
)
from app.models.certificates import LIVE_STATUSES, STATUSES
from app.models.quizzes import FINAL_EXAM_KEY, SUBMITTED

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer

BADGE_CRITERIA = _l("Completed every lesson and module quiz of the course and passed its final "
                    "exam.")
CAPSTONE_CRITERIA = _l("Handed in capstone work (the holder's own company-level plan), scored as "
                       "a pass by a trainer against the course's published rubric.")


# --- finding ----------------------------------------------------------------------------------

def get_certificate(session: Session, code: str) -> Certificate:
    """The certificate with this code as typed, or CertificateNotFound with a sentence why."""
    parsed = parse_code(code)
    if not parsed.ok:
        raise CertificateNotFound(parsed.message)
    certificate = session.scalar(select(Certificate).where(Certificate.code == parsed.canonical))
    if certificate is None:
        raise CertificateNotFound(_l("No certificate has the code %(code)s.",
                                     code=parsed.canonical))
    return certificate


def find_certificate(session: Session, code: str) -> Certificate | None:
    """The certificate with this code as typed, or None."""
    try:
        return get_certificate(session, code)
    except CertificateNotFound:
        return None


def live_certificate(session: Session, user: User, course: Course) -> Certificate | None:
    """The learner's active or suspended certificate for the course."""
    return standing.live_certificate(session, user.id, course.id)


def renewal_opens_at(certificate: Certificate) -> datetime | None:
    """When the holder may renew by passing the final exam again; None if it never expires."""
    return standing.renewal_opens_at(certificate.expires_at)


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
        if current is None or (certificate.status in LIVE_STATUSES
                               and current.status not in LIVE_STATUSES):
            found[certificate.course_id] = certificate
    return found


def claimable_courses(session: Session, user: User) -> list[Course]:
    """Courses whose final exam the learner passed but who hold no certificate for them.

    A course whose certificate was revoked is not claimable: only an administrator issues again.
    """
    held = select(Certificate.course_id).where(Certificate.user_id == user.id)
    passed = select(QuizAttempt.course_id).where(
        QuizAttempt.user_id == user.id, QuizAttempt.quiz_key == FINAL_EXAM_KEY,
        QuizAttempt.status == SUBMITTED, QuizAttempt.passed.is_(True))
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
    """The facts of an issued certificate, rebuilt from its signed payload (never re-signed),
    worded in the language it was issued in."""
    version = session.get(CourseVersion, certificate.version_id)
    locale = certificate.locale or "en"  # a row not yet stored has no default yet
    with force_locale(locale):
        wording = certificate_wording(version)
    return CertificateFacts(
        payload=CertificatePayload.from_json(certificate.payload),
        payload_json=certificate.payload, signature=certificate.signature,
        key_id=certificate.key_id, issuer_name=issuer_name, wording=wording,
        organisation_name=certificate.organisation_name, locale=locale)


def certificate_wording(version: CourseVersion | None) -> str:
    """The headline a course version prints on its certificates: the course's own, else
    "Certificate of Completion" in the current language.

    It sits in the version's whole course spec, which is large: each process reads it once per
    version (a version never changes; the content hash guards against a reused id).
    """
    if version is None:
        return str(DEFAULT_WORDING)
    key = version_key(version)
    if key not in _WORDINGS:
        spec = version.spec if isinstance(version.spec, dict) else {}
        if len(_WORDINGS) >= 256:
            _WORDINGS.clear()
        _WORDINGS[key] = spec.get("certificate_wording") or None
    return _WORDINGS[key] or str(DEFAULT_WORDING)


_WORDINGS: dict[tuple[int, str], str | None] = {}


def document_design(session: Session, version: CourseVersion, templates_dir: Path,
                    wording: CourseWording) -> dict[str, Any]:
    """What a certificate earned on this version prints beyond its payload: the achievement
    line, the hours of study and the signatory (the academy's when the course names none),
    in the language of `wording`."""
    achievement, minutes = course_achievement(session, version, wording)
    return {"achievement": achievement, "study_minutes": minutes,
            "signatory": course_signatory(session, version, templates_dir, wording)}


def course_achievement(session: Session, version: CourseVersion,
                       wording: CourseWording | None = None) -> tuple[str, int]:
    """What a holder can now do (the summary when the course says nothing more), in the
    language of `wording` (the source's without), and the minutes of the version's lessons and
    exercises."""
    minutes = session.scalar(
        select(func.coalesce(func.sum(VersionLesson.minutes + VersionLesson.exercise_minutes), 0))
        .where(VersionLesson.version_id == version.id))
    if wording is None:
        return version.achievement or version.summary or "", int(minutes or 0)
    return wording.achievement or course_summary(session, version, wording.locale), \
        int(minutes or 0)


def course_summary(session: Session, version: CourseVersion, locale: str) -> str:
    """The version's summary in `locale` when it is translated, else the source's."""
    translated = translation_part(session, version, locale, "course") or {}
    return translated.get("summary") or version.summary or ""


def course_signatory(session: Session, version: CourseVersion, templates_dir: Path,
                     wording: CourseWording | None = None) -> Signatory | None:
    """The version's signatory with their signature image, else the academy's; titled in the
    language of `wording` when given."""
    signatory = _signatory(session, version, templates_dir)
    if signatory is None or wording is None:
        return signatory
    return signatory.in_language(wording.locale, wording.signatory_title)


def _signatory(session: Session, version: CourseVersion,
               templates_dir: Path) -> Signatory | None:
    named = version.signatory
    if not named:
        return academy_signatory(templates_dir)
    image = session.scalar(select(CourseAsset).where(
        CourseAsset.version_id == version.id, CourseAsset.path == named["signature"]))
    if image is None:
        return Signatory(named["name"], named["title"])
    return Signatory(named["name"], named["title"], image.data, image.content_type)


@dataclass(frozen=True)
class Certifies:
    """What a certificate certifies, for the verify page: the achievement line in the
    certificate's language (`locale`) and the minutes of study (worded in the reader's)."""

    achievement: str
    minutes: int
    locale: str

    @property
    def statement(self) -> str:
        """The achievement as one sentence (with its full stop)."""
        text = self.achievement.strip()
        return text if not text or text[-1] in ".!?" else f"{text}."

    @property
    def study_time(self) -> str | None:
        """"About 6 hours of study", in the reader's language."""
        return study_time(self.minutes)


def what_code_certifies(session: Session, code: str | None) -> Certifies | None:
    """The verify page's line for a certificate: what its holder could do when certified, as
    the certificate states it, and the hours of study (None for an unknown code)."""
    found = session.execute(select(CourseVersion, Certificate.locale).join(
        Certificate, Certificate.version_id == CourseVersion.id).where(Certificate.code == code)
    ).first()
    if found is None:
        return None
    version, locale = found
    wording = course_wording(session, version, locale)
    achievement, minutes = course_achievement(session, version, wording)
    if not achievement and minutes <= 0:
        return None
    return Certifies(achievement, minutes, wording.locale)


@dataclass(frozen=True)
class OpenBadge:
    """A certificate as an Open Badges 3.0 credential: the JSON with its embedded proof, and
    (when asked for) the same credential signed as an OB 3.0 JWT."""

    credential: dict[str, Any]
    token: str | None = None


def open_badge(session: Session, certificate: Certificate, issuer: CertificateIssuer,
               algorithm: str | None = None) -> OpenBadge:
    """The certificate's Open Badges credential, proved with the issuer's Ed25519 key; with an
    algorithm (RS256 or EdDSA), also its JWT."""
    facts = certificate_facts(session, certificate, issuer.name)
    version = session.get(CourseVersion, certificate.version_id)
    base_url = facts.payload.issuer
    slug = facts.payload.course_slug
    # The achievement is written in the language the course's words are in: the certificate's
    # when the course is translated into it, else the course's own.
    language = course_wording(session, version, facts.locale).locale if version else facts.locale
    with force_locale(language):
        criteria = " ".join(str(sentence) for sentence in (
            BADGE_CRITERIA, *([CAPSTONE_CRITERIA] if certificate.capstone_assessed else ())))
        credential = _credential(certificate, issuer, facts, {
            "achievement_id": f"{base_url}/courses/{slug}", "language": language,
            "description": (course_summary(session, version, language) if version else "")
            or facts.payload.course_title,
            "criteria": criteria})
    if algorithm is None:
        return OpenBadge(credential)
    rsa_key = issuer.rsa_key if algorithm == badge.RSA_ALGORITHM else None
    return OpenBadge(credential, badge.sign_credential(credential, issuer.keyring,
                                                       algorithm=algorithm, rsa_key=rsa_key))


def _credential(certificate: Certificate, issuer: CertificateIssuer, facts: CertificateFacts,
                worded: dict[str, Any]) -> dict[str, Any]:
    """The certificate's credential with its Data Integrity proof."""
    base_url = facts.payload.issuer
    slug = facts.payload.course_slug
    details = {
        **worded,
        "capstone_assessed": bool(certificate.capstone_assessed),
        "image_url": f"{base_url}/certificates/achievements/{slug}/image.svg",
        "holder": badge.holder_identity(issuer.settings.subject_secret, certificate.user_id,
                                        certificate.user.email if certificate.user else None,
                                        certificate.code),
        "credential_status": status_list.open_badge_status(certificate, base_url),
    }
    credential = badge.build_credential(facts, **details)
    return data_integrity.add_proof(credential, issuer.keyring, base_url,
                                    created=_utc_timestamp(certificate.issued_at))


def _utc_timestamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def linkedin_url(certificate: Certificate, issuer_name: str) -> str:
    """LinkedIn's "add licence or certification" link, pre-filled for this certificate."""
    expires_on = certificate.expires_at.date() if certificate.expires_at else None
    payload = CertificatePayload.from_json(certificate.payload)
    return badge.linkedin_add_url(
        certificate.course_title, issuer_name, certificate.issued_at.date(), expires_on,
        certificate.code, payload.verify_url)
