"""A forgotten password: the same answer for every address, one mail per 10 minutes per account,
a link that works once and for an hour, and a reset that signs out every other login.

The tests follow the link in the mail, as its reader would.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth import services, tokens
from app.models import AuditEvent, LoginSession, User
from app.notifications import account_mails
from tests.conftest import DEFAULT_PASSWORD, CsrfClient, log_in
from tests.mailbox import links_in, path_of, sent_mails, text_of

KNOWN = "known@example.com"
NEW_PASSWORD = "Fresh-Start-2025!"


@pytest.fixture
def known(make_user) -> User:
    return make_user(email=KNOWN, name="Known Person")


def ask_for_link(app, email: str, address: str = "198.51.100.7"):
    """Ask for a reset link from a fresh browser; the answer and the page it leads to."""
    browser = CsrfClient(app.test_client())
    response = browser.post("/forgot-password", {"email": email},
                            environ_base={"REMOTE_ADDR": address})
    page = browser.get(response.location).get_data(as_text=True) if response.location else ""
    return response, page


def reset_link(app, to: str = KNOWN) -> str:
    """The path of the newest reset link mailed to `to`."""
    mails = [m for m in sent_mails(app, to=to) if "password" in m["Subject"].lower()]
    assert mails, f"no reset mail to {to}"
    return path_of(next(link for link in links_in(mails[-1]) if "/reset-password/" in link))


def policy(app):
    return services.PasswordPolicy.from_config(app.config)


def password_works(db, app, password: str) -> bool:
    db.session.expire_all()
    return services.authenticate(db.session, KNOWN, password, policy(app),
                                 datetime.now(UTC)) is not None


def test_the_login_page_links_to_the_forgotten_password_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in html and "Forgot password?" in html
    assert client.get("/forgot-password").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_a_mail(app, known):
    answers = [ask_for_link(app, email) for email in (KNOWN, "nobody@example.com")]
    (first, page), (second, other_page) = answers
    assert (first.status_code, first.location) == (second.status_code, second.location) \
        == (302, "/login")
    strip_tokens = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert strip_tokens(page) == strip_tokens(other_page)
    assert "If an account uses this address, we sent a link" in page
    assert sent_mails(app, to="nobody@example.com") == []
    assert len(sent_mails(app, to=KNOWN)) == 1


def test_a_deactivated_account_is_answered_alike_and_mailed_nothing(app, make_user):
    make_user(email="gone@example.com", active=False)
    response, page = ask_for_link(app, "gone@example.com")
    assert (response.status_code, response.location) == (302, "/login")
    assert "If an account uses this address" in page
    assert sent_mails(app) == []


def test_the_link_sets_a_new_password_ends_every_other_login_and_logs_in(app, db, known):
    old_browser = app.test_client()
    log_in(old_browser, known)
    assert old_browser.get("/account").status_code == 200
    ask_for_link(app, KNOWN)
    mail = sent_mails(app, to=KNOWN)[0]
    assert mail["Subject"] == "Reset your OKR Academy password"
    assert "60 minutes" in text_of(mail) and "If this wasn't you" in text_of(mail)

    browser = CsrfClient(app.test_client())
    link = reset_link(app)
    form = browser.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    response = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert (response.status_code, response.location) == (302, "/dashboard")
    assert "Known Person" in browser.get("/account").get_data(as_text=True), "logged in here"
    assert old_browser.get("/account").status_code == 302, "the old login was ended"
    assert password_works(db, app, NEW_PASSWORD) and not password_works(db, app, DEFAULT_PASSWORD)
    user = db.session.get(User, known.id)
    assert user.email_verified
    live = db.session.scalars(select(LoginSession).where(LoginSession.user_id == known.id,
                                                         LoginSession.ended_at.is_(None)))
    assert len(list(live)) == 1, "only the new login is live"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
    assert audit.details["logins_ended"] == 1


def test_an_unverified_account_is_verified_by_a_reset(app, db, known):
    known.email_verified_at = None
    db.session.commit()
    ask_for_link(app, KNOWN)
    link = reset_link(app)
    CsrfClient(app.test_client()).post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, known.id).email_verified


def test_the_link_works_once(app, db, known):
    ask_for_link(app, KNOWN)
    link = reset_link(app)
    browser = CsrfClient(app.test_client())
    assert browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                        ).status_code == 302
    again = CsrfClient(app.test_client())
    page = again.get(link)
    assert page.status_code == 400
    assert "This link has expired or was already used" in page.get_data(as_text=True)
    assert 'href="/forgot-password"' in page.get_data(as_text=True)
    refused = again.post(link, {"password": "Another-Pass-3030!", "confirm": "Another-Pass-3030!"},
                         token_from="/forgot-password")
    assert refused.status_code == 400
    assert password_works(db, app, NEW_PASSWORD)


def test_a_link_older_than_an_hour_is_refused(app, db, known, monkeypatch):
    written_at = datetime.now(UTC) - timedelta(minutes=61)
    monkeypatch.setattr(account_mails, "utcnow", lambda: written_at)
    ask_for_link(app, KNOWN)
    link = reset_link(app)
    browser = CsrfClient(app.test_client())
    assert browser.get(link).status_code == 400
    assert browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                        token_from="/forgot-password").status_code == 400
    assert password_works(db, app, DEFAULT_PASSWORD)
    # Signed 59 minutes ago, the same kind of link still works.
    fresh = tokens.password_reset_token(app.secret_key, known,
                                        datetime.now(UTC) - timedelta(minutes=59))
    assert browser.get(f"/reset-password/{fresh}").status_code == 200


@pytest.mark.parametrize("forge", [
    lambda app, user: tokens.password_reset_token(app.secret_key, user, datetime.now(UTC))[:-2]
    + "xx",
    lambda app, user: tokens.password_reset_token("another-secret", user, datetime.now(UTC)),
    lambda app, user: tokens.email_token(app.secret_key, user, user.email, datetime.now(UTC)),
    lambda app, user: tokens.password_reset_token(app.secret_key, user,
                                                  datetime.now(UTC) + timedelta(hours=2)),
    lambda app, user: "not-a-token",
    lambda app, user: "A" * 5000,
], ids=["tampered", "other-secret", "address-token", "signed-in-the-future", "garbage", "huge"])
def test_forged_links_are_refused_and_change_nothing(app, db, known, forge):
    browser = CsrfClient(app.test_client())
    link = f"/reset-password/{forge(app, known)}"
    assert browser.get(link).status_code == 400
    response = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                            token_from="/forgot-password")
    assert response.status_code == 400
    assert password_works(db, app, DEFAULT_PASSWORD)


def test_a_weak_password_is_refused_beside_the_field_and_nothing_changes(app, db, known):
    other_login = app.test_client()
    log_in(other_login, known)
    ask_for_link(app, KNOWN)
    link = reset_link(app)
    browser = CsrfClient(app.test_client())
    response = browser.post(link, {"password": "weak", "confirm": "weak"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert other_login.get("/account").status_code == 200, "no login was ended"
    assert password_works(db, app, DEFAULT_PASSWORD)
    assert browser.get(link).status_code == 200, "the link still works"


def test_a_flood_of_requests_mails_an_account_once_per_ten_minutes(app, known, monkeypatch):
    from app.auth import routes

    earlier = datetime.now(UTC) - timedelta(minutes=11)
    monkeypatch.setattr(routes, "utcnow", lambda: earlier)
    for n in range(12):  # from many addresses, past any per-client limit
        ask_for_link(app, KNOWN, address=f"203.0.113.{n}")
    assert len(sent_mails(app, to=KNOWN)) == 1
    monkeypatch.undo()  # ten minutes later
    ask_for_link(app, KNOWN, address="203.0.113.99")
    assert len(sent_mails(app, to=KNOWN)) == 2


def test_requests_are_limited_per_client(app, known):
    codes = [ask_for_link(app, f"probe{n}@example.com")[0].status_code for n in range(6)]
    assert codes == [302] * 5 + [429]
    assert ask_for_link(app, KNOWN, address="203.0.113.50")[0].status_code == 302


def test_a_deactivated_account_cannot_use_a_link_it_was_sent(app, db, known):
    ask_for_link(app, KNOWN)
    link = reset_link(app)
    known.is_active_account = False
    db.session.commit()
    assert app.test_client().get(link).status_code == 400


# --- the command line -------------------------------------------------------------------------

def test_flask_users_set_password_prompts_twice_and_ends_every_login(app, db, runner, known):
    other_login = app.test_client()
    log_in(other_login, known)
    result = runner.invoke(args=["users", "set-password", KNOWN],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output, "the password is not echoed"
    assert "1 login ended" in result.output
    assert password_works(db, app, NEW_PASSWORD)
    assert other_login.get("/account").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.set_password"))


def test_flask_users_set_password_refuses_a_weak_or_mistyped_password(app, db, runner, known):
    weak = runner.invoke(args=["users", "set-password", KNOWN], input="weak\nweak\n")
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output
    mistyped = runner.invoke(args=["users", "set-password", KNOWN],
                             input=f"{NEW_PASSWORD}\nOther-Pass-2025!\n")
    assert mistyped.exit_code != 0
    unknown = runner.invoke(args=["users", "set-password", "nobody@example.com"],
                            input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert unknown.exit_code != 0 and "No account" in unknown.output
    assert password_works(db, app, DEFAULT_PASSWORD)
