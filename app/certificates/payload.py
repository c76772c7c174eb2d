"""The certificate payload: the eight facts a certificate states and its signature covers.

Its fields are written here once. Issuance builds it, signing covers its canonical bytes, the
PDF prints and embeds it, the verdict reads it back and compares it with the row, the API and
the Open Badge restate it.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models import Certificate, Course, CourseVersion, User


@dataclass(frozen=True, slots=True)
class CertificatePayload:
    """What a certificate states, exactly as it was signed; nothing else about the learner."""

    code: str
    holder_name: str
    course_title: str
    course_slug: str
    course_version: int | str
    issued_on: date
    expires_on: date | None
    #: the issuing site's base URL
    issuer: str

    @classmethod
    def from_row(cls, certificate: Certificate, issuer: str) -> CertificatePayload:
        """The payload a certificate row states (the row does not keep the issuer URL)."""
        return cls(
            code=certificate.code, holder_name=certificate.holder_name,
            course_title=certificate.course_title, course_slug=certificate.course_slug,
            course_version=certificate.version_number, issued_on=certificate.issued_at.date(),
            expires_on=certificate.expires_at.date() if certificate.expires_at else None,
            issuer=issuer)

    @classmethod
    def earned(cls, code: str, user: User, course: Course, version: CourseVersion,
               issued_at: datetime, expires_at: datetime | None, issuer: str,
               course_title: str | None = None) -> CertificatePayload:
        """The payload of a certificate issued now: the learner's name and the version's title
        (`course_title`, the title in the certificate's language, when given)."""
        return cls(code, user.name, course_title or version.title, course.slug, version.number,
                   issued_at.date(), expires_at.date() if expires_at else None, issuer)

    @classmethod
    def from_mapping(cls, fields: Mapping[str, Any]) -> CertificatePayload:
        """A payload from exactly its fields (dates as `date` or ISO text); ValueError otherwise."""
        missing, unknown = FIELDS - fields.keys(), fields.keys() - FIELDS
        if missing or unknown:
            raise ValueError(f"certificate payload fields: missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
        try:
            values = dict(fields)
            for name in ("issued_on", "expires_on"):
                if isinstance(values[name], str):
                    values[name] = date.fromisoformat(values[name])
            for name in ("code", "holder_name", "course_title", "course_slug", "issuer"):
                values[name] = str(values[name])
            if not isinstance(values["issued_on"], date) or not (
                    values["expires_on"] is None or isinstance(values["expires_on"], date)):
                raise ValueError("not a certificate payload: dates are not dates")
            return cls(**values)
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"not a certificate payload: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> CertificatePayload:
        """Read a signed payload back (ValueError when it is not one)."""
        try:
            fields = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not a certificate payload: {exc!r}") from exc
        if not isinstance(fields, dict):
            raise ValueError("not a certificate payload: not a JSON object")
        return cls.from_mapping(fields)

    def to_dict(self) -> dict[str, Any]:
        """The payload as JSON values (dates as ISO text), in field order."""
        return {name: _json_value(getattr(self, name)) for name in FIELD_ORDER}

    def canonical_bytes(self) -> bytes:
        """The exact bytes that are signed."""
        return canonical_json(self.to_dict())

    @property
    def verify_url(self) -> str:
        """Where anyone checks this certificate."""
        return f"{self.issuer}/verify/{self.code}"

    def differences(self, stated: Mapping[str, Any]) -> list[str]:
        """Names of the fields whose JSON value in `stated` differs from this payload's."""
        return [name for name, value in self.to_dict().items() if stated.get(name) != value]


FIELD_ORDER = tuple(field.name for field in dataclasses.fields(CertificatePayload))
FIELDS = frozenset(FIELD_ORDER)
#: how sentences name each field ("the certificate's holder name differs ...")
FIELD_LABELS = {name: name.replace("_", " ") for name in FIELD_ORDER} | {
    "course_slug": "course", "issued_on": "issue date", "expires_on": "expiry date"}
#: a plausible payload for previews, warm-up and tests
SAMPLE = CertificatePayload(
    "OKR-7K3M-Q9TB-X2HD-4FRW-9", "Alex Example", "OKR Certification for Executives",
    "okr-executive", 1, date(2026, 1, 15), date(2028, 1, 15), "https://okr-academy.example")


def canonical_json(fields: Mapping[str, Any]) -> bytes:
    """Payload fields serialised the one way that is signed: sorted keys, compact, UTF-8.

    Any values are serialised as given (dates as ISO text), so a test can sign a payload whose
    values are wrong on purpose; the field names must be exactly the payload's.
    """
    missing, unknown = FIELDS - fields.keys(), fields.keys() - FIELDS
    if missing or unknown:
        raise ValueError(f"certificate payload fields: missing {sorted(missing)}, "
                         f"unknown {sorted(unknown)}")
    normalised = {name: _json_value(fields[name]) for name in FIELD_ORDER}
    text = json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
