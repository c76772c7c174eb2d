"""What a certificate shows: its facts, the values a template receives, sample facts.

Beyond the signed payload a certificate prints who signs it (a named signatory with a signature
image), what its holder can now do (the course's achievement line) and the hours of study behind
it. Issuance settles these once, from the course version the learner earned it on and in the
learner's language, and the PDF keeps them: the stored document never changes.
"""
from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.certificates.payload import FIELDS as PAYLOAD_FIELDS
from app.certificates.payload import SAMPLE, CertificatePayload
from app.courses.svg import SVG_TYPE, svg_problem
from app.dates import long_date

QR_DARK = "#1b2a4a"
#: the academy's signatory, for courses that name none: `certificates/signatory.yaml`
ACADEMY_SIGNATORY_FILE = "signatory.yaml"
#: printed on previews; the code does not parse, so no sample can ever be verified
SAMPLE_CODE = "SAMPLE-NOT-A-CERTIFICATE"
SAMPLE_ACHIEVEMENT = _l("Can write, communicate and review company-level OKRs, and lead their "
                        "rollout across an organisation.")
#: the headline of a course that sets none
DEFAULT_WORDING = _l("Certificate of Completion")
_IMAGE_TYPES = {".svg": SVG_TYPE, ".png": "image/png"}


@dataclass(frozen=True, slots=True)
class Signatory:
    """Who signs a certificate: name, title and their signature image (SVG or PNG bytes)."""

    name: str
    title: str
    image: bytes = b""
    content_type: str = SVG_TYPE
    #: the title in other languages: (language, title) pairs
    titles: tuple[tuple[str, str], ...] = ()

    def in_language(self, locale: str, title: str | None = None) -> Signatory:
        """The same signatory titled in `locale`: `title` when given (the course's translation),
        else the title the signatory file gives for that language, else the title as it is."""
        title = title or dict(self.titles).get(locale) or self.title
        return replace(self, title=title)

    @property
    def image_url(self) -> str | None:
        """The signature as a data: URL, the one kind of address a template may load from
        outside its folder."""
        if not self.image:
            return None
        return f"data:{self.content_type};base64,{base64.b64encode(self.image).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """Everything printed on, or embedded in, one certificate: the signed payload, the exact
    JSON text that was signed with its signature, and what the document adds around them."""

    payload: CertificatePayload
    payload_json: str
    signature: str
    key_id: str
    issuer_name: str
    wording: str
    organisation_name: str | None
    #: the issued certificate's proved Open Badges credential (JSON bytes); else built from facts
    credential_json: bytes | None = None
    #: what the holder can now do, one sentence
    achievement: str = ""
    #: the course's lessons and exercises, in minutes
    study_minutes: int = 0
    signatory: Signatory | None = None
    #: a preview with made-up data: marked SAMPLE across the page, never signed
    sample: bool = False
    #: the language the certificate is printed in (its words and dates)
    locale: str = "en"


def study_time(minutes: int) -> str | None:
    """"About 6 hours of study": whole hours from 90 minutes on, else a rounder figure (in the
    current language)."""
    if minutes <= 0:
        return None
    if minutes < 50:
        rounded = max(5, 5 * round(minutes / 5))
        return ngettext("About %(num)d minute of study", "About %(num)d minutes of study", rounded)
    hours = 1 if minutes < 90 else int(minutes / 60 + 0.5)
    return ngettext("About %(num)d hour of study", "About %(num)d hours of study", hours)


def what_it_certifies(achievement: str, minutes: int) -> str:
    """The achievement line with the hours of study, as the verify page says it."""
    time = study_time(minutes)
    if not time:
        return achievement
    if not achievement:
        return f"{time}."
    return f"{achievement}{'' if achievement[-1] in '.!?' else '.'} {time}."


def template_context(facts: CertificateFacts) -> dict[str, Any]:
    """Return the plain values a certificate template may use, worded in the facts' language."""
    with force_locale(facts.locale):
        return _context(facts)


def _context(facts: CertificateFacts) -> dict[str, Any]:
    payload, signatory = facts.payload, facts.signatory
    return {
        **payload.to_dict(),
        "lang": facts.locale,
        "course_version": str(payload.course_version),
        "issued_on_display": printed_date(payload.issued_on),
        "expires_on_display": printed_date(payload.expires_on) if payload.expires_on else None,
        "issuer_name": facts.issuer_name,
        "issuer_url": payload.issuer,
        "verify_url": payload.verify_url,
        "wording": facts.wording,
        "organisation_name": facts.organisation_name,
        "key_id": facts.key_id,
        "qr_svg": qr_svg(payload.verify_url),
        "achievement": facts.achievement or None,
        "study_time": study_time(facts.study_minutes),
        "signatory_name": signatory.name if signatory else None,
        "signatory_title": signatory.title if signatory else None,
        "signature_image": signatory.image_url if signatory else None,
    }


def printed_date(day: date) -> str:
    """A date as a certificate prints it: "5 December 2026", or the long form of the language
    the certificate is printed in ("5. Dezember 2026"); whatever the reader's time zone."""
    locale = get_locale()
    if locale is None or locale.language == "en":
        return long_date(day)
    return format_date(day, "long", locale=locale)


def qr_svg(url: str, dark: str = QR_DARK) -> Markup:
    """Return an inline SVG QR code (error correction M) that scales with its box; its title
    is the figure's alternative text in the tagged PDF."""
    import segno

    qr = segno.make(url, error="m", micro=False, boost_error=False)
    svg = qr.svg_inline(omitsize=True, dark=dark, border=2, title=f"QR code: {url}")
    return Markup(svg)  # nosec B704: segno builds the SVG and escapes the title


def academy_signatory(templates_dir: Path) -> Signatory | None:
    """The signatory of courses that name none, from `certificates/signatory.yaml`."""
    path = Path(templates_dir) / ACADEMY_SIGNATORY_FILE
    if not path.is_file():
        return None
    return _read_signatory(path.resolve(), path.stat().st_mtime_ns)


class SignatoryFileError(ValueError):
    """`certificates/signatory.yaml` or the signature it names is not usable."""


@functools.lru_cache(maxsize=8)
def _read_signatory(path: Path, _mtime: int) -> Signatory:
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    name, title = (str(data.get(key) or "").strip() for key in ("name", "title"))
    titles = data.get("titles") or {}
    image_name = str(data.get("signature") or "")
    image_path = (path.parent / image_name).resolve()
    content_type = _IMAGE_TYPES.get(image_path.suffix.lower())
    if not (name and title) or content_type is None or image_path.parent != path.parent \
            or not image_path.is_file():
        raise SignatoryFileError(f"{path} must give a name, a title and a signature: an SVG or "
                                 "PNG file next to it")
    image = image_path.read_bytes()
    problem = svg_problem(image) if content_type == SVG_TYPE else None
    if problem:
        raise SignatoryFileError(f"{image_path}: {problem}")
    if not isinstance(titles, dict):
        raise SignatoryFileError(f"{path}: titles must map a language to the title in it")
    return Signatory(name, title, image, content_type,
                     tuple((str(code), str(text).strip()) for code, text in titles.items()))


def sample_facts(**changes: Any) -> CertificateFacts:
    """Return plausible facts for previews, warm-up and tests; `changes` may name payload fields."""
    payload = replace(SAMPLE, **{k: v for k, v in changes.items() if k in PAYLOAD_FIELDS})
    facts = CertificateFacts(
        payload=payload, payload_json="{}", signature="", key_id="sample",
        issuer_name="OKR Academy", wording="Certificate of Completion", organisation_name=None,
    )
    return replace(facts, **{k: v for k, v in changes.items() if k not in PAYLOAD_FIELDS})


def preview_facts(templates_dir: Path, issuer_name: str, issuer_url: str,
                  locale: str = "en") -> CertificateFacts:
    """Made-up facts for an administrator's template preview, in `locale`: no real person, a
    code that never verifies, marked SAMPLE."""
    signatory = academy_signatory(templates_dir)
    with force_locale(locale):
        worded = {"wording": str(DEFAULT_WORDING), "achievement": str(SAMPLE_ACHIEVEMENT)}
    return sample_facts(
        code=SAMPLE_CODE, holder_name="Alex Example", issuer=issuer_url, issuer_name=issuer_name,
        organisation_name="Example Corporation", study_minutes=370, sample=True, locale=locale,
        signatory=signatory.in_language(locale) if signatory else None, **worded)
