"""Sessions can be ended: logout, a password change, deactivation and "sign out everywhere"
make the old session and remember cookies worthless at once.

Before: after a password change and after logout, the old session cookie and the
`remember_token` still opened /account; the remember token was the user id plus an HMAC of it,
the same at every login, valid 365 days.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth.logins import end_all_logins, start_login, user_for_login
from app.models import AuditEvent, LoginSession
from tests.conftest import DEFAULT_PASSWORD, CsrfClient

NEW_PASSWORD = "Another-Horse-77"


@pytest.fixture
def member(make_user):
    return make_user("learner", password=DEFAULT_PASSWORD)


def log_in(app, user, remember: bool = False) -> tuple[CsrfClient, dict[str, str]]:
    """A fresh browser logged in through the login page; its cookies as sent back."""
    browser = CsrfClient(app.test_client())
    form = {"email": user.email, "password": DEFAULT_PASSWORD}
    if remember:
        form["remember"] = "y"
    response = browser.post("/login", form)
    assert response.status_code == 302, response.status_code
    cookies = {name: browser.client.get_cookie(name).value
               for name in ("session", "remember_token") if browser.client.get_cookie(name)}
    return browser, cookies


def replay(app, cookies: dict[str, str], only: str | None = None) -> int:
    """Open /account in a new browser holding copies of the cookies; the status."""
    client = app.test_client()
    for name, value in cookies.items():
        if only is None or name == only:
            client.set_cookie(name, value)
    return client.get("/account").status_code


def test_logout_ends_every_session_and_remember_cookie_of_the_account(app, db, member):
    _, laptop = log_in(app, member, remember=True)
    browser, cookies = log_in(app, member, remember=True)
    assert replay(app, cookies, "session") == 200
    assert replay(app, cookies, "remember_token") == 200
    browser.post("/logout", {}, token_from="/account")
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.logout")).details["logins_ended"] == 2
    for stolen in (cookies, laptop):
        assert replay(app, stolen, "session") == 302
        assert replay(app, stolen, "remember_token") == 302


def test_a_password_change_signs_out_every_other_login(app, member):
    other, stolen = log_in(app, member, remember=True)
    mine, _ = log_in(app, member)
    response = mine.post("/account", {"password-current_password": DEFAULT_PASSWORD,
                                      "password-new_password": NEW_PASSWORD,
                                      "password-confirm": NEW_PASSWORD,
                                      "password-submit": "Change password"})
    assert response.status_code == 302
    assert mine.get("/account").status_code == 200  # the browser that changed it stays in
    assert replay(app, stolen, "session") == 302
    assert replay(app, stolen, "remember_token") == 302
    assert other.get("/account").status_code == 302


def test_remember_tokens_differ_per_login(app, member):
    _, cookies_a = log_in(app, member, remember=True)
    _, cookies_b = log_in(app, member, remember=True)
    assert cookies_a["remember_token"] != cookies_b["remember_token"]
    assert cookies_a["remember_token"].split("|")[0] != str(member.id)
    assert app.config["REMEMBER_COOKIE_DURATION"] == 30 * 24 * 3600


def test_the_remember_cookie_expires_after_the_configured_days(app, member):
    browser = CsrfClient(app.test_client())
    response = browser.post("/login", {"email": member.email, "password": DEFAULT_PASSWORD,
                                       "remember": "y"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("remember_token="))
    expires = datetime.strptime(re.search(r"Expires=([^;]+)", cookie).group(1),
                                "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30, minutes=1)


def test_deactivation_ends_every_login(app, db, member, make_user):
    _, cookies = log_in(app, member, remember=True)
    admin, _ = log_in(app, make_user("admin", password=DEFAULT_PASSWORD))
    admin.post(f"/admin/users/{member.id}/active", {}, token_from=f"/admin/users/{member.id}")
    assert replay(app, cookies, "session") == 302
    assert replay(app, cookies, "remember_token") == 302


def test_an_admin_signs_a_user_out_everywhere_audited(app, db, member, make_user):
    _, laptop = log_in(app, member, remember=True)
    _, phone = log_in(app, member)
    admin_user = make_user("admin", password=DEFAULT_PASSWORD)
    admin, _ = log_in(app, admin_user)
    response = admin.post(f"/admin/users/{member.id}/sign-out", {},
                          token_from=f"/admin/users/{member.id}")
    assert response.status_code == 302
    assert {replay(app, laptop), replay(app, phone)} == {302}
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.sign_out_everywhere"))
    assert event.actor_id == admin_user.id and event.details["logins_ended"] == 2


def test_a_user_signs_out_everywhere_else(app, member):
    _, laptop = log_in(app, member, remember=True)
    mine, _ = log_in(app, member)
    mine.post("/account/sign-out-everywhere", {}, token_from="/account")
    assert mine.get("/account").status_code == 200
    assert replay(app, laptop, "session") == replay(app, laptop, "remember_token") == 302


@pytest.mark.parametrize("forged", [
    lambda real: real.split(".")[0] + ".not-the-secret",
    lambda real: str(int(real.split(".")[0]) + 1) + "." + real.split(".")[1],
    lambda real: real.split(".")[0],
    lambda real: "1",
    lambda real: "9" * 30 + "." + real.split(".")[1],
    lambda real: "²." + real.split(".")[1],
    lambda real: real + "x" * 100,
])
def test_forged_or_ended_logins_open_nothing(db, member, forged):
    now = datetime.now(UTC)
    real = start_login(db.session, member, now, timedelta(hours=1))
    assert user_for_login(db.session, real, now) is not None
    assert user_for_login(db.session, forged(real), now) is None
    assert user_for_login(db.session, real, now + timedelta(hours=1)) is None  # expired
    end_all_logins(db.session, member, now)
    assert user_for_login(db.session, real, now) is None


def test_only_a_digest_of_the_secret_is_stored(db, member):
    real = start_login(db.session, member, datetime.now(UTC), timedelta(hours=1))
    row = db.session.scalar(select(LoginSession))
    assert real.split(".")[1] not in row.token_hash and len(row.token_hash) == 64


def test_ended_and_expired_logins_are_deleted_at_the_next_login(db, member):
    now = datetime.now(UTC)
    start_login(db.session, member, now - timedelta(days=2), timedelta(hours=1))  # expired
    ended = start_login(db.session, member, now, timedelta(hours=1))
    end_all_logins(db.session, member, now)
    live = start_login(db.session, member, now, timedelta(hours=1))
    rows = db.session.scalars(select(LoginSession)).all()
    assert [row.id for row in rows] == [int(live.split(".")[0])]
    assert user_for_login(db.session, ended, now) is None


def test_ending_logins_counts_only_live_ones(db, member):
    now = datetime.now(UTC)
    start_login(db.session, member, now - timedelta(days=2), timedelta(hours=1))  # expired
    start_login(db.session, member, now, timedelta(hours=1))
    assert end_all_logins(db.session, member, now) == 1
