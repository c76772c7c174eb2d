"""Certificate pages: my certificates, one certificate, downloads, public keys, administration."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from sqlalchemy import select
from werkzeug.http import parse_options_header

from app.certificates import services
from app.certificates.badge import verify_badge
from app.certificates.issuer import outside_event_loop
from app.certificates.pdfcheck import check_pdf
from app.models import Certificate
from tests.factories import import_example_course
from tests.test_certificate_issuance import NOW, meet_rule, no_auto_issue  # noqa: F401

PAST = datetime(2020, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def holder(db, make_user, course):
    user = make_user(name="Morgan Holder")
    meet_rule(db, user, course)
    return user


@pytest.fixture
def certificate(db, holder, course) -> Certificate:
    return services.live_certificate(db.session, holder, course)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def run_tool(*command) -> subprocess.CompletedProcess:
    """Run a poppler or zbar tool; skip the test where it is not installed."""
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (poppler-utils / zbar-tools; .ci/run "
                    "installs them)")
    return subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          timeout=60, check=False)


# --- my certificates ------------------------------------------------------------------------------

def test_my_certificates_needs_an_account(client):
    response = client.get("/certificates")
    assert response.status_code == 302 and "/login" in response.location


def test_a_new_learner_has_no_certificates_yet(client, login_as):
    login_as("learner")
    response = client.get("/certificates")
    assert response.status_code == 200 and "No certificates yet" in page_text(response)


def test_my_certificates_lists_the_learners_certificates(client, login_as, holder, certificate):
    login_as(holder)
    text = page_text(client.get("/certificates"))
    assert "OKR Essentials" in text and certificate.code in text and "Valid" in text
    assert f"/certificates/{certificate.code}/preview.png" in text
    nav = page_text(client.get("/certificates"))
    assert 'href="/certificates" aria-current="page">My certificates' in nav


def test_an_earned_certificate_can_be_collected(db, browser, login_as, make_user, course,
                                                no_auto_issue):  # noqa: F811
    user = make_user()
    meet_rule(db, user, course)
    login_as(user)
    assert "Issue my certificate" in page_text(browser.get("/certificates"))
    response = browser.post("/certificates/claim/example-course", token_from="/certificates")
    certificate = services.live_certificate(db.session, user, course)
    assert response.status_code == 302 and response.location.endswith(certificate.code)
    assert "Issue my certificate" not in page_text(browser.get("/certificates"))


def test_collecting_needs_a_passed_exam_and_no_revoked_certificate(db, browser, login_as, holder,
                                                                    certificate):
    login_as(holder)
    services.revoke(db.session, None, certificate.code, "Fraud", NOW)
    db.session.commit()
    assert "Issue my certificate" not in page_text(browser.get("/certificates"))
    response = browser.post("/certificates/claim/example-course", token_from="/certificates")
    assert response.status_code == 404
    assert browser.client.post("/certificates/claim/example-course").status_code in (400, 404)


# --- one certificate ------------------------------------------------------------------------------

def test_the_certificate_page_shows_the_facts_and_ways_to_share(client, login_as, holder,
                                                                certificate):
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}")
    text = page_text(response)
    assert response.status_code == 200
    for expected in ("Morgan Holder", "OKR Essentials", "5 May 2025", "Expires on", "5 May 2027",
                     certificate.code, f'value="http://localhost/verify/{certificate.code}"',
                     "Download PDF", "Add to LinkedIn profile", "/certificates/root-ca.pem"):
        assert expected in text
    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', text).group(1)
    params = parse_qs(urlsplit(linkedin.replace("&amp;", "&")).query)
    assert params["certId"] == [certificate.code] and params["name"] == ["OKR Essentials"]
    assert params["issueYear"] == ["2025"] and params["expirationYear"] == ["2027"]


def test_a_typed_code_redirects_to_the_canonical_page(client, login_as, holder, certificate):
    login_as(holder)
    typed = certificate.code.lower().replace("-", "")
    response = client.get(f"/certificates/{typed}")
    assert response.status_code == 302 and response.location.endswith(certificate.code)


@pytest.mark.parametrize("suffix", ["", "/certificate.pdf", "/preview.png", "/badge.json",
                                    "/badge.jwt"])
def test_another_learners_certificate_is_not_found(client, login_as, certificate, suffix):
    login_as("learner")
    assert client.get(f"/certificates/{certificate.code}{suffix}").status_code == 404


def test_admins_may_open_and_download_any_certificate(client, login_as, certificate):
    login_as("admin")
    text = page_text(client.get(f"/certificates/{certificate.code}"))
    assert "as an administrator" in text and "Add to LinkedIn" not in text
    assert client.get(f"/certificates/{certificate.code}/certificate.pdf").data == certificate.pdf


def test_revoked_and_expired_certificates_say_so(db, client, login_as, make_user, course):
    user = make_user()
    meet_rule(db, user, course, PAST)
    expired = services.live_certificate(db.session, user, course)
    login_as(user)
    assert "This certificate expired on 2 March 2022" in page_text(
        client.get(f"/certificates/{expired.code}"))
    services.revoke(db.session, None, expired.code, "Wrong account (ticket 17)", NOW,
                    "issued_in_error")
    db.session.commit()
    text = page_text(client.get(f"/certificates/{expired.code}"))
    assert "was revoked on 5 May 2025. Issued in error." in text
    assert "ticket 17" not in text and "Download PDF" not in text


# --- downloads ------------------------------------------------------------------------------------

@pytest.mark.renders_pdf
def test_the_pdf_download_is_the_stored_signed_document(client, login_as, holder, certificate,
                                                        tmp_path, app):
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert (disposition, options["filename"]) == ("attachment", f"{certificate.code}.pdf")
    assert response.data == certificate.pdf
    root = client.get("/certificates/root-ca.pem").data
    assert outside_event_loop(check_pdf, response.data, [root]).signature_ok


@pytest.mark.renders_pdf
def test_pdfsig_reports_the_signature_valid_and_a_changed_byte_invalid(certificate, tmp_path):
    original = tmp_path / "certificate.pdf"
    original.write_bytes(certificate.pdf)
    report = run_tool("pdfsig", original).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    data = bytearray(certificate.pdf)
    position = data.index(b"stream\n") + 20  # inside the first stream, far from the signature
    data[position] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    report = run_tool("pdfsig", changed).stdout
    assert "Signature is Valid." not in report
    assert "Digest Mismatch" in report or "Signature is Invalid" in report


@pytest.mark.renders_pdf
def test_the_qr_code_opens_the_verification_page(certificate, tmp_path):
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate.pdf)
    run_tool("pdftoppm", "-r", "150", "-png", "-singlefile", pdf, tmp_path / "page")
    decoded = run_tool("zbarimg", "--quiet", "--raw", tmp_path / "page.png").stdout.split()
    assert decoded == [f"http://localhost/verify/{certificate.code}"]


def test_the_preview_is_a_png_of_the_page(client, login_as, holder, certificate):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (poppler-utils)")
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}/preview.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_badge_verifies_with_the_published_jwks(client, login_as, holder, certificate):
    login_as(holder)
    token = client.get(f"/certificates/{certificate.code}/badge.jwt")
    assert token.mimetype == "application/vc+jwt"
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers["Cache-Control"] == "public, max-age=300"
    claims = verify_badge(token.get_data(as_text=True), jwks.get_json())
    credential = client.get(f"/certificates/{certificate.code}/badge.json").get_json()
    assert {key: claims[key] for key in credential} == credential
    assert credential["id"] == f"http://localhost/verify/{certificate.code}"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Morgan Holder"
    assert subject["achievement"]["name"] == "OKR Essentials"
    assert credential["validUntil"] == "2027-05-05T00:00:00Z"


def test_the_jwks_publishes_only_public_keys(client, certificate):
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert [key["kid"] for key in keys][0] == certificate.key_id
    assert [(key["kty"], key["alg"]) for key in keys] == [("OKP", "EdDSA"), ("RSA", "RS256")]
    assert not any(private in key for key in keys for private in ("d", "p", "q", "dp", "dq", "qi"))


def test_the_root_ca_is_published(client):
    response = client.get("/certificates/root-ca.pem")
    assert response.status_code == 200
    root = x509.load_pem_x509_certificate(response.data)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


# --- administration -------------------------------------------------------------------------------

def test_the_admin_list_is_for_admins(client, login_as, certificate):
    login_as("learner")
    assert client.get("/admin/certificates").status_code == 403


def test_admins_search_the_certificates(client, login_as, holder, certificate):
    login_as("admin")
    text = page_text(client.get(f"/admin/certificates?q={holder.email}"))
    assert certificate.code in text and "Morgan Holder" in text
    assert certificate.code not in page_text(client.get("/admin/certificates?q=nobody"))
    assert certificate.code not in page_text(client.get("/admin/certificates?status=revoked"))


def change(browser, certificate, action, reason, query="", **extra):
    """Open the confirmation page of a status change and confirm it, as an admin does."""
    url = f"/admin/certificates/{certificate.code}/status"
    return browser.post(f"{url}?{query}", {"action": action, "reason": reason,
                                          "confirm_code": certificate.code, **extra},
                        token_from=f"{url}?action={action}")


def test_an_admin_suspends_lifts_and_revokes_with_reasons(db, browser, login_as, certificate):
    admin = login_as("admin")
    list_page = page_text(browser.get("/admin/certificates"))
    assert "Suspend…" in list_page and "Revoke…" in list_page
    confirm = page_text(browser.get(
        f"/admin/certificates/{certificate.code}/status?action=revoke"))
    assert f"Revoke {certificate.code}</button>" in confirm and "Morgan Holder" in confirm
    response = change(browser, certificate, "suspend", "Complaint")
    assert response.status_code == 302
    response = browser.get(response.location)
    assert f"Certificate {certificate.code} is now suspended." in page_text(response)
    change(browser, certificate, "unsuspend", "Cleared")
    assert db.session.get(Certificate, certificate.id).status == "active"
    response = change(browser, certificate, "revoke", "Fraud", query="q=Morgan",
                      public_reason="assessment_integrity")
    assert response.status_code == 302
    assert response.location.endswith("/admin/certificates?q=Morgan")
    revoked = db.session.get(Certificate, certificate.id)
    assert (revoked.status, revoked.status_reason, revoked.public_reason,
            revoked.status_changed_by_id) == ("revoked", "Fraud", "assessment_integrity", admin.id)


def test_a_status_change_needs_a_reason_and_a_revocable_certificate(db, browser, login_as,
                                                                     certificate):
    login_as("admin")
    response = change(browser, certificate, "revoke", " ")
    assert response.status_code == 400
    assert "Give a reason; it is kept on the record (it is not shown publicly)." in \
        page_text(response)
    assert db.session.get(Certificate, certificate.id).status == "active"
    change(browser, certificate, "revoke", "Fraud")
    response = change(browser, certificate, "revoke", "Again")
    assert response.status_code == 400 and "was already revoked on" in page_text(response)
    unknown = browser.post("/admin/certificates/OKR-0000-0000-0000-0000-0/status",
                           {"action": "revoke", "reason": "x",
                            "confirm_code": "OKR-0000-0000-0000-0000-0"},
                           token_from=f"/admin/certificates/{certificate.code}/status")
    assert unknown.status_code == 404
    assert db.session.scalars(select(Certificate)).one().status_reason == "Fraud"
