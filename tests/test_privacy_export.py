"""Download my data: every section and file, nobody else's data, every column decided on."""
from __future__ import annotations

import json

import pytest

from app.models import (
    AuditEvent, CapstoneFile, CapstoneSubmission, Certificate, CourseMaintainer, Invitation,
    LoginSession, User, VerificationLog,
)
from app.privacy import export
from tests.privacy_support import CAPSTONE_FILE, make_holder, read_export

SECTIONS = {"format", "version", "generated_at", "account", "organisation", "roles", "directory",
            "logins", "invitations", "enrolments", "lesson_progress", "quiz_attempts",
            "capstone_submissions", "maintained_courses", "certificates", "mails",
            "audit_events"}


@pytest.fixture
def holder(db, make_user, make_org):
    return make_holder(db, make_user, org=make_org("Northwind"))


@pytest.fixture
def other(db, make_user, holder):
    """Another learner of the same course and organisation, with a certificate of their own."""
    from tests.factories import meet_rule
    from app.models import Course
    user = make_user(name="Quinn Other", email="quinn.other@example.com",
                     org=holder.user.organisation)
    meet_rule(db, user, db.session.get(Course, holder.certificate.course_id))
    return user


def download(browser, path="/account/data-export", token_from="/account"):
    return browser.post(path, token_from=token_from)


def test_the_export_holds_every_section_and_the_files(client, browser, login_as, holder, db):
    client.get(f"/verify/{holder.certificate.code}")  # a verification of the certificate
    login_as(holder.user)
    response = download(browser)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data, archive = read_export(response)
    assert set(data) == SECTIONS
    assert data["account"]["email"] == holder.email and data["account"]["name"] == holder.name
    assert data["organisation"]["name"] == "Northwind" and data["roles"] == ["learner"]
    assert data["logins"] and "token_hash" not in data["logins"][0]
    assert {"foundations", "writing-key-results", "final-exam"} <= {
        a["quiz_key"] for a in data["quiz_attempts"]}
    assert all(a["answers"] and a["score"] is not None for a in data["quiz_attempts"])
    assert len(data["lesson_progress"]) >= 4 and len(data["enrolments"]) == 1

    [certificate] = data["certificates"]
    assert certificate["code"] == holder.certificate.code
    assert certificate["holder_name"] == holder.name and "pdf" not in certificate
    assert "status_reason" not in certificate
    assert archive.read(certificate["pdf_file"]) == db.session.get(
        Certificate, holder.certificate.id).pdf
    [check] = certificate["verifications"]
    assert check["channel"] == "web" and check["verdict"] == "valid" and "client" not in check

    [submission] = data["capstone_submissions"]
    assert "Northwind" in submission["text_md"]
    [item] = submission["files"]
    assert "data" not in item and item["archive_file"].endswith("-appendix.pdf")
    assert ".." not in item["archive_file"]
    assert archive.read(item["archive_file"]) == CAPSTONE_FILE

    subjects = [m["subject"] for m in data["mails"] if m["kind"] == "certificate_issued"]
    assert subjects and "OKR" in subjects[0]
    assert all(m["recipient"] == holder.email for m in data["mails"])


def test_the_export_is_audited_without_its_content(browser, login_as, holder, db):
    login_as(holder.user)
    download(browser)
    entry = db.session.query(AuditEvent).filter_by(action="privacy.export").one()
    assert entry.actor_id == holder.user.id and entry.target_id == str(holder.user.id)
    assert holder.email not in entry.summary and holder.name not in entry.summary
    assert entry.details["by_administrator"] is False


def test_another_persons_data_is_never_in_the_export(browser, login_as, holder, other, db):
    db.session.add(LoginSession(user_id=other.id, token_hash="f" * 64,
                                expires_at=holder.certificate.issued_at))
    db.session.commit()
    login_as(holder.user)
    response = download(browser)
    raw = response.get_data()
    body = json.dumps(read_export(response)[0])
    theirs = db.session.query(Certificate).filter_by(user_id=other.id).one()
    for trace in ("quinn.other@example.com", "Quinn Other", theirs.code):
        assert trace not in body
        assert trace.encode() not in raw


def test_another_account_in_the_url_is_refused(browser, login_as, holder, other, db):
    login_as(holder.user)
    assert browser.post(f"/admin/users/{other.id}/data-export",
                        token_from="/account").status_code == 403
    assert browser.get(f"/admin/users/{other.id}/erase").status_code == 403
    assert db.session.query(AuditEvent).filter_by(action="privacy.export").count() == 0


def test_an_administrator_exports_on_request(browser, login_as, holder, db):
    admin = login_as("admin")
    page = f"/admin/users/{holder.user.id}"
    assert "Download their data" in browser.get(page).get_data(as_text=True)
    response = download(browser, f"/admin/users/{holder.user.id}/data-export", page)
    assert response.status_code == 200
    assert read_export(response)[0]["account"]["id"] == holder.user.id
    entry = db.session.query(AuditEvent).filter_by(action="privacy.export").one()
    assert entry.actor_id == admin.id and entry.details["by_administrator"] is True


def test_the_export_needs_the_forms_token_and_a_post(client, login_as, holder):
    login_as(holder.user)
    assert client.post("/account/data-export").status_code == 400
    assert client.get("/account/data-export").status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, holder):
    response = client.post("/account/data-export")
    assert response.status_code in (302, 400)  # CSRF refuses first, or the login page
    assert client.get("/account/erase").status_code == 302


# --- every column is exported or left out on purpose -------------------------------------------

def test_every_account_column_is_exported_or_left_out_on_purpose():
    columns = set(User.__table__.columns.keys())
    exported, omitted = set(export.ACCOUNT_COLUMNS), set(export.OMITTED_ACCOUNT_COLUMNS)
    assert not exported & omitted
    assert columns == exported | omitted, (
        f"decide for the new users columns {columns - exported - omitted}: add each to "
        "ACCOUNT_COLUMNS or, with its reason, to OMITTED_ACCOUNT_COLUMNS in app/privacy/export.py")


def test_the_exported_account_has_exactly_the_chosen_columns(browser, login_as, holder):
    login_as(holder.user)
    data, _ = read_export(download(browser))
    assert list(data["account"]) == list(export.ACCOUNT_COLUMNS)
    assert "password_hash" not in json.dumps(data)


@pytest.mark.parametrize("model", [LoginSession, Certificate, CapstoneSubmission, CapstoneFile,
                                   Invitation, CourseMaintainer])
def test_every_omitted_column_still_exists(model):
    assert set(export.OMITTED_COLUMNS[model]) <= set(model.__table__.columns.keys())


def test_every_column_that_points_to_an_account_is_decided_on(db):
    pointing = {f"{table.name}.{column.name}" for table in db.metadata.sorted_tables
                for column in table.columns for key in column.foreign_keys
                if key.column.table.name == "users"}
    decided = set(export.USER_REFERENCES) | export.STAFF_REFERENCES
    assert pointing == decided, (
        f"decide for {pointing - decided} in app/privacy/export.py (the person's own rows: "
        "USER_REFERENCES and a section; a staff member's work: STAFF_REFERENCES)")
    assert set(export.USER_REFERENCES.values()) <= SECTIONS


def test_a_verification_log_keeps_the_verifiers_data_out(app):
    assert "client" in VerificationLog.__table__.columns
    assert "client" not in export.VERIFICATION_COLUMNS
