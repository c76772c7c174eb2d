import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, User, UserRole
from tests.conftest import DEFAULT_PASSWORD

GOOD = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "Analytical-Engine-1843",
        "confirm": "Analytical-Engine-1843"}


def user_count(db):
    return db.session.scalar(select(func.count(User.id)))


def test_register_hashes_password_then_the_account_logs_in(browser, db):
    response = browser.post("/register", GOOD)
    assert (response.status_code, response.location) == (302, "/login")
    assert "your account is ready" in browser.get("/login").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user.name == "Ada Lovelace"
    assert user.password_hash.startswith("$argon2id$")
    assert "Analytical" not in user.password_hash
    assert browser.get("/account").status_code == 302, "registering logs nobody in"
    browser.post("/login", {"email": "ada@example.com", "password": GOOD["password"]})
    assert "Ada Lovelace" in browser.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("change, field_message", [
    ({"password": "short1A!", "confirm": "short1A!"}, "at least 10 characters"),
    ({"password": "alllowercaseletters", "confirm": "alllowercaseletters"}, "three of"),
    ({"password": "Password123", "confirm": "Password123"}, "too easy"),
    ({"confirm": "Different-Password-1"}, "The two passwords differ"),
    ({"email": "not-an-email"}, "Invalid email"),
    ({"name": "A" * 121}, "between 2 and 120"),
    ({"name": ""}, "This field is required"),
])
def test_register_rejects_bad_input_beside_the_field(browser, db, change, field_message):
    response = browser.post("/register", {**GOOD, **change})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_message in html
    assert 'class="field-error"' in html
    assert user_count(db) == 0


def test_register_duplicate_email_answers_like_a_registration(browser, db, make_user):
    make_user(email="ada@example.com")
    response = browser.post("/register", {**GOOD, "email": "ADA@example.com "})
    assert (response.status_code, response.location) == (302, "/login")
    assert "already exists" not in browser.get("/login").get_data(as_text=True)
    assert user_count(db) == 1


def test_register_through_invite_joins_organisation(browser, db, make_org):
    org = make_org("Acme Industries")
    page = browser.get(f"/register?invite={org.invite_token}").get_data(as_text=True)
    assert "Acme Industries" in page
    browser.post(f"/register?invite={org.invite_token}", {**GOOD, "invite": org.invite_token})
    user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user.organisation.slug == "acme-industries"


def test_register_with_unknown_invite_still_works_without_organisation(browser, db):
    page = browser.get("/register?invite=forged").get_data(as_text=True)
    assert "not valid any more" in page
    browser.post("/register", {**GOOD, "invite": "forged"})
    assert db.session.scalar(select(User)).organisation is None


def test_login_and_logout(browser, make_user):
    make_user(email="exec@example.com")
    response = browser.post("/login", {"email": "exec@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert browser.get("/account").status_code == 200
    browser.post("/logout", token_from="/account")
    assert browser.get("/account").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("exec@example.com", "Wrong-Password-9"),
    ("nobody@example.com", DEFAULT_PASSWORD),
])
def test_login_failure_says_nothing_about_which_part(browser, make_user, email, password):
    make_user(email="exec@example.com")
    response = browser.post("/login", {"email": email, "password": password})
    assert response.status_code == 401
    assert "The email or password is not correct." in response.get_data(as_text=True)


def test_deactivated_account_cannot_log_in(browser, make_user):
    make_user(email="gone@example.com", active=False)
    response = browser.post("/login", {"email": "gone@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_login_redirect_only_to_local_paths(browser, make_user):
    make_user(email="exec@example.com")
    creds = {"email": "exec@example.com", "password": DEFAULT_PASSWORD}
    response = browser.post("/login?next=https://evil.example/", creds, token_from="/login")
    assert response.headers["Location"] == "/dashboard"
    browser.post("/logout", token_from="/account")
    response = browser.post("/login?next=/account", creds, token_from="/login")
    assert response.headers["Location"] == "/account"


def test_login_rate_limited_per_account_and_client(browser, make_user, app):
    make_user(email="exec@example.com")
    statuses = [browser.post("/login", {"email": "exec@example.com", "password": "Nope-nope-1"},
                             ).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # From this client the right password is refused as well until the window passes...
    response = browser.post("/login", {"email": "exec@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert "Too many failed logins for this account from here" in response.get_data(as_text=True)
    # ...and accepted from another one.
    response = browser.post("/login", {"email": "exec@example.com", "password": DEFAULT_PASSWORD},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302


def test_login_rate_limited_per_client(browser, app):
    app.config["LOGIN_LIMIT_PER_CLIENT"] = "3 per minute"
    codes = [browser.post("/login", {"email": f"u{i}@example.com", "password": "x"}).status_code
             for i in range(4)]
    assert codes[-1] == 429


def test_post_without_csrf_token_is_rejected(client, make_user, db):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert user_count(db) == 0
    make_user(email="exec@example.com")
    response = client.post("/login", data={"email": "exec@example.com",
                                           "password": DEFAULT_PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400


def test_profile_changes_certificate_name_and_is_audited(browser, login_as, db):
    user = login_as("learner")
    response = browser.post("/account", {"profile-name": "  Grace   Hopper ",
                                         "profile-submit": "1"},)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.name == "Grace Hopper"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.profile"))


def test_change_password(browser, login_as, db, app):
    user = login_as("learner")
    bad = browser.post("/account", {"password-current_password": "wrong",
                                    "password-new_password": "Brand-New-Pass-77",
                                    "password-confirm": "Brand-New-Pass-77",
                                    "password-submit": "1"})
    assert bad.status_code == 400
    assert "current password is not correct" in bad.get_data(as_text=True)
    ok = browser.post("/account", {"password-current_password": DEFAULT_PASSWORD,
                                   "password-new_password": "Brand-New-Pass-77",
                                   "password-confirm": "Brand-New-Pass-77",
                                   "password-submit": "1"})
    assert ok.status_code == 302
    from app.auth.services import PasswordPolicy, authenticate
    from datetime import datetime, timezone
    assert authenticate(db.session, user.email, "Brand-New-Pass-77",
                        PasswordPolicy.from_config(app.config), datetime.now(timezone.utc))


def test_account_requires_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


# --- role homes and `next` --------------------------------------------------------------------

def log_in_by_form(browser, user, path="/login"):
    return browser.post(path, {"email": user.email, "password": DEFAULT_PASSWORD},
                        token_from="/login")


@pytest.mark.parametrize("role, in_org, home", [
    ("learner", False, "/dashboard"),
    ("trainer", False, "/studio/"),
    ("hr", True, "/hr/"),
    ("hr", False, "/dashboard"),  # no organisation yet: no people to follow
    ("admin", False, "/admin/"),
])
def test_login_lands_on_the_home_of_the_role(browser, make_user, make_org, role, in_org, home):
    user = make_user(role, org=make_org() if in_org else None)
    response = log_in_by_form(browser, user)
    assert (response.status_code, response.location) == (302, home)
    assert browser.get("/login").location == home, "a logged-in visit to /login goes home too"
    assert browser.get("/register").location == home


def test_several_roles_land_on_the_first_of_admin_hr_trainer(browser, db, make_user, make_org):
    user = make_user("trainer", org=make_org())
    user.role_grants.append(UserRole(role="hr"))
    db.session.commit()
    assert log_in_by_form(browser, user).location == "/hr/"
    browser.post("/logout", token_from="/account")
    user.role_grants.append(UserRole(role="admin"))
    db.session.commit()
    assert log_in_by_form(browser, user).location == "/admin/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "account"])
def test_an_unsafe_next_gives_way_to_the_role_home(browser, make_user, target):
    admin = make_user("admin")
    response = log_in_by_form(browser, admin, f"/login?{urlencode({'next': target})}")
    assert response.location == "/admin/"


def test_a_local_next_wins_over_the_role_home(browser, make_user):
    admin = make_user("admin")
    response = log_in_by_form(browser, admin, "/login?next=/certificates%3Fpage%3D2")
    assert response.location == "/certificates?page=2"
    assert browser.get("/login?next=/account").location == "/account"


@pytest.mark.parametrize("role", ["learner", "trainer", "hr", "admin"])
def test_the_learner_dashboard_is_in_every_role_navigation(client, login_as, make_org, role):
    login_as(role, org=make_org() if role == "hr" else None)
    html = client.get("/courses").get_data(as_text=True)
    nav = html[html.index('aria-label="Main"'):html.index("</nav>")]
    assert '<a href="/dashboard">My learning</a>' in nav


# --- registration: rules up front, every broken rule at once, fields kept ---------------------

def test_the_register_page_lists_the_policy_rules_before_anything_is_typed(client, app):
    app.config["PASSWORD_MIN_LENGTH"] = 14
    html = client.get("/register").get_data(as_text=True)
    start = html.index('class="password-rules"')
    rules = html[start:html.index("</ul>", start)]
    assert re.findall(r'data-rule="(\w+)"', rules) == ["length", "mix", "guessable", "email", "name"]
    assert "At least 14 characters" in rules and 'data-min="14"' in rules
    assert "is-unmet" not in rules
    assert "js/access-password." in html


def test_a_refused_registration_keeps_name_and_email_but_not_the_passwords(browser, db):
    response = browser.post("/register", {**GOOD, "password": "lovelace1",
                                          "confirm": "something-else"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="Ada Lovelace"' in html and 'value="ada@example.com"' in html
    assert "lovelace1" not in html and "something-else" not in html
    # every broken rule at once, although the repeated password differs as well
    for problem in ("Use at least 10 characters.", "Mix at least three of",
                    "Do not use your name in the password.", "The two passwords differ."):
        assert problem in html
    assert html.count('class="is-unmet"') == 3
    assert user_count(db) == 0


def test_registering_from_a_course_page_returns_to_it_after_login(browser, make_user):
    response = browser.post("/register?next=/courses/okr-essentials", GOOD)
    assert response.location == "/login?next=/courses/okr-essentials"
    page = browser.get("/login?next=/courses/okr-essentials").get_data(as_text=True)
    assert 'href="/register?next=/courses/okr-essentials"' in page
    response = log_in_by_form(browser, make_user(email="exec@example.com"),
                              "/login?next=/courses/okr-essentials")
    assert response.location == "/courses/okr-essentials"


def test_registering_with_an_unsafe_next_forgets_it(browser):
    response = browser.post("/register?next=//evil.example/", GOOD)
    assert response.location == "/login"


# --- phones: admin tables become cards -----------------------------------------------------

def test_admin_tables_label_every_cell_for_the_phone_cards(client, login_as, make_user):
    login_as("admin")
    make_user("hr")
    for path in ("/admin/users", "/admin/audit"):
        html = client.get(path).get_data(as_text=True)
        assert '<table class="table cards-on-phone' in html
        cells = re.findall(r"<td\b[^>]*>", html)
        assert cells and all("data-label=" in cell for cell in cells), path
