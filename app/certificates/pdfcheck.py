"""Facts about an uploaded certificate PDF: is it ours, intact, and what does it carry.

:func:`check_pdf` answers the technical questions (a PDF at all? a PAdES signature? does
it cover the whole file, so nothing was appended after signing? does the signer chain to
our root CA?) and reads the embedded payload. Whether the certificate is valid, expired
or revoked is decided by the verification service from these facts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.certificates.pdf import ATTACHMENT_NAME, INFO_KEY_ID, INFO_PAYLOAD, INFO_SIGNATURE

TrustRoot = x509.Certificate | bytes | str | Path

_PDF_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class EmbeddedRecord:
    """The Ed25519-signed payload a certificate PDF carries."""

    payload_json: str
    signature: str
    key_id: str


@dataclass(frozen=True, slots=True)
class PdfCheck:
    """What a certificate PDF is and carries, with a sentence for each problem found."""

    sha256: str
    is_pdf: bool = False
    signed: bool = False
    intact: bool = False
    covers_whole_file: bool = False
    trusted: bool = False
    signer: str | None = None
    signed_at: datetime | None = None
    record: EmbeddedRecord | None = None
    problems: tuple[str, ...] = ()

    @property
    def signature_ok(self) -> bool:
        """True when the PDF signature is intact, covers the file and is trusted."""
        return all(
            (self.is_pdf, self.signed, self.intact, self.covers_whole_file, self.trusted)
        )


def check_pdf(data: bytes, trust_roots: Sequence[TrustRoot]) -> PdfCheck:
    """Examine PDF bytes against our root CA certificates; never raises on bad input.

    The file is parsed once, within the limits of :mod:`app.certificates.pdfreader`: a file
    that goes beyond them is refused with a sentence, whatever it holds.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    if _PDF_HEADER not in data[:_HEADER_WINDOW]:
        return PdfCheck(sha256, problems=("This file is not a PDF document.",))
    from app.certificates.pdfreader import BoundedReader, Meter, refused

    meter = Meter(len(data))
    try:
        reader = BoundedReader(data, meter)
        signature, problems = _signature_facts(reader, len(data), trust_roots)
        record = _embedded_record(reader)
        meter.check()
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unreadable upload
        if refused(exc, meter):
            logging.getLogger(__name__).info("PDF upload refused: %r", exc)
            return PdfCheck(sha256, problems=(TOO_COMPLEX,))
        logging.getLogger(__name__).info("unreadable PDF upload: %r", exc)
        return PdfCheck(
            sha256, problems=("This PDF is damaged or not readable, so it cannot be checked.",)
        )
    if record is None:
        problems.append("This PDF carries no OKR Academy certificate record.")
    return PdfCheck(sha256, is_pdf=True, record=record, problems=tuple(problems), **signature)


TOO_COMPLEX = ("This PDF is far larger or more complex inside than an OKR Academy certificate, "
               "so it was not checked.")


def _signature_facts(
    reader: Any, file_size: int, trust_roots: Sequence[TrustRoot]
) -> tuple[dict[str, Any], list[str]]:
    """Return PdfCheck fields about the signature, and a sentence per problem."""
    from app.certificates.pdfreader import check_form_fields, check_signature_shape

    check_form_fields(reader)
    signatures = reader.embedded_signatures
    if not signatures:
        return {}, ["This PDF has no digital signature."]
    problems = []
    if len(signatures) > 1:
        problems.append(
            f"This PDF has {len(signatures)} digital signatures; ours carry exactly one."
        )
    check_signature_shape(signatures[0], file_size)
    facts = _validate(signatures[0], trust_roots)
    if not facts["intact"]:
        problems.append("The digital signature does not match the document: it was altered.")
    if facts["intact"] and not facts["covers_whole_file"]:
        problems.append(
            "The document was changed after it was signed: content was added after the "
            "signature."
        )
    if facts["intact"] and not facts["trusted"]:
        problems.append("The document was not signed by OKR Academy's certificate authority.")
    return {"signed": True, **facts}, problems


def _validate(embedded_signature: Any, trust_roots: Sequence[TrustRoot]) -> dict[str, Any]:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    claimed_time = embedded_signature.self_reported_timestamp
    # Our signatures carry no timestamp (PAdES-B-B). The chain is checked at the time
    # the document says it was signed, so a certificate stays checkable after the
    # signing certificate expires; the stored SHA-256 remains the long-term anchor.
    context = ValidationContext(
        trust_roots=[_asn1_certificate(root) for root in trust_roots],
        moment=claimed_time,
        allow_fetching=False,
    )
    status = validate_pdf_signature(
        embedded_signature,
        signer_validation_context=context,
        key_usage_settings=KeyUsageConstraints(
            key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
        ),
        skip_diff=True,
    )
    return {
        "intact": bool(status.intact and status.valid),
        "covers_whole_file": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "trusted": bool(status.trusted),
        "signer": status.signing_cert.subject.human_friendly,
        "signed_at": claimed_time,
    }


def _embedded_record(reader: Any) -> EmbeddedRecord | None:
    """The record of the first certificate.json attachment, else of the information dictionary.

    Only the first attachment of that name is read, and only within the reader's limits.
    """
    from app.certificates.pdfreader import first_embedded_file, value_of

    content = first_embedded_file(reader, ATTACHMENT_NAME)
    record = _record_from_attachment(content) if content is not None else None
    if record is not None:
        return record
    try:
        info = reader.trailer["/Info"]
    except KeyError:
        return None
    values = [value_of(info, f"/{key}") for key in (INFO_PAYLOAD, INFO_SIGNATURE, INFO_KEY_ID)]
    if all(isinstance(value, str) and value for value in values):
        return EmbeddedRecord(*(str(value) for value in values))
    return None


def _record_from_attachment(content: bytes) -> EmbeddedRecord | None:
    try:
        document = json.loads(content.decode("utf-8"))
        record = EmbeddedRecord(document["payload"], document["signature"], document["kid"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    values = (record.payload_json, record.signature, record.key_id)
    return record if all(isinstance(value, str) for value in values) else None


def _asn1_certificate(root: TrustRoot) -> Any:
    from asn1crypto import x509 as asn1_x509

    if isinstance(root, x509.Certificate):
        der = root.public_bytes(serialization.Encoding.DER)
    else:
        raw = root if isinstance(root, bytes) else Path(root).read_bytes()
        der = (
            x509.load_pem_x509_certificate(raw).public_bytes(serialization.Encoding.DER)
            if b"-----BEGIN" in raw
            else raw
        )
    return asn1_x509.Certificate.load(der)
