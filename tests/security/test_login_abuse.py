"""Failed logins cannot lock the owner out, and no more passwords are checked than the limits
allow, even when the guesses arrive all at once.

Before: ten failed logins from anyone locked the account for five minutes (the owner's right
password got a 429), and of 40 concurrent wrong passwords more than 5 were checked (14 in the
report; all 40 here, where every request is held at the hash), because the per-account counter
moved only after the slow hash.
"""
from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from app.auth import services
from app.extensions import db
from tests.conftest import DEFAULT_PASSWORD, CsrfClient
from tests.security.concurrent_app import PATIENCE, at_once, threaded_app  # noqa: F401

WRONG = "Wrong-password-1"
OWNER = "owner@example.com"
THREADS = 40


def attempt(client, password: str = WRONG, address: str = "198.51.100.66",
            email: str = OWNER):
    """One login through the form (the client fetches the token, as a browser does)."""
    browser = client if isinstance(client, CsrfClient) else CsrfClient(client)
    return browser.post("/login", {"email": email, "password": password},
                        environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def owner(make_user):
    """The account the strangers guess at."""
    return make_user(email=OWNER)


def test_strangers_failing_ten_times_do_not_lock_the_owner_out(app, owner):
    stranger = app.test_client()
    codes = [attempt(stranger).status_code for _ in range(10)]
    assert codes == [401] * 5 + [429] * 5, "the stranger's own budget is spent"
    assert attempt(app.test_client(), DEFAULT_PASSWORD, "203.0.113.7").status_code == 302


def test_a_browser_that_logged_in_before_gets_in_where_strangers_spent_their_budget(app,
                                                                                    owner):
    laptop = CsrfClient(app.test_client())
    assert attempt(laptop, DEFAULT_PASSWORD).status_code == 302
    laptop.post("/logout", token_from="/account")
    codes = [attempt(app.test_client()).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429], "strangers behind the owner's address (one office)"
    assert attempt(laptop, DEFAULT_PASSWORD).status_code == 302


def test_strangers_at_many_addresses_do_not_lock_the_owner_out(app, owner):
    codes = [attempt(app.test_client(), address=f"198.51.100.{n}").status_code
             for n in range(1, 11)]
    assert codes == [401] * 10
    assert attempt(app.test_client(), DEFAULT_PASSWORD, "203.0.113.7").status_code == 302


def test_a_login_that_succeeds_gives_its_check_back(app, owner):
    browser = CsrfClient(app.test_client())
    for _ in range(3):
        assert attempt(browser, DEFAULT_PASSWORD).status_code == 302
        browser.post("/logout", token_from="/account")
        assert attempt(browser).status_code == 401
    assert [attempt(browser).status_code for _ in range(3)] == [401, 401, 429], \
        "only the failures counted"


def test_an_account_under_attack_slows_new_devices_and_lets_known_ones_in(app, owner):
    app.config.update(LOGIN_SLOWDOWN_PER_ACCOUNT="3 per day", LOGIN_SLOWDOWN_MAX_SECONDS=300)
    laptop = CsrfClient(app.test_client())
    assert attempt(laptop, DEFAULT_PASSWORD, "203.0.113.7").status_code == 302
    laptop.post("/logout", token_from="/account")
    codes = [attempt(app.test_client(), address=f"198.51.100.{n}").status_code
             for n in range(1, 7)]
    assert codes == [401, 401, 401, 401, 429, 429], "one guess past the budget, then a wait"
    new_phone = attempt(app.test_client(), DEFAULT_PASSWORD, "203.0.113.8")
    assert new_phone.status_code == 429
    assert 1 <= int(new_phone.headers["Retry-After"]) <= 300
    assert "have logged in from before" in new_phone.get_data(as_text=True)
    # the laptop, even behind an attacker's address, is not held up
    assert attempt(laptop, DEFAULT_PASSWORD, "198.51.100.1").status_code == 302


def test_an_unknown_email_is_throttled_like_a_known_one(app, owner):
    client = app.test_client()
    for email in (OWNER, "nobody@example.com"):
        codes = [attempt(client, email=email).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429], email


# --- concurrent guesses: count the passwords really checked -------------------------------------

class CountedChecks:
    """Counts password checks. A check waits until every request has either answered or begun
    its own check, so every check a limit fails to stop happens, and is counted."""

    def __init__(self, requests: int) -> None:
        self.requests = requests
        self.checked = 0
        self.answered = 0
        self.condition = threading.Condition()

    def install(self, monkeypatch) -> None:
        original = PasswordHasher.verify

        def verify(hasher: PasswordHasher, password_hash, password) -> bool:
            with self.condition:
                self.checked += 1
                self.condition.notify_all()
                self.condition.wait_for(
                    lambda: self.checked + self.answered >= self.requests, timeout=PATIENCE)
            return original(hasher, password_hash, password)

        monkeypatch.setattr(PasswordHasher, "verify", verify)

    def guess(self, address: str):
        def send(app):
            try:
                return app.test_client().post("/login", data={"email": OWNER, "password": WRONG},
                                              environ_base={"REMOTE_ADDR": address})
            finally:
                with self.condition:
                    self.answered += 1
                    self.condition.notify_all()
        return send


@pytest.fixture
def attacked(threaded_app, monkeypatch):  # noqa: F811
    """The owner's account in the threaded app, with password checks counted."""
    threaded_app.config["LOGIN_LIMIT_PER_CLIENT"] = "1000 per minute"
    services.create_user(db.session, email=OWNER, name="Olive Owner", password=DEFAULT_PASSWORD,
                         policy=services.PasswordPolicy.from_config(threaded_app.config))
    db.session.commit()
    checks = CountedChecks(THREADS)
    checks.install(monkeypatch)
    return checks


def test_concurrent_guesses_from_one_client_check_no_more_than_the_limit(threaded_app,  # noqa: F811
                                                                         attacked):
    responses = at_once(threaded_app, [attacked.guess("198.51.100.66")] * THREADS)
    codes = sorted(r.status_code for r in responses)
    assert attacked.checked == 5, f"{attacked.checked} passwords checked"
    assert codes == [401] * 5 + [429] * (THREADS - 5)


def test_concurrent_guesses_from_many_addresses_check_no_more_than_the_budget(
        threaded_app, attacked):  # noqa: F811
    threaded_app.config["LOGIN_SLOWDOWN_PER_ACCOUNT"] = "10 per day"
    guesses = [attacked.guess(f"198.51.100.{n}") for n in range(1, THREADS + 1)]
    responses = at_once(threaded_app, guesses)
    codes = sorted(r.status_code for r in responses)
    assert attacked.checked == 11, f"{attacked.checked} passwords checked"
    assert codes == [401] * 11 + [429] * (THREADS - 11), "the budget, then one guess per wait"


def test_the_current_password_on_the_account_page_is_not_guessed_without_limit(
        app, browser, login_as, make_user):
    """A stolen session pays for each guess of the current password like a login attempt."""
    login_as(make_user("learner"))
    statuses = []
    for guess in range(8):
        response = browser.post("/account", {
            "password-current_password": f"Wrong-Guess-{guess:04d}",
            "password-new_password": "Another-Horse-77", "password-confirm": "Another-Horse-77",
            "password-submit": "Change password"})
        statuses.append(response.status_code)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    assert statuses == [400] * limit + [429] * (8 - limit)
