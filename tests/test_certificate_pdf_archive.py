"""The certificate PDF as an archival record: PDF/A-3b, one PDF version, XMP metadata that agrees
with the document information, tagged, the Open Badges credential embedded as an associated
file beside the signed record, a PAdES signature over the whole file, and text that extracts
as printed.

No PDF/A validator installs from the package registries (veraPDF is a Java application), so
the PDF/A-3b requirements that matter here are checked one by one on the file itself.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from app.certificates import data_integrity, records, services
from app.certificates.archive import embedded_credential
from app.certificates.extension import issuer_for
from app.certificates.pdf import (
    ATTACHMENT_NAME,
    CREDENTIAL_ATTACHMENT_NAME,
    CertificateFacts,
    CertificateRenderer,
    PdfSigner,
)
from app.certificates.payload import CertificatePayload
from app.certificates.pdfcheck import check_pdf
from app.certificates.pki import ensure_dev_pki
from app.certificates.signing import KeyRing
from tests.factories import import_example_course, meet_rule

pytestmark = pytest.mark.renders_pdf

TEMPLATES = Path(__file__).resolve().parents[1] / "certificates"
CODE = "OKR-7K3M-Q9TB-X2HD-4FRW-9"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP_NAMES = {
    "pdfaid:part": "{http://www.aiim.org/pdfa/ns/id/}part",
    "pdfaid:conformance": "{http://www.aiim.org/pdfa/ns/id/}conformance",
    "dc:title": "{http://purl.org/dc/elements/1.1/}title",
    "dc:creator": "{http://purl.org/dc/elements/1.1/}creator",
    "dc:description": "{http://purl.org/dc/elements/1.1/}description",
    "pdf:Keywords": "{http://ns.adobe.com/pdf/1.3/}Keywords",
    "pdf:Producer": "{http://ns.adobe.com/pdf/1.3/}Producer",
    "xmp:CreatorTool": "{http://ns.adobe.com/xap/1.0/}CreatorTool",
    "xmp:CreateDate": "{http://ns.adobe.com/xap/1.0/}CreateDate",
    "xmp:ModifyDate": "{http://ns.adobe.com/xap/1.0/}ModifyDate",
}
#: annotation flags PDF/A forbids (Invisible, Hidden, NoView, ToggleNoView) and requires (Print)
FORBIDDEN_FLAGS, PRINT_FLAG = 1 | 2 | 32 | 256, 4


def make_facts(keyring: KeyRing, issuer: str = "https://okr-academy.example") -> CertificateFacts:
    payload = CertificatePayload(
        code=CODE, holder_name="Zoë Ångström-Núñez", course_title="OKR Certification for Executives",
        course_slug="okr-executive", course_version=2, issued_on=date(2026, 3, 5),
        expires_on=date(2028, 3, 5), issuer=issuer)
    kid, signature = keyring.sign(payload.canonical_bytes())
    return CertificateFacts(
        payload=payload, payload_json=payload.canonical_bytes().decode("utf-8"),
        signature=signature, key_id=kid, issuer_name="OKR Academy",
        wording="Certificate of Completion", organisation_name="Globex Corporation")


@pytest.fixture(scope="module")
def keyring(tmp_path_factory):
    return KeyRing.from_directory(tmp_path_factory.mktemp("keys"), create=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def renderer():
    return CertificateRenderer(TEMPLATES, credential=embedded_credential)


@pytest.fixture(scope="module")
def facts(keyring):
    return make_facts(keyring)


@pytest.fixture(scope="module")
def unsigned_pdf(renderer, facts) -> bytes:
    return renderer.render(facts)


@pytest.fixture(scope="module")
def signed_pdf(unsigned_pdf, pki) -> bytes:
    return PdfSigner(pki).sign(unsigned_pdf)


@pytest.fixture(scope="module")
def signed_file(signed_pdf, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "certificate.pdf"
    path.write_bytes(signed_pdf)
    return path


def reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))


def run_tool(*command) -> subprocess.CompletedProcess:
    """Run a poppler or qpdf tool; skip the test where it is not installed."""
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (poppler-utils / qpdf; .ci/run installs them)")
    return subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          timeout=60, check=False)


def xmp_properties(pdf) -> dict[str, object]:
    """The XMP properties of the catalog's metadata stream: text, or a list for an rdf array."""
    root = ElementTree.fromstring(pdf.trailer["/Root"]["/Metadata"].get_object().get_data())
    found: dict[str, object] = {}
    for description in root.iter(f"{{{RDF}}}Description"):
        found.update((name, value) for name, value in description.attrib.items()
                     if name != f"{{{RDF}}}about")
        for child in description:
            items = [item.text for item in child.iter(f"{{{RDF}}}li")]
            found[child.tag] = items if items else child.text
    return found


def pdf_date(value: str) -> datetime:
    """A PDF date (D:YYYYMMDDHHmmSS with Z or an offset) as an aware datetime."""
    match = re.fullmatch(r"D:(\d{14})(Z|[+-]\d\d'?\d\d'?)?", value.replace("Z00'00'", "Z"))
    assert match, value
    zone = (match.group(2) or "Z").replace("'", "")
    return datetime.strptime(match.group(1) + ("+0000" if zone == "Z" else zone),
                             "%Y%m%d%H%M%S%z")


def fonts_of(resources, seen=None):
    """Every font dictionary reachable from a resource dictionary (forms and patterns too)."""
    seen = set() if seen is None else seen
    resources = resources.get_object() if resources is not None else {}
    for font in resources.get("/Font", {}).values():
        yield font.get_object()
    for kind in ("/XObject", "/Pattern"):
        for child in resources.get(kind, {}).values():
            child = child.get_object()
            if id(child) not in seen and "/Resources" in child:
                seen.add(id(child))
                yield from fonts_of(child["/Resources"], seen)


# --- PDF/A-3b -------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["unsigned_pdf", "signed_pdf"])
def test_pdf_a_3b_identification_and_one_pdf_version(which, request):
    data = request.getfixturevalue(which)
    pdf = reader(data)
    catalog = pdf.trailer["/Root"]
    assert data.startswith(b"%PDF-1.7\n")
    assert catalog.get("/Version", "/1.7") == "/1.7"
    # the PAdES extension is declared for PDF 1.7; nothing declares a PDF 2.0 extension
    for extension in catalog.get("/Extensions", {}).values():
        for entry in extension if isinstance(extension, list) else [extension]:
            assert entry.get_object()["/BaseVersion"] == "/1.7"
    xmp = xmp_properties(pdf)
    assert (xmp[XMP_NAMES["pdfaid:part"]], xmp[XMP_NAMES["pdfaid:conformance"]]) == ("3", "B")
    assert "/Encrypt" not in pdf.trailer


@pytest.mark.parametrize("which", ["unsigned_pdf", "signed_pdf"])
def test_an_srgb_output_intent_and_every_font_embedded(which, request):
    pdf = reader(request.getfixturevalue(which))
    (intent,) = pdf.trailer["/Root"]["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile
    fonts = list(fonts_of(pdf.pages[0]["/Resources"]))
    assert fonts
    for font in fonts:
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]


def test_tagged_for_assistive_technology_in_the_documents_language(signed_pdf):
    catalog = reader(signed_pdf).trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712 - a PDF boolean object
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en"


def test_every_figure_has_alternative_text(caplog, renderer, facts):
    """The logo, the seal and the QR code are figures in the structure tree; each has /Alt."""
    with caplog.at_level("ERROR", logger="weasyprint"):
        pdf = reader(renderer.render(facts))
    assert not [r for r in caplog.records if "alt" in r.getMessage()]
    figures, pending = [], [pdf.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        element = pending.pop().get_object()
        if element.get("/S") == "/Figure":
            figures.append(str(element.get("/Alt", "")))
        kids = element.get("/K", [])
        pending.extend(kid for kid in (kids if isinstance(kids, list) else [kids])
                       if hasattr(kid.get_object(), "get"))
    assert sorted(figures) == sorted(["OKR Academy logo", "Seal of OKR Academy",
                                      f"QR code: {facts.payload.verify_url}"])


def test_annotations_print_and_nothing_hides_or_runs(signed_pdf):
    pdf = reader(signed_pdf)
    catalog = pdf.trailer["/Root"]
    assert "/JavaScript" not in catalog.get("/Names", {}) and "/OpenAction" not in catalog
    assert catalog["/AcroForm"].get("/NeedAppearances", False) is False
    annotations = [a.get_object() for a in pdf.pages[0].get("/Annots", [])]
    assert [a["/Subtype"] for a in annotations] == ["/Widget"]  # the signature field
    for annotation in annotations:
        flags = int(annotation.get("/F", 0))
        assert flags & PRINT_FLAG and not flags & FORBIDDEN_FLAGS


def test_the_xmp_metadata_agrees_with_the_document_information(signed_pdf, facts):
    pdf = reader(signed_pdf)
    info, xmp = pdf.metadata, xmp_properties(pdf)
    assert xmp[XMP_NAMES["dc:title"]] == [info["/Title"]]
    assert xmp[XMP_NAMES["dc:creator"]] == [info["/Author"]] == ["OKR Academy"]
    assert xmp[XMP_NAMES["dc:description"]] == [info["/Subject"]]
    assert xmp[XMP_NAMES["pdf:Keywords"]] == info["/Keywords"]
    assert xmp[XMP_NAMES["pdf:Producer"]] == info["/Producer"]
    assert xmp[XMP_NAMES["xmp:CreatorTool"]] == info["/Creator"]
    assert "WeasyPrint" in info["/Creator"]
    created = datetime.fromisoformat(xmp[XMP_NAMES["xmp:CreateDate"]])
    modified = datetime.fromisoformat(xmp[XMP_NAMES["xmp:ModifyDate"]])
    assert created == pdf_date(info["/CreationDate"])
    assert modified == pdf_date(info["/ModDate"]) >= created  # signing updated both
    assert facts.payload.code in info["/Keywords"] and facts.payload.holder_name in info["/Title"]


# --- associated files -----------------------------------------------------------------------------

def test_the_record_and_the_credential_are_associated_files_with_relationship_data(signed_pdf):
    catalog = reader(signed_pdf).trailer["/Root"]
    associated = [entry.get_object() for entry in catalog["/AF"]]
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    listed = {names[i]: names[i + 1].get_object() for i in range(0, len(names), 2)}
    assert sorted(spec["/UF"] for spec in associated) == sorted(listed) == sorted(
        [ATTACHMENT_NAME, CREDENTIAL_ATTACHMENT_NAME])
    for spec in associated:
        assert spec["/AFRelationship"] == "/Data"
        assert spec["/F"] == spec["/UF"] and spec["/Desc"]
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] == "/application/json"
        assert stream["/Params"]["/ModDate"].startswith("D:")


def test_the_embedded_credential_reads_back_and_is_the_certificates_own(signed_pdf, facts,
                                                                         keyring):
    pdf = reader(signed_pdf)
    (record,) = pdf.attachments[ATTACHMENT_NAME]
    record = json.loads(record)
    # the signed record verifies, and states the facts the credential was built from
    assert keyring.verify(record["payload"].encode("utf-8"), record["kid"], record["signature"])
    assert CertificatePayload.from_json(record["payload"]) == facts.payload
    (content,) = pdf.attachments[CREDENTIAL_ATTACHMENT_NAME]
    assert content == embedded_credential(facts)
    credential = json.loads(content.decode("utf-8"))
    assert content == json.dumps(credential, ensure_ascii=False, sort_keys=True,
                                 separators=(",", ":")).encode("utf-8")
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["id"] == facts.payload.verify_url
    assert credential["credentialSubject"]["achievement"]["name"] == facts.payload.course_title


def test_an_issued_certificate_embeds_its_own_credential_and_stays_signed(app, db, make_user):
    course = import_example_course(db)
    holder = make_user(name="Morgan Archivist")
    meet_rule(db, holder, course)
    certificate = services.live_certificate(db.session, holder, course)
    issuer = issuer_for(app)
    pdf = reader(certificate.pdf)
    (content,) = pdf.attachments[CREDENTIAL_ATTACHMENT_NAME]
    embedded = json.loads(content)
    # the very credential the app serves as badge.json: holder id, status entry and proof
    assert embedded == records.open_badge(db.session, certificate, issuer).credential
    assert embedded["id"] == f"http://localhost/verify/{certificate.code}"
    assert embedded["credentialStatus"]["statusListIndex"] == str(certificate.status_list_index)
    assert embedded["credentialSubject"]["id"].startswith("urn:uuid:")
    assert data_integrity.verify_proof(embedded, issuer.keyring.signing_key.public_key())
    assert check_pdf(certificate.pdf, issuer.trust_roots()).signature_ok


def test_without_a_credential_source_only_the_record_is_embedded(facts):
    pdf = reader(CertificateRenderer(TEMPLATES).render(facts))
    assert set(pdf.attachments) == {ATTACHMENT_NAME}
    assert len(pdf.trailer["/Root"]["/AF"]) == 1


# --- the signature still covers the whole file ----------------------------------------------------

def test_pdfsig_qpdf_and_pyhanko_accept_the_signed_archive(signed_file, signed_pdf, pki):
    report = run_tool("pdfsig", signed_file).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    assert "Not total document signed" not in report
    checked = run_tool("qpdf", "--check", signed_file)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PDF Version: 1.7" in checked.stdout
    assert "No syntax or stream encoding errors found" in checked.stdout
    check = check_pdf(signed_pdf, [pki.chain_paths[-1]])
    assert (check.intact, check.covers_whole_file, check.trusted) == (True, True, True)
    assert check.problems == ()


def test_the_signature_is_one_incremental_update_of_the_pdf_a_file(unsigned_pdf, signed_pdf):
    assert signed_pdf.startswith(unsigned_pdf)
    assert signed_pdf.count(b"%%EOF") == unsigned_pdf.count(b"%%EOF") + 1


# --- text extraction ------------------------------------------------------------------------------

@pytest.mark.parametrize("issuer", [
    "http://localhost",                                  # the shortest address: 7.5 pt
    "https://okr-academy.example",                       # 7 pt
    "https://certificates.okr-academy.example",          # 6 pt
])
def test_pdftotext_reads_the_labels_the_id_and_the_verify_address_whole(
        keyring, renderer, issuer, tmp_path):
    facts = make_facts(keyring, issuer=issuer)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(renderer.render(facts))
    text = run_tool("pdftotext", path, "-").stdout
    lines = [line.strip() for line in text.splitlines()]
    assert "CERTIFICATE ID" in lines and CODE in lines
    assert "THIS IS TO CERTIFY THAT" in lines and "HAS SUCCESSFULLY COMPLETED" in lines
    assert f"VERIFY AT {facts.payload.verify_url}" in text.replace("\n\n", " ")
    assert facts.payload.verify_url in lines or any(
        line.endswith(facts.payload.verify_url) for line in lines)
    assert "C E R" not in text
    assert len(reader(path.read_bytes()).pages) == 1


def test_an_overlong_verify_address_breaks_only_after_a_slash(keyring, renderer, tmp_path):
    facts = make_facts(keyring, issuer="https://certificates.learning.okr-academy.example/academy")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(renderer.render(facts))
    text = run_tool("pdftotext", path, "-").stdout
    assert facts.payload.verify_url in re.sub(r"/\n+", "/", text)
    assert len(reader(path.read_bytes()).pages) == 1


# --- the second design is the same archival record ------------------------------------------------

def test_the_modern_design_is_the_same_archival_record(renderer, facts, pki, tmp_path,
                                                      unsigned_pdf):
    """PDF/A-3b, fonts embedded, tagged, the credential attached, whole-file signature and text
    that reads whole: what the tests above hold for the classic design."""
    unsigned = renderer.render(facts, "modern")
    signed = PdfSigner(pki).sign(unsigned)
    path = tmp_path / "modern.pdf"
    path.write_bytes(signed)
    pdf = reader(signed)
    catalog = pdf.trailer["/Root"]
    xmp = xmp_properties(pdf)
    assert (xmp[XMP_NAMES["pdfaid:part"]], xmp[XMP_NAMES["pdfaid:conformance"]]) == ("3", "B")
    assert signed.startswith(b"%PDF-1.7\n") and "/StructTreeRoot" in catalog
    assert set(pdf.attachments) == set(reader(unsigned_pdf).attachments) and len(pdf.pages) == 1
    for font in fonts_of(pdf.pages[0]["/Resources"]):
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(described["/FontDescriptor"])
    report = run_tool("pdfsig", path).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    assert run_tool("qpdf", "--check", path).returncode == 0
    lines = [line.strip() for line in run_tool("pdftotext", path, "-").stdout.splitlines()]
    assert CODE in " ".join(lines) and facts.payload.verify_url in " ".join(lines)
