"""Certificate PDFs: rendering, QR, embedded payload, PAdES signature, template safety, PKI."""

import io
import json
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.certificates.pdf import (
    ATTACHMENT_NAME,
    INFO_KEY_ID,
    INFO_PAYLOAD,
    INFO_SIGNATURE,
    CertificateFacts,
    CertificateRenderer,
    CertificateTemplateError,
    PdfSigner,
    issue_pdf,
)
from app.certificates.pki import DOCUMENT_SIGNING, ROOT_CA_NAME, ensure_dev_pki, load_pki
from app.certificates.payload import CertificatePayload
from app.certificates.signing import KeyConfigError, KeyRing

TEMPLATES = Path(__file__).resolve().parents[2] / "certificates"
VERIFY_URL = "https://okr-academy.example/verify/OKR-7K3M-Q9TB-X2HD-4FRW-9"

pytestmark = pytest.mark.renders_pdf


def make_facts(keyring: KeyRing, **changes) -> CertificateFacts:
    """Sign a payload the way issuance does and return the facts to print."""
    base = {
        "code": "OKR-7K3M-Q9TB-X2HD-4FRW-9",
        "holder_name": "Zoë Ångström-Núñez",
        "course_title": "OKR Certification for Executives",
        "course_slug": "okr-executive",
        "course_version": 2,
        "issued_on": date(2026, 3, 5),
        "expires_on": date(2028, 3, 5),
        "issuer": "https://okr-academy.example",
    } | changes
    payload = CertificatePayload.from_mapping(base)
    kid, signature = keyring.sign(payload.canonical_bytes())
    return CertificateFacts(
        payload=payload,
        payload_json=payload.canonical_bytes().decode("utf-8"),
        signature=signature,
        key_id=kid,
        issuer_name="OKR Academy",
        wording="Certificate of Completion",
        organisation_name="Globex Corporation",
    )


@pytest.fixture(scope="module")
def keyring(tmp_path_factory):
    return KeyRing.from_directory(tmp_path_factory.mktemp("keys"), create=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def renderer():
    return CertificateRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def facts(keyring):
    return make_facts(keyring)


@pytest.fixture(scope="module")
def signed_pdf(renderer, pki, facts):
    return issue_pdf(renderer, PdfSigner(pki), facts)


@pytest.fixture(scope="module")
def signed_file(signed_pdf, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "certificate.pdf"
    path.write_bytes(signed_pdf)
    return path


def reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def test_one_a4_landscape_page_with_the_certificate_text(signed_pdf, facts):
    pdf = reader(signed_pdf)
    assert len(pdf.pages) == 1
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)
    text = pdf.pages[0].extract_text()
    for expected in (facts.payload.holder_name, facts.payload.course_title, facts.payload.code,
                     "5 March 2028"):
        assert expected in text


def test_bundled_fonts_are_embedded(signed_pdf):
    fonts = reader(signed_pdf).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}
    assert {"Certificate-Serif", "Certificate-Serif-Italic", "Certificate-Sans"} <= names


def test_payload_signature_and_key_id_are_embedded_and_verify(signed_pdf, facts, keyring):
    pdf = reader(signed_pdf)
    info = pdf.metadata
    assert info[f"/{INFO_PAYLOAD}"] == facts.payload_json
    assert info[f"/{INFO_SIGNATURE}"] == facts.signature
    assert info[f"/{INFO_KEY_ID}"] == facts.key_id
    (attachment,) = pdf.attachments[ATTACHMENT_NAME]
    record = json.loads(attachment)
    assert record == {
        "payload": facts.payload_json,
        "signature": facts.signature,
        "kid": facts.key_id,
        "alg": "EdDSA",
    }
    assert keyring.verify(record["payload"].encode("utf-8"), record["kid"], record["signature"])


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read the QR code",
)
def test_qr_code_opens_the_verification_page(signed_file, tmp_path):
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", signed_file, tmp_path / "page"],
        check=True,
    )
    (image,) = tmp_path.glob("page*.png")
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", image], capture_output=True, text=True, check=True
    )
    assert scanned.stdout.strip() == VERIFY_URL


def pdfsig(path: Path) -> str:
    # pdfsig exits 0 even when the digest does not match, so read what it prints.
    return subprocess.run(["pdfsig", path], capture_output=True, text=True).stdout


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="pdfsig (poppler-utils) is not installed")
def test_pdfsig_reports_the_untouched_document_valid_and_wholly_signed(signed_file):
    report = pdfsig(signed_file)
    assert "Signature is Valid." in report
    assert "Total document signed" in report
    assert "Not total document signed" not in report
    assert "Signature Type: ETSI.CAdES.detached" in report


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="pdfsig (poppler-utils) is not installed")
def test_pdfsig_reports_a_one_byte_change_invalid(signed_pdf, facts, tmp_path):
    data = bytearray(signed_pdf)
    where = data.index(b"OKRAcademyPayload (") + len(b"OKRAcademyPayload (") + 2
    data[where] = ord("X") if data[where] != ord("X") else ord("Y")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    report = pdfsig(tampered)
    assert "Signature Validation" in report
    assert "Signature is Valid." not in report


def test_long_names_and_titles_stay_on_one_page(renderer, keyring):
    facts = make_facts(
        keyring,
        holder_name="Maximiliane Alexandra Konstanze von Hohenberg-Schwarzenfels-Wittelsbach",
        course_title=(
            "Advanced Objectives and Key Results for Executive Leadership Teams in "
            "Regulated Multinational Financial Services Organisations"
        ),
        expires_on=None,
    )
    pdf = reader(renderer.render(facts))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Valid until" not in text
    assert "Hohenberg" in text


def test_unsigned_render_has_no_signature_and_signing_adds_one(renderer, pki, facts):
    unsigned = renderer.render(facts)
    assert b"/ByteRange" not in unsigned
    signed = PdfSigner(pki).sign(unsigned)
    assert signed.startswith(unsigned)
    assert b"/ByteRange" in signed[len(unsigned) :]


def test_every_signature_names_our_signing_certificate_as_pades_requires(renderer, pki, facts):
    """The signing-certificate-v2 attribute is built once per signer and reused: each signature
    must still carry it, with the hash of our certificate, and validate end to end."""
    import hashlib

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signer = PdfSigner(pki)
    leaf = x509.load_pem_x509_certificate(pki.cert_path.read_bytes())
    root = load_cert_from_pemder(str(pki.chain_paths[0]))
    for holder in ("First Holder", "Second Holder"):
        signed = signer.sign(renderer.render(replace(facts, payload=replace(facts.payload, holder_name=holder))))
        embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
        signer_info = embedded.signer_info
        attributes = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
        essential = attributes["signing_certificate_v2"]["certs"][0]
        assert essential["cert_hash"].native == hashlib.sha256(
            leaf.public_bytes(serialization.Encoding.DER)).digest()
        assert "signing_time" not in attributes  # PAdES: the time is in the signature dictionary
        context = ValidationContext(trust_roots=[root])
        status = validate_pdf_signature(embedded, context)
        assert status.intact and status.valid and status.trusted


def test_holder_name_is_escaped_not_interpreted(renderer, keyring):
    facts = make_facts(keyring, holder_name="<b>Mallory</b> & Co")
    text = reader(renderer.render(facts)).pages[0].extract_text()
    assert "<b>Mallory</b> & Co" in text


def write_template(root: Path, html: str, css: str = "") -> None:
    folder = root / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "certificate.html").write_text(html)
    (folder / "certificate.css").write_text(css)


@pytest.mark.parametrize(
    ("html", "css"),
    [
        ('<img src="http://127.0.0.1:9/logo.png">', ""),
        ('<img src="file:///etc/hostname">', ""),
        ('<img src="../outside.svg">', ""),
        ("<p>x</p>", '@font-face { font-family: X; src: url("https://fonts.example/x.ttf"); }'),
    ],
)
def test_templates_cannot_reach_outside_their_folder(tmp_path, keyring, html, css):
    (tmp_path / "outside.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    write_template(tmp_path, html, css)
    renderer = CertificateRenderer(tmp_path)
    with pytest.raises(CertificateTemplateError):
        renderer.render(make_facts(keyring), "hostile")


def test_templates_render_in_a_sandbox(tmp_path, keyring):
    write_template(tmp_path, "{{ holder_name.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(CertificateTemplateError):
        CertificateRenderer(tmp_path).render(make_facts(keyring), "hostile")


@pytest.mark.parametrize("name", ["../default", "Default", "default/..", "missing"])
def test_unknown_or_unsafe_template_names_are_refused(renderer, facts, name):
    with pytest.raises(CertificateTemplateError):
        renderer.render(facts, name)


def test_shipped_templates_are_listed(renderer):
    assert {"classic", "modern"} <= set(renderer.template_names())


# --- PDF signing material -------------------------------------------------------------


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_dev_pki_is_a_root_ca_and_a_document_signing_leaf(pki):
    root = load_cert(pki.chain_paths[0])
    leaf = load_cert(pki.cert_path)
    (common_name,) = root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name.value == ROOT_CA_NAME
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    leaf.verify_directly_issued_by(root)
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    purposes = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in purposes and ExtendedKeyUsageOID.EMAIL_PROTECTION in purposes
    assert root.not_valid_after_utc - root.not_valid_before_utc > (
        leaf.not_valid_after_utc - leaf.not_valid_before_utc
    )


def test_dev_pki_is_generated_once_with_private_keys_unreadable_by_others(pki):
    again = ensure_dev_pki(pki.key_path.parent)
    assert again == pki
    assert load_cert(again.cert_path) == load_cert(pki.cert_path)
    for key_file in pki.key_path.parent.glob("*key.pem"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_production_pki_loads_configured_paths(pki):
    loaded = load_pki(pki.key_path, pki.cert_path, pki.chain_paths)
    assert loaded == pki


def test_production_pki_errors_name_the_setting(pki, tmp_path):
    with pytest.raises(KeyConfigError, match="PDF_SIGNING_KEY is not set"):
        load_pki(None, pki.cert_path)
    with pytest.raises(KeyConfigError, match="PDF_SIGNING_CERT: .*missing.pem does not exist"):
        load_pki(pki.key_path, tmp_path / "missing.pem")
    with pytest.raises(KeyConfigError, match="do not belong together"):
        load_pki(pki.key_path, pki.chain_paths[0])
    with pytest.raises(KeyConfigError, match="PDF_SIGNING_CHAIN"):
        load_pki(pki.key_path, pki.cert_path, [tmp_path / "no-chain.pem"])


def test_an_expired_signing_certificate_is_refused(pki):
    with pytest.raises(KeyConfigError, match="renew it"):
        load_pki(pki.key_path, pki.cert_path, pki.chain_paths, now=datetime(2100, 1, 1, tzinfo=UTC))
