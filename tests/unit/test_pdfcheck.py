"""Checking uploaded certificate PDFs: ours and intact, tampered, foreign, or not a PDF."""

import io
from pathlib import Path

import pytest

from app.certificates.pdf import CertificateRenderer, PdfSigner, issue_pdf, sample_facts
from app.certificates.pdfcheck import check_pdf
from app.certificates.pki import ensure_dev_pki

TEMPLATES = Path(__file__).resolve().parents[2] / "certificates"

pytestmark = pytest.mark.renders_pdf


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def trust_roots(pki):
    return [path.read_bytes() for path in pki.chain_paths]


@pytest.fixture(scope="module")
def renderer():
    return CertificateRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def facts():
    return sample_facts(
        holder_name="Alex Example",
        payload_json='{"code":"OKR-7K3M-Q9TB-X2HD-4FRW-9"}',
        signature="c2lnbmF0dXJl",
        key_id="kid-1",
    )


@pytest.fixture(scope="module")
def signed_pdf(renderer, pki, facts):
    return issue_pdf(renderer, PdfSigner(pki), facts)


def paste_name_over(signed: bytes, name: str) -> bytes:
    """Append an incremental update that paints another name over the holder's."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    page = writer.pages[0]
    save_state, overlay = DecodedStreamObject(), DecodedStreamObject()
    save_state.set_data(b"q")
    overlay.set_data(
        b"Q q 0.98 0.97 0.94 rg 100 355 640 45 re f Q "
        b"BT /FPasted 34 Tf 0.1 0.16 0.29 rg 280 365 Td (" + name.encode("latin-1") + b") Tj ET"
    )
    contents = page["/Contents"]
    streams = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(save_state), *streams, writer._add_object(overlay)]
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page["/Resources"]["/Font"].get_object()[NameObject("/FPasted")] = writer._add_object(font)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_our_untouched_certificate_passes(signed_pdf, trust_roots, facts):
    check = check_pdf(signed_pdf, trust_roots)
    assert check.problems == ()
    assert check.signature_ok
    assert check.is_pdf and check.signed and check.intact
    assert check.covers_whole_file and check.trusted
    assert "OKR Academy" in check.signer
    assert check.signed_at is not None
    assert check.record is not None
    assert check.record.payload_json == facts.payload_json
    assert check.record.signature == facts.signature
    assert check.record.key_id == facts.key_id
    assert len(check.sha256) == 64


def test_an_incremental_update_pasting_a_new_name_is_tampering(signed_pdf, trust_roots):
    from pypdf import PdfReader

    tampered = paste_name_over(signed_pdf, "Mallory Attacker")
    assert tampered.startswith(signed_pdf)
    assert "Mallory Attacker" in PdfReader(io.BytesIO(tampered)).pages[0].extract_text()

    check = check_pdf(tampered, trust_roots)

    # The original revision still verifies: only the coverage check catches this.
    assert check.intact and check.trusted
    assert not check.covers_whole_file
    assert not check.signature_ok
    assert any("changed after it was signed" in problem for problem in check.problems)


def test_a_changed_byte_inside_the_signed_range_breaks_integrity(signed_pdf, trust_roots):
    data = bytearray(signed_pdf)
    where = data.index(b"OKRAcademyPayload (") + len(b"OKRAcademyPayload (") + 2
    data[where] ^= 0x01
    check = check_pdf(bytes(data), trust_roots)
    assert not check.intact and not check.signature_ok
    assert any("altered" in problem for problem in check.problems)


def test_a_pdf_signed_under_another_root_is_not_trusted(renderer, facts, tmp_path, trust_roots):
    foreign = issue_pdf(renderer, PdfSigner(ensure_dev_pki(tmp_path / "other")), facts)
    check = check_pdf(foreign, trust_roots)
    assert check.intact and check.covers_whole_file
    assert not check.trusted and not check.signature_ok
    assert any("certificate authority" in problem for problem in check.problems)


def test_an_unsigned_pdf_that_is_not_ours(trust_roots):
    import weasyprint

    check = check_pdf(weasyprint.HTML(string="<p>Certificate</p>").write_pdf(), trust_roots)
    assert check.is_pdf and not check.signed and check.record is None
    assert not check.signature_ok
    assert "This PDF has no digital signature." in check.problems
    assert "This PDF carries no OKR Academy certificate record." in check.problems


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (b"", "not a PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not a PDF"),
        (b"PK\x03\x04 a zip file pretending", "not a PDF"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "damaged"),
    ],
)
def test_garbage_gets_a_sentence_not_an_exception(data, sentence, trust_roots):
    check = check_pdf(data, trust_roots)
    assert not check.is_pdf and not check.signature_ok
    assert len(check.problems) == 1 and sentence in check.problems[0]


def test_a_truncated_certificate_is_reported_not_raised(signed_pdf, trust_roots):
    check = check_pdf(signed_pdf[: len(signed_pdf) // 2], trust_roots)
    assert not check.signature_ok
    assert check.problems


def test_without_trust_roots_nothing_is_trusted(signed_pdf):
    check = check_pdf(signed_pdf, [])
    assert check.intact and not check.trusted


# --- the embedded record, read within limits (raw PDFs, no rendering) -------------------------

RECORD = (b'{"payload": "{\\"code\\":\\"OKR-7K3M-Q9TB-X2HD-4FRW-9\\"}", '
          b'"signature": "c2ln", "kid": "k1"}')


def pdf_with_records(*streams: bytes) -> bytes:
    """An unsigned PDF whose certificate.json attachments are these stream objects, in order."""
    from tests.security.hostile_pdfs import catalog, embedded_files, file_spec, raw_pdf

    names = [(b"certificate.json", 10 + 2 * index) for index in range(len(streams))]
    objects = catalog(embedded_files(names))
    for index, body in enumerate(streams):
        objects[10 + 2 * index] = file_spec(b"certificate.json", 11 + 2 * index)
        objects[11 + 2 * index] = body
    return raw_pdf(objects)


def test_the_first_record_attachment_is_read_and_no_other(trust_roots):
    import zlib

    from tests.security.hostile_pdfs import stream

    first = stream(b"/Type /EmbeddedFile /Filter /FlateDecode", zlib.compress(RECORD))
    never_read = stream(b"/Type /EmbeddedFile /Filter /LZWDecode", b"\x80" * 100)
    check = check_pdf(pdf_with_records(first, never_read), trust_roots)
    assert check.is_pdf and check.record is not None
    assert check.record.key_id == "k1" and "OKR-7K3M" in check.record.payload_json
    assert check.problems == ("This PDF has no digital signature.",)


def test_an_uncompressed_record_attachment_is_read(trust_roots):
    from tests.security.hostile_pdfs import stream

    check = check_pdf(pdf_with_records(stream(b"/Type /EmbeddedFile", RECORD)), trust_roots)
    assert check.record is not None and check.record.signature == "c2ln"


@pytest.mark.parametrize("entries, data", [
    (b"/Filter [/FlateDecode /FlateDecode]", "twice deflated"),
    (b"/Filter /LZWDecode", "raw"),
    (b"/Filter /FlateDecode", "deflated past the cap"),
    (b"/Filter /FlateDecode /Params << /Size 999999999 >>", "deflated"),
])
def test_a_record_attachment_unlike_ours_is_refused_before_it_is_inflated(trust_roots, entries,
                                                                          data):
    import zlib

    from app.certificates.pdfcheck import TOO_COMPLEX
    from tests.security.hostile_pdfs import stream

    content = {"twice deflated": zlib.compress(zlib.compress(RECORD)), "raw": RECORD,
               "deflated past the cap": zlib.compress(b" " * (65 * 1024) + RECORD),
               "deflated": zlib.compress(RECORD)}[data]
    check = check_pdf(pdf_with_records(stream(b"/Type /EmbeddedFile " + entries, content)),
                      trust_roots)
    assert not check.is_pdf and check.problems == (TOO_COMPLEX,)


def test_without_an_attachment_the_record_comes_from_the_information_dictionary(trust_roots):
    from tests.security.hostile_pdfs import catalog, raw_pdf

    objects = catalog()
    objects[5] = (b'<< /OKRAcademyPayload ({"code":"OKR-7K3M-Q9TB-X2HD-4FRW-9"}) '
                  b"/OKRAcademySignature (c2ln) /OKRAcademyKeyId (k1) >>")
    check = check_pdf(raw_pdf(objects, info=5), trust_roots)
    assert check.record is not None and check.record.key_id == "k1"
