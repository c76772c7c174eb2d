"""The admin pages: an account's enrolments and certificates with their status changes, its last
login, the certificate search and where the navigation says the admin is."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from app.certificates import services
from app.courses import services as courses
from app.models import Certificate, User
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import import_example_course
from tests.test_certificate_issuance import meet_rule


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def holder(db, make_user, course):
    user = make_user(name="Morgan Holder", email="morgan.holder@example.com")
    meet_rule(db, user, course)
    return user


@pytest.fixture
def certificate(db, holder, course) -> Certificate:
    return services.live_certificate(db.session, holder, course)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def status_url(certificate: Certificate, action: str, back: str | None) -> str:
    url = f"/admin/certificates/{certificate.code}/status?action={action}"
    return url + (f"&next={quote(back, safe='')}" if back is not None else "")


def confirm(browser, certificate: Certificate, action: str, back: str | None):
    """Open the confirmation page from `back` and confirm the change there."""
    url = status_url(certificate, action, back)
    return browser.post(url, {"action": action, "reason": "Complaint under review",
                              "confirm_code": certificate.code}, token_from=url)


# --- the account page ----------------------------------------------------------------------

def test_the_account_page_lists_enrolments_and_certificates_with_their_changes(
        client, login_as, holder, certificate, make_user):
    login_as("admin")
    text = text_of(client.get(f"/admin/users/{holder.id}"))
    assert "Enrolments" in text and "OKR Essentials" in text and "4 of 4 lessons (100%)" in text
    assert "2 of 2 quizzes passed" in text
    assert certificate.code in text and "Valid" in text
    back = f"/admin/users/{holder.id}"
    for action in ("suspend", "revoke"):
        assert (f'/admin/certificates/{certificate.code}/status?action={action}'
                f'&amp;next={back}') in text
    assert "?action=unsuspend" not in text
    newcomer = make_user(name="Nora Newcomer")
    text = text_of(client.get(f"/admin/users/{newcomer.id}"))
    assert "Nora Newcomer holds no certificate." in text
    assert "Nora Newcomer is not enrolled in any course." in text


def test_a_suspension_from_the_account_page_returns_to_it(db, browser, login_as, holder,
                                                          certificate):
    login_as("admin")
    back = f"/admin/users/{holder.id}"
    page = text_of(browser.get(status_url(certificate, "suspend", back)))
    assert f'href="{back}">Cancel</a>' in page and f'<a href="{back}">Morgan Holder</a>' in page
    assert f"Suspend {certificate.code}</button>" in page
    response = confirm(browser, certificate, "suspend", back)
    assert response.status_code == 302 and response.location == back
    assert db.session.get(Certificate, certificate.id).status == "suspended"
    text = text_of(browser.get(back))
    assert f"Certificate {certificate.code} is now suspended." in text
    assert "Lift suspension…" in text and "Note: Complaint under review" in text


@pytest.mark.parametrize("back", ["https://evil.example/admin", "//evil.example/x",
                                  "/\\evil.example", "javascript:alert(1)", "admin/users/1",
                                  "/admin/users/1\r\nLocation: https://evil.example"])
def test_a_return_address_off_the_site_is_ignored(db, browser, login_as, certificate, back):
    login_as("admin")
    page = text_of(browser.get(status_url(certificate, "suspend", back)))
    assert 'href="/admin/certificates">Cancel</a>' in page and "evil" not in page.split(
        "<main", 1)[1].split("</main>")[0]
    response = confirm(browser, certificate, "suspend", back)
    assert response.status_code == 302 and response.location == "/admin/certificates"


def test_the_account_page_is_for_admins_only(client, login_as, holder):
    login_as("hr")
    assert client.get(f"/admin/users/{holder.id}").status_code == 403
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


def test_a_status_change_of_another_code_stays_refused(browser, login_as, certificate, holder):
    login_as("admin")
    url = status_url(certificate, "revoke", f"/admin/users/{holder.id}")
    response = browser.post(url, {"action": "revoke", "reason": "x",
                                  "confirm_code": "OKR-0000-0000-0000-0000-0"}, token_from=url)
    assert response.status_code == 400
    assert "This confirmation names another certificate." in text_of(response)


# --- the last login ------------------------------------------------------------------------

def test_logging_in_stamps_the_last_login_the_admin_sees(db, app, client, browser, login_as,
                                                         make_user):
    person = make_user(name="Lena Login", email="lena@example.com")
    response = browser.post("/login", {"email": "lena@example.com",
                                       "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    stamped = db.session.get(User, person.id).last_login_at
    assert stamped is not None
    assert abs(stamped.replace(tzinfo=stamped.tzinfo or UTC) - datetime.now(UTC)).seconds < 60
    login_as("admin")
    text = text_of(client.get(f"/admin/users/{person.id}"))
    assert "Last login</dt><dd>Never" not in text and "Last login</dt><dd>" in text


def test_every_way_in_stamps_the_last_login(db, make_user):
    from datetime import timedelta

    from app.auth.logins import start_login

    person = make_user()
    assert person.last_login_at is None
    moment = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    start_login(db.session, person, moment, timedelta(hours=1))  # as a password reset does
    assert person.last_login_at == moment


def test_an_account_that_never_logged_in_says_never(client, login_as, make_user):
    person = make_user()
    login_as("admin")
    assert "Last login</dt><dd>Never" in text_of(client.get(f"/admin/users/{person.id}"))


# --- the certificate search ----------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "Morgan", "morgan holder", "MORGAN.HOLDER@EXAMPLE", "essentials", "example-course"])
def test_the_search_finds_by_holder_email_and_course(client, login_as, certificate, query):
    login_as("admin")
    text = text_of(client.get(f"/admin/certificates?q={quote(query)}"))
    assert certificate.code in text and "1 certificate matching" in text


def test_the_search_takes_a_code_as_people_type_it(client, login_as, certificate):
    login_as("admin")
    code = certificate.code
    typed = [code, code.lower().replace("-", " "), code.replace("-", ""),
             code[4:13].lower(), code[9:18].replace("-", " ")]
    for query in typed:
        assert code in text_of(client.get(f"/admin/certificates?q={quote(query)}")), query
    for query in (code[4:7], "zzzz", "%", "_", "'; drop table certificates; --"):
        text = text_of(client.get(f"/admin/certificates?q={quote(query)}"))
        assert code not in text and "No certificate matches this search." in text, query


def test_the_search_filters_by_status_and_pages(db, client, login_as, certificate):
    login_as("admin")
    assert certificate.code not in text_of(client.get("/admin/certificates?status=revoked"))
    assert certificate.code in text_of(client.get("/admin/certificates?status=active&q=morgan"))
    for odd in ("page=0", "page=-1", "page=abc", "page=99999999999", "status=bogus",
                "q=" + "x" * 500):
        assert client.get(f"/admin/certificates?{odd}").status_code == 200, odd
    text = text_of(client.get("/admin/certificates?q=morgan"))
    assert 'value="morgan"' in text and "Show all" in text


def test_the_certificate_search_stays_for_admins(client, login_as, certificate):
    login_as("learner")
    assert client.get("/admin/certificates?q=Morgan").status_code == 403


# --- where the navigation says the admin is -------------------------------------------------

def test_the_admin_certificate_pages_mark_admin_and_certificates_current(client, login_as,
                                                                         certificate):
    login_as("admin")
    for url in ("/admin/certificates", f"/admin/certificates/{certificate.code}/status"):
        html = client.get(url).get_data(as_text=True)
        current = re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"[^>]*>([^<]+)<', html)
        labels = {label.strip() for _, label in current}
        assert "My certificates" not in labels, url
        assert "Admin" in labels, url
    html = client.get("/admin/certificates").get_data(as_text=True)
    assert 'href="/admin/certificates" aria-current="page">Certificates</a>' in html
    assert 'aria-current="page">Users</a>' not in html


def test_the_learning_of_an_account_shows_enrolments_without_certificates(
        db, client, login_as, make_user, course):
    learner = make_user(name="Ida Starter")
    courses.enroll(db.session, learner, course)
    db.session.commit()
    login_as("admin")
    text = text_of(client.get(f"/admin/users/{learner.id}"))
    assert "0 of 4 lessons (0%)" in text and "Ida Starter holds no certificate." in text
