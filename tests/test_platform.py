"""Roles, admin area, error pages, security headers."""
import pytest
from sqlalchemy import select

from app.models import AuditEvent, User


def test_home_page_serves(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "OKR Academy" in response.get_data(as_text=True)


def test_security_headers_and_csp(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/does-not-exist"])
def test_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert "cdn" not in html.lower()


def test_session_cookie_flags(browser, make_user):
    make_user(email="exec@example.com")
    response = browser.post("/login", {"email": "exec@example.com", "password": "Correct-Horse-42"})
    cookie = " ".join(response.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_url_is_a_product_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_api_paths_get_json_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_unexpected_error_is_a_500_page(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/users", "/admin/organisations", "/admin/audit"])
def test_admin_pages_need_admin(client, login_as, path):
    assert client.get(path).status_code == 302  # anonymous: to the login page
    login_as("trainer")
    assert client.get(path).status_code == 403


def test_role_required_lets_admin_everywhere(client, login_as, make_org):
    admin = login_as("admin", org=make_org("Acme"))
    assert client.get("/admin/users").status_code == 200
    assert client.get("/hr/organisation").status_code == 200
    assert admin.has_role("admin") and admin.has_role("learner")


def test_admin_user_search(client, login_as, make_user):
    login_as("admin")
    make_user(name="Grace Hopper", email="grace@example.com")
    make_user(name="Alan Turing", email="alan@example.com")
    html = client.get("/admin/users?q=grace").get_data(as_text=True)
    assert "Grace Hopper" in html and "Alan Turing" not in html


def test_admin_changes_roles_and_organisation_with_audit(browser, login_as, make_user, make_org,
                                                         db):
    admin = login_as("admin")
    org = make_org("Globex")
    user = make_user()
    response = browser.post(f"/admin/users/{user.id}", {"roles": ["hr", "trainer"],
                                                        "organisation": org.slug})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.roles == {"learner", "hr", "trainer"}
    assert user.organisation_id == org.id
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == admin.id)))
    assert {"user.roles", "user.organisation"} <= actions


def test_admin_rejects_unknown_role_and_organisation(browser, login_as, make_user, db):
    login_as("admin")
    user = make_user()
    response = browser.post(f"/admin/users/{user.id}", {"roles": ["emperor"], "organisation": ""})
    assert response.status_code == 400
    response = browser.post(f"/admin/users/{user.id}", {"organisation": "no-such-org"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.roles == {"learner"}


def test_admin_cannot_remove_own_admin_role(browser, login_as, db):
    admin = login_as("admin")
    response = browser.post(f"/admin/users/{admin.id}", {"roles": ["hr"], "organisation": ""})
    assert response.status_code == 400
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_admin_deactivates_and_reactivates(browser, login_as, make_user, db):
    login_as("admin")
    user = make_user()
    browser.post(f"/admin/users/{user.id}/active", token_from=f"/admin/users/{user.id}")
    db.session.refresh(user)
    assert not user.is_active_account
    browser.post(f"/admin/users/{user.id}/active", token_from=f"/admin/users/{user.id}")
    db.session.refresh(user)
    assert user.is_active_account


def test_admin_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


def test_admin_creates_organisation(browser, login_as):
    login_as("admin")
    response = browser.post("/admin/organisations", {"name": "Initech"})
    assert response.status_code == 302
    html = browser.get("/admin/organisations").get_data(as_text=True)
    assert "Initech" in html and "register?invite=" in html
    again = browser.post("/admin/organisations", {"name": "Initech"})
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)


def test_hr_sees_and_renews_invite(browser, login_as, make_org, db):
    org = make_org("Umbrella")
    login_as("hr", org=org)
    token = org.invite_token
    assert token in browser.get("/hr/organisation").get_data(as_text=True)
    browser.post("/hr/organisation/invite", token_from="/hr/organisation")
    db.session.refresh(org)
    assert org.invite_token != token


def test_hr_without_organisation_gets_a_clear_404(client, login_as):
    login_as("hr")
    response = client.get("/hr/organisation")
    assert response.status_code == 404
    assert "does not belong to an organisation" in response.get_data(as_text=True)


def test_learner_cannot_open_hr_pages(client, login_as):
    login_as("learner")
    assert client.get("/hr/organisation").status_code == 403


def test_deactivated_user_session_is_logged_out(client, login_as, db):
    user = login_as("learner")
    user.is_active_account = False
    db.session.commit()
    assert client.get("/account").status_code == 302
