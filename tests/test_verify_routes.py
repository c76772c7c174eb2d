"""Public verification over HTTP: the QR page, the form, PDF upload, rate limit, log, CLI."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.certificates import services as certificates
from app.models import VerificationLog
from tests.factories import import_example_course
from tests.factories import meet_rule

UNKNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def issue(db, make_user, course):
    """issue(name, issued_at) -> a certificate earned and issued at that moment."""
    def make(name: str = "Grace Hopper", issued_at: datetime | None = None):
        user = make_user(name=name)
        meet_rule(db, user, course, issued_at or datetime.now(UTC) - timedelta(days=1))
        return certificates.live_certificate(db.session, user, course)
    return make


def mistyped(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def logs(db) -> list[tuple[str, str, str]]:
    return [(e.code, e.channel, e.verdict) for e in
            db.session.scalars(select(VerificationLog).order_by(VerificationLog.id))]


# --- the page -----------------------------------------------------------------------------------

def test_a_valid_certificate_reads_at_a_glance_and_is_not_indexed(client, issue):
    certificate = issue()
    response = client.get(f"/verify/{certificate.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in html
    assert 'class="verdict verdict-valid"' in html and "Valid certificate" in html
    for fact in ("Grace Hopper", "OKR Essentials", certificate.code, "OKR Academy",
                 f"{certificate.issued_at.day} ", "Valid until"):
        assert fact in html


def test_the_page_shows_nothing_else_about_the_learner(client, issue, db):
    certificate = issue()
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert certificate.user.email not in html
    assert "Test Learner" not in html and "Org " not in html


def test_an_expired_certificate_says_when_it_expired(client, issue):
    certificate = issue(issued_at=datetime(2021, 3, 1, 9, 0, tzinfo=UTC))
    response = client.get(f"/verify/{certificate.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Expired certificate" in html and "expired on 1 March 2023" in html


def test_a_revoked_certificate_shows_the_reason_and_date(client, issue, db):
    certificate = issue()
    certificates.revoke(db.session, None, certificate.code, "Issued to the wrong person.",
                        datetime(2026, 1, 2, tzinfo=UTC), "issued_in_error")
    db.session.commit()
    response = client.get(f"/verify/{certificate.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Revoked certificate" in html and "Issued in error." in html
    assert "wrong person" not in html  # the internal note stays internal
    assert "2 January 2026" in html


def test_a_suspended_certificate_shows_the_suspension(client, issue, db):
    certificate = issue()
    certificates.suspend(db.session, None, certificate.code, "Complaint received.",
                         datetime.now(UTC), "under_review")
    db.session.commit()
    html = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Suspended certificate" in html and "Under review." in html


def test_a_tampered_record_is_flagged_without_its_facts(client, issue, db):
    certificate = issue()
    certificate.holder_name = "Mallory Impostor"
    db.session.commit()
    response = client.get(f"/verify/{certificate.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Do not rely on this certificate" in html and "Mallory" not in html


@pytest.mark.parametrize("path, status, text", [
    (f"/verify/{UNKNOWN}", 404, "never issued a certificate with the code"),
    ("/verify/OKR-1234", 400, "has 17 letters and digits"),
    ("/verify/' OR 1=1 --", 400, "This is not a certificate code"),
    ("/verify/" + "A" * 10_000, 400, "far too long"),
    ("/verify/<script>alert(1)</script>", 400, "This is not a certificate code"),
])
def test_bad_codes_get_a_clear_page_with_the_right_status(client, path, status, text):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status and text in html
    assert "<script>alert(1)</script>" not in html


def test_a_mistyped_code_is_told_apart_from_an_unknown_one(client, issue):
    certificate = issue()
    response = client.get(f"/verify/{mistyped(certificate.code)}")
    assert response.status_code == 400
    assert "looks mistyped" in response.get_data(as_text=True)


def test_codes_typed_loosely_open_the_same_certificate(client, issue):
    certificate = issue()
    response = client.get(f"/verify/{certificate.code.lower().replace('-', ' ')}")
    assert response.status_code == 200 and "Grace Hopper" in response.get_data(as_text=True)


# --- the form -----------------------------------------------------------------------------------

def test_the_form_offers_a_code_and_a_pdf_upload_without_an_account(client):
    response = client.get("/verify")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="code"' in html and 'type="file"' in html and 'name="pdf"' in html


def test_a_good_code_in_the_form_opens_its_page(client, issue):
    certificate = issue()
    response = client.get("/verify", query_string={"code": certificate.code.lower()})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{certificate.code}"


@pytest.mark.parametrize("code, text", [
    ("", "Please enter the code"),
    ("hello", "17 letters and digits"),
    ("x" * 201, "far too long"),
])
def test_a_bad_code_in_the_form_is_explained_beside_the_field(client, code, text):
    response = client.get("/verify", query_string={"code": code})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="field-error"' in html and text in html


# --- PDF upload ---------------------------------------------------------------------------------

def upload(browser, data: bytes, name: str = "certificate.pdf"):
    return browser.post("/verify", {"pdf": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")


@pytest.mark.renders_pdf
def test_uploading_our_pdf_shows_every_check_passed(browser, issue):
    certificate = issue()
    response = upload(browser, certificate.pdf)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Valid certificate" in html and "identical to the document we issued" in html
    assert html.count('class="check-pass"') == 5 and "Grace Hopper" in html


@pytest.mark.renders_pdf
def test_uploading_an_edited_pdf_says_it_was_altered(browser, issue):
    from tests.test_verify_pdf import paste_name_over

    certificate = issue()
    response = upload(browser, paste_name_over(certificate.pdf, "Mallory Impostor"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Do not rely on this certificate" in html
    assert "changed after it was signed" in html and 'class="check-fail"' in html


@pytest.mark.parametrize("data", [b"just text", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64])
def test_uploading_something_that_is_not_a_pdf_is_a_400_with_a_sentence(browser, data):
    response = upload(browser, data, "photo.png")
    assert response.status_code == 400
    assert "not a PDF document" in response.get_data(as_text=True)


def test_an_upload_without_a_file_is_explained(browser):
    response = browser.post("/verify", {})
    assert response.status_code == 400
    assert "Please choose the certificate" in response.get_data(as_text=True)


def test_a_large_upload_is_refused_with_a_sentence(browser):
    response = upload(browser, b"%PDF-" + b"0" * (6 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_a_50_mb_upload_is_refused_before_it_is_read(browser, app):
    token = browser.token("/verify")
    response = browser.client.post("/verify", data={
        "csrf_token": token, "pdf": (io.BytesIO(b"0" * (50 * 1024 * 1024)), "big.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_an_upload_without_the_form_token_is_refused(client):
    response = client.post("/verify", data={"pdf": (io.BytesIO(b"%PDF-"), "c.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


# --- rate limit and log ------------------------------------------------------------------------

def test_verification_is_rate_limited_per_client_across_page_and_api(client, app, issue):
    certificate = issue()
    app.config["VERIFY_LIMIT_PER_CLIENT"] = "3 per minute"
    assert client.get(f"/verify/{certificate.code}").status_code == 200
    assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 200
    assert client.get(f"/verify/{UNKNOWN}").status_code == 404
    page = client.get(f"/verify/{certificate.code}")
    assert page.status_code == 429
    assert "checked many certificates in a short time" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/certificates/{certificate.code}")
    assert api.status_code == 429 and api.headers.get("Retry-After")
    assert api.get_json()["error"]["message"].startswith("You have checked many")
    # Another client is not affected.
    other = client.get(f"/verify/{certificate.code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_the_bare_form_and_a_redirecting_lookup_do_not_use_up_the_budget(client, app, issue):
    certificate = issue()
    app.config["VERIFY_LIMIT_PER_CLIENT"] = "1 per minute"
    for _ in range(3):
        assert client.get("/verify").status_code == 200
        assert client.get("/verify", query_string={"code": certificate.code}).status_code == 302
    assert client.get(f"/verify/{certificate.code}").status_code == 200
    assert client.get(f"/verify/{certificate.code}").status_code == 429


def test_every_verification_is_logged_with_a_hashed_client(client, browser, issue, db):
    certificate = issue()
    client.get(f"/verify/{certificate.code}")
    client.get(f"/api/v1/certificates/{UNKNOWN}")
    client.get("/verify", query_string={"code": mistyped(certificate.code)})
    client.get("/verify/not a code")
    upload(browser, b"not a pdf")
    assert logs(db) == [(certificate.code, "web", "valid"), (UNKNOWN, "api", "not_found"),
                        (mistyped(certificate.code), "web", "mistyped"),
                        ("not a code", "web", "malformed"), ("", "pdf", "not_found")]
    clients = {e.client for e in db.session.scalars(select(VerificationLog))}
    assert len(clients) == 1
    digest = clients.pop()
    assert len(digest) == 64 and "127.0.0.1" not in digest


# --- command line -------------------------------------------------------------------------------

def test_the_command_line_exits_0_for_a_valid_code_and_prints_the_facts(runner, issue, db):
    certificate = issue()
    result = runner.invoke(args=["certificates", "verify", certificate.code.lower()])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: Valid certificate")
    assert "Grace Hopper" in result.output
    assert logs(db)[-1] == (certificate.code, "cli", "valid")


@pytest.mark.parametrize("make_code, outcome", [
    (lambda c: UNKNOWN, "not_found"), (mistyped, "mistyped"), (lambda c: "junk", "malformed"),
])
def test_the_command_line_exits_1_for_anything_else(runner, issue, make_code, outcome):
    certificate = issue()
    result = runner.invoke(args=["certificates", "verify", make_code(certificate.code)])
    assert result.exit_code == 1 and result.output.startswith(f"{outcome}:")


def test_the_command_line_reports_revocation_with_its_reason(runner, issue, db):
    certificate = issue()
    certificates.revoke(db.session, None, certificate.code, "Fraud.", datetime.now(UTC),
                        "holder_request")
    db.session.commit()
    result = runner.invoke(args=["certificates", "verify", certificate.code])
    assert result.exit_code == 1 and "revoked:" in result.output
    assert "Withdrawn at the holder's request." in result.output


@pytest.mark.renders_pdf
def test_the_command_line_checks_pdf_files(runner, issue, tmp_path):
    from tests.test_verify_pdf import paste_name_over

    certificate = issue()
    genuine, forged = tmp_path / "genuine.pdf", tmp_path / "forged.pdf"
    genuine.write_bytes(certificate.pdf)
    forged.write_bytes(paste_name_over(certificate.pdf, "Mallory Impostor"))
    ok = runner.invoke(args=["certificates", "verify", str(genuine)])
    assert ok.exit_code == 0 and "[ok] Same file as the one we issued" in ok.output
    bad = runner.invoke(args=["certificates", "verify", str(forged)])
    assert bad.exit_code == 1 and bad.output.startswith("tampered:")
    assert "[FAILED] Digital signature of the document" in bad.output
    assert "Holder:   Grace Hopper" in bad.output
