"""Changing an account's address: the current password is needed (and paid for like a login),
the old address is told, the new one gets a link, and nothing changes until it is confirmed;
whether the new address has an account is told to nobody."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.auth import services
from app.models import AuditEvent, User
from tests.conftest import DEFAULT_PASSWORD, CsrfClient, log_in
from tests.mailbox import links_in, path_of, sent_mails, text_of

OLD = "grace@example.com"
NEW = "grace.hopper@example.com"


@pytest.fixture
def grace(make_user) -> User:
    return make_user(email=OLD, name="Grace Hopper")


@pytest.fixture
def signed_in(app, grace) -> CsrfClient:
    browser = CsrfClient(app.test_client())
    log_in(browser.client, grace)
    return browser


def ask(browser, new_email: str = NEW, password: str = DEFAULT_PASSWORD):
    return browser.post("/account/email", {"email-new_email": new_email,
                                           "email-current_password": password,
                                           "email-submit": "1"}, token_from="/account")


def change_link(app, to: str = NEW) -> str:
    mails = sent_mails(app, to=to)
    assert mails, f"no mail to {to}"
    return path_of(next(link for link in links_in(mails[-1]) if "/verify-email/" in link))


def current(db, user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def logs_in(db, app, email: str) -> bool:
    return services.authenticate(db.session, email, DEFAULT_PASSWORD,
                                 services.PasswordPolicy.from_config(app.config),
                                 datetime.now(UTC)) is not None


def test_the_account_page_offers_the_change(signed_in):
    html = signed_in.get("/account").get_data(as_text=True)
    assert 'action="/account/email"' in html and "New email address" in html


def test_the_new_address_confirms_the_change_and_the_old_one_is_told(app, db, grace, signed_in):
    other_login = app.test_client()
    log_in(other_login, grace)
    response = ask(signed_in)
    assert (response.status_code, response.location) == (302, "/account")
    assert current(db, grace).email == OLD, "nothing changes before the confirmation"
    notice = sent_mails(app, to=OLD)
    assert [m["Subject"] for m in notice] == \
        ["A change of your OKR Academy address was requested"]
    assert NEW in text_of(notice[0]) and "If this wasn't you" in text_of(notice[0])
    mail = sent_mails(app, to=NEW)[0]
    assert mail["Subject"] == "Confirm your new email address for OKR Academy"

    link = change_link(app)
    page = signed_in.get(link)
    assert page.status_code == 200 and "Confirm your new address" in page.get_data(as_text=True)
    assert current(db, grace).email == OLD
    confirmed = signed_in.post(link, {})
    assert (confirmed.status_code, confirmed.location) == (302, "/dashboard")
    user = current(db, grace)
    assert user.email == NEW and user.email_verified
    assert logs_in(db, app, NEW) and not logs_in(db, app, OLD)
    assert other_login.get("/account").status_code == 200, "other logins are kept"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.email_change"))
    assert audit.details == {"old": OLD, "new": NEW}
    assert signed_in.get(link).status_code == 400, "the link worked once"


def test_a_taken_address_gets_the_same_answer_and_no_mail(app, db, grace, signed_in, make_user):
    make_user(email="taken@example.com")
    answers = [ask(signed_in, address) for address in ("taken@example.com", NEW)]
    assert [(r.status_code, r.location) for r in answers] == [(302, "/account")] * 2
    assert sent_mails(app, to="taken@example.com") == []
    assert len(sent_mails(app, to=NEW)) == 1
    assert len(sent_mails(app, to=OLD)) == 2, "the owner hears of both requests"


def test_an_address_taken_meanwhile_is_refused_at_the_confirmation(app, db, grace, signed_in,
                                                                    make_user):
    ask(signed_in)
    link = change_link(app)  # the mail is written while the address is free
    make_user(email=NEW)
    response = signed_in.post(link, {}, token_from=link)
    assert response.status_code == 409
    assert "This address has an account now" in response.get_data(as_text=True)
    assert current(db, grace).email == OLD


@pytest.mark.parametrize("new_email, password, message", [
    (NEW, "Wrong-Password-1", "current password is not correct"),
    (OLD, DEFAULT_PASSWORD, "This is your address already"),
    (" GRACE@Example.com ", DEFAULT_PASSWORD, "This is your address already"),
    ("not-an-address", DEFAULT_PASSWORD, "Invalid email"),
    ("a" * 250 + "@example.com", DEFAULT_PASSWORD, "longer than 254 characters"),
])
def test_bad_requests_are_refused_beside_the_field_and_mail_nothing(app, db, grace, signed_in,
                                                                     new_email, password,
                                                                     message):
    response = ask(signed_in, new_email, password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert sent_mails(app) == []
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.email_change_request")) is None


def test_guessing_the_password_is_throttled_like_a_login(app, db, grace, signed_in):
    app.config["EMAIL_MAIL_LIMIT_PER_CLIENT"] = "100 per minute"
    codes = [ask(signed_in, password=f"Guess-{n}-Password").status_code for n in range(6)]
    assert codes == [400] * 5 + [429]
    refused = ask(signed_in)
    assert refused.status_code == 429, "the right password waits too"
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert sent_mails(app) == []


def test_requests_are_limited_per_client(app, grace, signed_in):
    codes = [ask(signed_in, f"new{n}@example.com").status_code for n in range(6)]
    assert codes == [302] * 5 + [429]


def test_a_password_change_kills_a_pending_change(app, db, grace, signed_in):
    ask(signed_in)
    link = change_link(app)
    services.change_password(db.session, current(db, grace), DEFAULT_PASSWORD,
                             "Brand-New-Pass-77", services.PasswordPolicy.from_config(app.config))
    db.session.commit()
    assert signed_in.get(link).status_code == 400
    assert current(db, grace).email == OLD


def test_a_second_change_kills_the_first_link(app, db, grace, signed_in):
    ask(signed_in)
    first = change_link(app)
    ask(signed_in, "third@example.com")
    second = change_link(app, "third@example.com")
    assert signed_in.post(second, {}, token_from=second).status_code == 302
    assert signed_in.get(first).status_code == 400
    assert current(db, grace).email == "third@example.com"


def test_the_confirmation_works_without_a_login(app, db, grace, signed_in):
    ask(signed_in)
    link = change_link(app)
    browser = CsrfClient(app.test_client())
    response = browser.post(link, {}, token_from=link)
    assert (response.status_code, response.location) == (302, "/login")
    assert current(db, grace).email == NEW


def test_the_change_needs_a_login(client):
    assert client.get("/account/email").status_code == 405
    assert client.post("/account/email").status_code in (302, 400)


# --- mail preferences on the account page -----------------------------------------------------

def test_mail_preferences_are_saved_from_the_account_page(app, db, grace, signed_in):
    html = signed_in.get("/account").get_data(as_text=True)
    assert 'id="mail"' in html and "Reminders before a certificate expires" in html
    assert "The weekly digest for HR" not in html, "only HR users see the digest"
    response = signed_in.post("/account/mail-preferences", {"nudges": "on"},
                              token_from="/account")
    assert (response.status_code, response.location) == (303, "/account#mail")
    user = current(db, grace)
    assert (user.mail_reminders, user.mail_nudges, user.mail_digests) == (False, True, True)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.mail_preferences")).details == {"reminders": False}


def test_hr_users_choose_the_digest_too(app, db, make_user):
    hr = make_user("hr")
    browser = CsrfClient(app.test_client())
    log_in(browser.client, hr)
    assert "The weekly digest for HR" in browser.get("/account").get_data(as_text=True)
    browser.post("/account/mail-preferences", {"reminders": "on"}, token_from="/account")
    user = current(db, hr)
    assert (user.mail_reminders, user.mail_nudges, user.mail_digests) == (True, False, False)
