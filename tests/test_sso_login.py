"""The login page asks for the email first: an address of an organisation with sign-on goes to
its identity provider, any other to the password; an organisation can turn password login off."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import LoginSession
from tests.conftest import DEFAULT_PASSWORD
from tests.sso.support import enable_sign_on


def logins(db) -> int:
    return db.session.scalar(select(func.count(LoginSession.id)))


def test_the_login_page_asks_for_the_email_first(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'data-login-step="email"' in page and 'data-continue="Continue"' in page
    assert "leave the password empty" in page and "js/login-steps." in page


def test_an_address_without_sign_on_goes_on_to_the_password(browser, make_user):
    make_user(email="exec@example.com")
    response = browser.post("/login?next=/account", {"email": "exec@example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="exec@example.com"' in page and 'data-login-step' not in page
    assert 'name="password"' in page and "not correct" not in page


def test_an_address_of_an_organisation_with_sign_on_goes_to_its_provider(browser, db, make_org):
    """A page that moves on by itself, not a redirect: browsers hold a form's redirects to the
    page's form-action policy (this site), and the provider is another site."""
    enable_sign_on(db, make_org("Acme"), ["acme.example"])
    response = browser.post("/login?next=/courses", {"email": " Someone@ACME.example "})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="0; url=/sso/acme/start?next=/courses">' in page
    assert 'href="/sso/acme/start?next=/courses"' in page and "Taking you to its sign-in" in page
    response = browser.post("/login?next=https://evil.example/", {"email": "a@acme.example"})
    assert 'content="0; url=/sso/acme/start"' in response.get_data(as_text=True)


def test_a_disabled_sign_on_sends_nobody_away(browser, db, make_org):
    enable_sign_on(db, make_org("Acme"), ["acme.example"], enabled=False)
    response = browser.post("/login", {"email": "someone@acme.example"})
    assert response.status_code == 200 and 'name="password"' in response.get_data(as_text=True)


def test_email_and_password_together_log_in_while_password_login_is_on(browser, db, make_org,
                                                                        make_user):
    org = make_org("Acme")
    enable_sign_on(db, org, ["acme.example"])
    make_user(email="ada@acme.example", org=org)
    response = browser.post("/login", {"email": "ada@acme.example", "password": DEFAULT_PASSWORD})
    assert (response.status_code, response.location) == (302, "/dashboard")


def test_password_login_off_refuses_the_organisation_s_people(browser, db, make_org, make_user):
    org = make_org("Acme")
    enable_sign_on(db, org, ["acme.example"], password_login=False)
    make_user(email="ada@acme.example", org=org)
    response = browser.post("/login?next=/courses",
                            {"email": "ada@acme.example", "password": DEFAULT_PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "password login is turned off" in page
    assert 'href="/sso/acme/start?next=/courses"' in page
    assert "Sign in with your company account" in page
    assert logins(db) == 0


def test_password_login_off_also_holds_for_accounts_from_before(browser, db, make_org,
                                                                make_user):
    org = make_org("Acme")
    enable_sign_on(db, org, ["acme.example"], password_login=False)
    make_user(email="old-address@example.com", org=org)  # a domain sign-on does not own
    wrong = browser.post("/login", {"email": "old-address@example.com", "password": "Nope-nope-1"})
    assert wrong.status_code == 401  # a wrong password learns nothing about the account
    right = browser.post("/login", {"email": "old-address@example.com",
                                    "password": DEFAULT_PASSWORD})
    assert right.status_code == 403 and "Sign in with your company account" in \
        right.get_data(as_text=True)
    assert logins(db) == 0


def test_other_organisations_keep_their_password_login(browser, db, make_org, make_user):
    enable_sign_on(db, make_org("Acme"), ["acme.example"], password_login=False)
    make_user(email="exec@example.com", org=make_org("Globex"))
    response = browser.post("/login", {"email": "exec@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and logins(db) == 1


def test_a_bad_address_on_the_first_step_is_a_400(browser):
    response = browser.post("/login", {"email": "not-an-address"})
    assert response.status_code == 400
