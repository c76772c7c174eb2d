"""Verifying uploaded certificate PDFs: ours and untouched, edited after signing, foreign, junk."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.certificates import services as certificates
from app.certificates.extension import issuer_for
from app.certificates.pdf import CertificateRenderer, PdfSigner, issue_pdf, sample_facts
from app.certificates.pki import ensure_dev_pki
from app.verify import services
from app.verify.services import Outcome
from tests.factories import import_example_course
from tests.factories import meet_rule

pytestmark = pytest.mark.renders_pdf

ISSUED = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
LATER = ISSUED + timedelta(days=30)
TEMPLATES = Path(__file__).resolve().parents[1] / "certificates"


@pytest.fixture
def certificate(db, make_user):
    """Grace Hopper's certificate, issued and PDF-signed by the app's own keys."""
    course = import_example_course(db)
    user = make_user(name="Grace Hopper")
    meet_rule(db, user, course, ISSUED)
    return certificates.live_certificate(db.session, user, course)


def check(db, app, data: bytes, now: datetime = LATER) -> services.PdfVerdict:
    issuer = issuer_for(app)
    return services.verify_pdf(db.session, data, keyring=issuer.keyring,
                               trust_roots=issuer.trust_roots(), now=now)


def paste_name_over(signed: bytes, name: str) -> bytes:
    """The classic attack: an incremental update that paints another name over the holder's."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    page = writer.pages[0]
    save_state, overlay = DecodedStreamObject(), DecodedStreamObject()
    save_state.set_data(b"q")
    overlay.set_data(b"Q q 0.98 0.97 0.94 rg 100 355 640 45 re f Q BT /FPasted 34 Tf "
                     b"0.1 0.16 0.29 rg 280 365 Td (" + name.encode("latin-1") + b") Tj ET")
    contents = page["/Contents"]
    streams = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(save_state), *streams, writer._add_object(overlay)])
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page["/Resources"]["/Font"].get_object()[NameObject("/FPasted")] = writer._add_object(font)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def failed(result: services.PdfVerdict) -> dict[str, str]:
    return {f.label: f.detail for f in result.findings if f.passed is False}


# --- ours ---------------------------------------------------------------------------------------

def test_the_document_we_issued_is_valid_and_an_exact_match(db, app, certificate):
    result = check(db, app, certificate.pdf)
    assert result.outcome is Outcome.VALID and result.is_valid and result.exact_match
    assert result.code == certificate.code
    assert [f.passed for f in result.findings] == [True, True, True, True, True]
    assert result.certificate.certificate.holder_name == "Grace Hopper"
    assert result.sha256 == certificate.pdf_sha256


def test_an_intact_pdf_of_a_revoked_certificate_is_revoked(db, app, certificate):
    certificates.revoke(db.session, None, certificate.code, "Exam fraud.", ISSUED,
                        "issued_in_error")
    db.session.commit()
    result = check(db, app, certificate.pdf)
    assert result.outcome is Outcome.REVOKED and result.exact_match
    assert result.certificate.status_reason == "Issued in error."


def test_an_intact_pdf_of_an_expired_certificate_is_expired(db, app, certificate):
    result = check(db, app, certificate.pdf, now=certificate.expires_at + timedelta(days=1))
    assert result.outcome is Outcome.EXPIRED


# --- edited -------------------------------------------------------------------------------------

def test_pasting_another_name_in_an_incremental_update_is_tampered(db, app, certificate):
    from pypdf import PdfReader

    forged = paste_name_over(certificate.pdf, "Mallory Impostor")
    assert forged.startswith(certificate.pdf)
    assert "Mallory Impostor" in PdfReader(io.BytesIO(forged)).pages[0].extract_text()

    result = check(db, app, forged)

    assert result.outcome is Outcome.TAMPERED and not result.exact_match
    problems = failed(result)
    assert "changed after it was signed" in problems["Digital signature of the document"]
    assert "differs from the document we issued" in problems["Same file as the one we issued"]
    # The genuine certificate is shown as issued, so HR sees whose it really is.
    assert result.certificate.certificate.holder_name == "Grace Hopper"
    assert "altered" in result.summary


def test_a_byte_changed_inside_the_signed_range_is_tampered(db, app, certificate):
    data = bytearray(certificate.pdf)
    where = data.index(b"/Producer") + 12
    data[where] ^= 0x01
    result = check(db, app, bytes(data))
    assert result.outcome is Outcome.TAMPERED
    assert "altered" in failed(result)["Digital signature of the document"]


def test_a_truncated_download_is_not_trusted(db, app, certificate):
    result = check(db, app, certificate.pdf[: len(certificate.pdf) * 2 // 3])
    assert result.outcome in (Outcome.TAMPERED, Outcome.NOT_FOUND)
    assert result.reasons


# --- not ours -----------------------------------------------------------------------------------

@pytest.fixture
def renderer():
    return CertificateRenderer(TEMPLATES)


def test_a_copy_of_our_record_signed_by_someone_else_is_tampered(db, app, certificate, renderer,
                                                                 tmp_path):
    facts = certificates.certificate_facts(db.session, certificate, "OKR Academy")
    forged_facts = replace(facts, payload=replace(facts.payload, holder_name="Mallory Impostor"))
    forged = issue_pdf(renderer, PdfSigner(ensure_dev_pki(tmp_path / "forger")), forged_facts)
    result = check(db, app, forged)
    assert result.outcome is Outcome.TAMPERED
    assert "certificate authority" in failed(result)["Digital signature of the document"]
    assert result.certificate.certificate.holder_name == "Grace Hopper"


def test_an_invented_record_is_not_found_with_the_reason(db, app, certificate, renderer,
                                                         tmp_path):
    payload = '{"code":"OKR-7K3M-Q9TB-X2HD-4FRW-9"}'
    invented = issue_pdf(renderer, PdfSigner(ensure_dev_pki(tmp_path / "forger")),
                         sample_facts(payload_json=payload, signature="c2ln", key_id="kid"))
    result = check(db, app, invented)
    assert result.outcome is Outcome.NOT_FOUND
    assert "OKR-7K3M-Q9TB-X2HD-4FRW-9" in result.summary
    assert "valid OKR Academy signature" in failed(result)["Signed certificate record"]


def test_a_pdf_without_our_record_or_signature_is_not_ours(db, app):
    import weasyprint

    result = check(db, app, weasyprint.HTML(string="<p>Certificate of Awesomeness</p>").write_pdf())
    assert result.outcome is Outcome.NOT_FOUND
    assert result.summary == "This file is not a certificate issued by OKR Academy."
    assert "This PDF has no digital signature." in result.reasons
    assert "This PDF carries no OKR Academy certificate record." in result.reasons


def test_our_certificate_rendered_but_never_signed_is_tampered(db, app, certificate, renderer):
    facts = certificates.certificate_facts(db.session, certificate, "OKR Academy")
    result = check(db, app, renderer.render(facts))
    assert result.outcome is Outcome.TAMPERED
    assert "no digital signature" in failed(result)["Digital signature of the document"]


@pytest.mark.parametrize("data, sentence", [
    (b"", "not a PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a PDF"),
    (b"Name,Code\nAnn,OKR-7K3M-Q9TB-X2HD-4FRW-9\n", "not a PDF"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "damaged"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 40, "damaged"),
])
def test_junk_gets_a_sentence_not_an_exception(db, app, data, sentence):
    result = check(db, app, data)
    assert result.outcome is Outcome.NOT_FOUND and not result.is_valid
    assert len(result.findings) == 1 and sentence in result.findings[0].detail
    assert result.code is None
