"""Verifying an uploaded certificate PDF: is this file the document we issued, untouched?

The file counts only when its PDF signature is intact, covers the entire file (nothing
appended after signing) and chains to our root; when its embedded record carries our
Ed25519 signature; and when it is byte for byte the document we issued under that code.
Then the certificate's current status decides, exactly as for a typed code.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from app.certificates.codes import parse_code
from app.certificates.pdfcheck import EmbeddedRecord, PdfCheck, TrustRoot, check_pdf
from app.certificates.signing import KeyRing
from app.models import Certificate
from app.verify.verdict import HEADLINES, MAX_CODE_TEXT, Outcome, Verdict, judge_certificate

#: how much of a foreign code a sentence repeats
_QUOTED_CODE = 64


@dataclass(frozen=True, slots=True)
class PdfFinding:
    """One line of the PDF check: what was checked, whether it held, and a sentence."""

    label: LazyString
    passed: bool | None
    detail: str | LazyString


@dataclass(frozen=True, slots=True)
class PdfVerdict:
    """The answer for an uploaded certificate PDF."""

    outcome: Outcome
    summary: str | LazyString
    sha256: str
    findings: tuple[PdfFinding, ...]
    reasons: tuple[str | LazyString, ...] = ()
    exact_match: bool = False
    certificate: Verdict | None = None

    @property
    def headline(self) -> LazyString:
        """A few words for the top of the page."""
        return HEADLINES[self.outcome]

    @property
    def code(self) -> str | None:
        """The code the PDF names, when it carries a readable record of ours."""
        return self.certificate.code if self.certificate else None

    @property
    def is_valid(self) -> bool:
        """True only for an intact document of ours whose certificate is valid now."""
        return self.outcome is Outcome.VALID

    @property
    def is_pdf(self) -> bool:
        """False when the upload was not a readable PDF at all."""
        return bool(self.findings) and self.findings[0].passed is True


def verify_pdf(session: Session, data: bytes, *, keyring: KeyRing,
               trust_roots: Sequence[TrustRoot], now: datetime) -> PdfVerdict:
    """Judge an uploaded certificate PDF: PDF signature, embedded record, file hash, status.

    :param data: the uploaded bytes, whatever they are
    :param trust_roots: root CA certificates our PDF signatures chain to
    """
    check = check_pdf(data, trust_roots)
    if not check.is_pdf:
        finding = PdfFinding(_l("PDF document"), False, " ".join(check.problems))
        return PdfVerdict(Outcome.NOT_FOUND, NOT_OURS, check.sha256, (finding,),
                          reasons=check.problems)
    record = read_record(check.record, keyring)
    certificate = _certificate_for(session, record)
    findings = (
        PdfFinding(_l("PDF document"), True, _l("The file is a PDF document.")),
        _signature_finding(check),
        _record_finding(record),
        _match_finding(certificate, record, check.sha256),
    )
    failures = tuple(f.detail for f in findings if f.passed is False)
    if certificate is None:
        return _not_ours(check.sha256, findings, failures, record, check.signature_ok)
    current = judge_certificate(certificate, keyring=keyring, now=now)
    findings += (PdfFinding(_l("Current status"), current.is_valid, current.summary),)
    if failures:
        return PdfVerdict(Outcome.TAMPERED, EDITED, check.sha256, findings, reasons=failures,
                          certificate=current)
    return PdfVerdict(current.outcome, current.summary, check.sha256, findings,
                      reasons=current.reasons, exact_match=True, certificate=current)


NOT_OURS = _l("This file is not a certificate issued by OKR Academy.")
EDITED = _l("This PDF was altered or was not produced by OKR Academy: do not rely on it. "
            "The certificate it names is shown as we issued it.")


@dataclass(frozen=True, slots=True)
class _Record:
    """The record embedded in a PDF, read as far as it goes."""

    code: str | None
    payload_json: str | None
    key_id: str | None
    signed: bool
    problem: LazyString | None = None


def read_record(record: EmbeddedRecord | None, keyring: KeyRing) -> _Record:
    """Read an embedded record and check its Ed25519 signature against our published keys."""
    if record is None:
        return _Record(None, None, None, False,
                       _l("This PDF carries no OKR Academy certificate record."))
    try:
        payload = json.loads(record.payload_json)
        code = payload["code"]
        if not isinstance(code, str):
            raise TypeError("code")
    except (ValueError, KeyError, TypeError):
        return _Record(None, None, record.key_id, False,
                       _l("The certificate record in this PDF is damaged."))
    if not keyring.verify(record.payload_json.encode("utf-8"), record.key_id, record.signature):
        return _Record(code, record.payload_json, record.key_id, False,
                       _l("The certificate record in this PDF does not carry a valid OKR "
                          "Academy signature (checked against our published keys)."))
    return _Record(code, record.payload_json, record.key_id, True)


def _not_ours(sha256: str, findings: tuple[PdfFinding, ...], failures: tuple[str, ...],
              record: _Record, signed_by_us: bool) -> PdfVerdict:
    """The verdict for a PDF that names no certificate we issued."""
    if record.code is not None:
        summary = _l("This PDF names the code %(code)s, but we never issued a certificate "
                     "with that code.", code=record.code[:_QUOTED_CODE])
        return PdfVerdict(Outcome.NOT_FOUND, summary, sha256, findings, reasons=failures)
    if signed_by_us:
        # Our signature over a document without its record: someone stripped or broke it.
        return PdfVerdict(Outcome.TAMPERED, _l("This PDF was altered: do not rely on it."),
                          sha256, findings, reasons=failures)
    return PdfVerdict(Outcome.NOT_FOUND, NOT_OURS, sha256, findings, reasons=failures)


def _signature_finding(check: PdfCheck) -> PdfFinding:
    """Whether the PAdES signature is intact, covers the whole file and chains to our root."""
    label = _l("Digital signature of the document")
    if check.signature_ok and check.signer:
        return PdfFinding(label, True, _l("Signed by %(signer)s; the signature covers the entire "
                                          "file.", signer=check.signer))
    if check.signature_ok:
        return PdfFinding(label, True, _l("Signed; the signature covers the entire file."))
    sentences = [p for p in check.problems if "certificate record" not in p]
    return PdfFinding(label, False, " ".join(sentences)
                      or _l("The document's digital signature could not be confirmed."))


def _record_finding(record: _Record) -> PdfFinding:
    """The embedded record's line of the check."""
    label = _l("Signed certificate record")
    if not record.signed:
        return PdfFinding(label, False, record.problem or _l("The record could not be read."))
    return PdfFinding(label, True, _l("The embedded record carries a valid OKR Academy "
                                      "signature (key %(key)s).", key=record.key_id))


def _certificate_for(session: Session, record: _Record) -> Certificate | None:
    """The issued certificate the record names, if any."""
    if record.code is None:
        return None
    parsed = parse_code(record.code[:MAX_CODE_TEXT])
    if not parsed.ok:
        return None
    return session.scalar(select(Certificate).options(defer(Certificate.pdf))
                          .where(Certificate.code == parsed.canonical))


def _match_finding(certificate: Certificate | None, record: _Record,
                   sha256: str) -> PdfFinding:
    """Whether the file is byte for byte the document we issued under that code."""
    label = _l("Same file as the one we issued")
    if certificate is None:
        return PdfFinding(label, None, _l("We have no issued document to compare it with."))
    if sha256 == certificate.pdf_sha256:
        return PdfFinding(label, True, _l("The file is identical to the document we issued "
                                          "(SHA-256 %(digest)s…).", digest=sha256[:16]))
    if record.payload_json is not None and record.payload_json != certificate.payload:
        return PdfFinding(label, False, _l("The record in this PDF differs from the certificate "
                                           "we issued under this code."))
    return PdfFinding(label, False, _l("The file differs from the document we issued under this "
                                       "code."))
