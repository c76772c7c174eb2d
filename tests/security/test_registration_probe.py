"""Registration tells nobody whether an email has an account, is limited per client, and two
registrations of one email at the same moment make one account and no error.

Before: the password `short` with a known email answered "An account with this email already
exists." (100 probes in 0.6 s, no limit), and 16 parallel registrations of one email gave 9 500s.
"""
from __future__ import annotations

import re
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.auth import services
from app.models import AuditEvent, User
from tests.conftest import CsrfClient
from tests.security.concurrent_app import PATIENCE, at_once, threaded_app  # noqa: F401

KNOWN = "known@example.com"
UNKNOWN = "unknown@example.com"
GOOD = "Analytical-Engine-1843"
VARIANTS = {
    "too short": {"password": "short", "confirm": "short"},
    "one kind of character": {"password": "alllowercaseletters", "confirm": "alllowercaseletters"},
    "too common": {"password": "Password123", "confirm": "Password123"},
    "the email in it": {"password": "{Local}-Pass-77", "confirm": "{Local}-Pass-77"},
    "the name in it": {"password": "Lovelace-Rules-9", "confirm": "Lovelace-Rules-9"},
    "confirmation differs": {"password": GOOD, "confirm": "Analytical-Engine-1844"},
    "no name": {"name": "", "password": GOOD, "confirm": GOOD},
    "a good password": {"password": GOOD, "confirm": GOOD},
}


@pytest.fixture
def known(make_user) -> User:
    """An account whose email a prober would like to confirm."""
    return make_user(email=KNOWN, name="Known Person")


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hash computed, in order."""
    computed: list[str] = []
    original = PasswordHasher.hash

    def counted(hasher: PasswordHasher, password, **kwargs) -> str:
        computed.append(password)
        return original(hasher, password, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counted)
    return computed


def register(app, email: str, change: dict, address: str = "198.51.100.5"):
    """One registration from a fresh browser; what it saw, with the email and tokens blanked."""
    browser = CsrfClient(app.test_client())
    local = email.strip().split("@")[0]
    form = {"name": "Ada Lovelace", "email": email,
            **{name: value.replace("{Local}", local.title()) for name, value in change.items()}}
    response = browser.post("/register", form, environ_base={"REMOTE_ADDR": address})
    shown = response
    if response.status_code in (301, 302, 303):
        shown = browser.get(response.location, environ_base={"REMOTE_ADDR": address})
    text = re.sub(r'value="[^"]*"', 'value=""', shown.get_data(as_text=True))
    text = text.replace(email, "EMAIL")
    errors = sorted(re.findall(r'id="([\w-]+)-error"', text))
    return response.status_code, response.headers.get("Location"), errors, text, browser


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_known_and_an_unknown_email_get_the_same_answer(app, db, known, hashes, variant):
    answers = [register(app, email, VARIANTS[variant]) for email in (KNOWN, UNKNOWN)]
    (status, location, errors, text, _), (status2, location2, errors2, text2, _) = answers
    assert (status, location, errors) == (status2, location2, errors2)
    assert text == text2
    assert "already exists" not in text
    if variant == "a good password":
        assert status == 302 and "your account is ready" in text
        assert len(hashes) == 2, "a password is hashed for the known email too"
    else:
        assert status == 400 and errors, "refused beside a field"
        assert hashes == []


def test_registering_a_known_email_changes_nothing_and_logs_nobody_in(app, db, known, make_org):
    org = make_org("Acme Industries")
    before = (known.password_hash, known.name, known.organisation_id)
    status, _, _, _, browser = register(
        app, " KNOWN@Example.com ", {"password": GOOD, "confirm": GOOD, "invite": org.invite_token})
    assert status == 302
    assert browser.get("/account").status_code == 302, "nobody is logged in"
    db.session.expire_all()
    assert (known.password_hash, known.name, known.organisation_id) == before
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_new_account_logs_in_with_the_password_chosen(app, db):
    status, location, _, text, browser = register(app, UNKNOWN, {"password": GOOD,
                                                                  "confirm": GOOD})
    assert (status, location) == (302, "/login")
    assert browser.get("/account").status_code == 302, "registration alone logs nobody in"
    response = browser.post("/login", {"email": UNKNOWN, "password": GOOD})
    assert response.status_code == 302
    assert "Ada Lovelace" in browser.get("/account").get_data(as_text=True)


def test_registration_is_limited_per_client(app, db, known):
    app.config["REGISTER_LIMIT_PER_CLIENT"] = "3 per hour"
    codes = [register(app, f"probe{n}@example.com", {"password": "short", "confirm": "short"})[0]
             for n in range(4)]
    assert codes == [400, 400, 400, 429]
    other = register(app, "probe9@example.com", {"password": GOOD, "confirm": GOOD},
                     address="203.0.113.50")
    assert other[0] == 302, "another client has its own budget"


# --- 16 registrations of one email at the same moment ---------------------------------------

THREADS = 16


def test_simultaneous_registrations_of_one_email_make_one_account_and_no_error(
        threaded_app, db, monkeypatch):  # noqa: F811
    threaded_app.config["REGISTER_LIMIT_PER_CLIENT"] = "1000 per minute"
    looked_up = threading.Barrier(THREADS, timeout=PATIENCE)
    find_user_by_email = services.find_user_by_email

    def everyone_finds_it_free(session, email):
        user = find_user_by_email(session, email)
        looked_up.wait()  # every request has seen the email free before any inserts it
        return user

    monkeypatch.setattr(services, "find_user_by_email", everyone_finds_it_free)
    form = {"name": "Ada Lovelace", "email": UNKNOWN, "password": GOOD, "confirm": GOOD}
    responses = at_once(threaded_app, [
        lambda app: app.test_client().post("/register", data=form)] * THREADS)
    codes = [r.status_code for r in responses]
    assert codes == [302] * THREADS, "each one the answer of a registration"
    assert {r.location for r in responses} == {"/login"}
    db.session.remove()
    assert db.session.scalar(select(func.count(User.id)).where(User.email == UNKNOWN)) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.action == "user.create")) == 1
