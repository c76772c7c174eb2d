"""Security headers on every kind of response, cache rules for personal data, cookie flags."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.authoring import services as studio
from config import ProductionConfig, TestConfig

#: Responses that are the same for everybody and may sit in shared caches.
PUBLIC_ENDPOINTS = {"static", "courses.asset", "certificates.jwks",
                    "certificates.root_ca", "verify.openapi", "certificates.public_key",
                    "certificates.did_json", "certificates.achievement_image",
                    "certificates.status_list_credential"}
PAGE_POLICY = ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'self'",
               "form-action 'self'", "frame-ancestors 'none'")


def get_rules(app) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
                  key=lambda rule: rule.rule)


def sample_url(app, rule: Rule, world, method: str = "GET") -> str:
    """The rule's URL with arguments naming objects of the world."""
    values = {
        "slug": world.course.slug, "module_slug": "foundations", "lesson_slug": "origins",
        "quiz_key": "foundations", "attempt_id": world.attempt_a.id,
        "user_id": world.learner_a.id, "code": world.certificate_a.code,
        "filename": "css/app.css", "token": "not-a-real-token", "kid": "no-such-key",
        "purpose": "revocation", "file_id": 1, "submission_id": 1, "template": "classic",
        "org": "alpha-industries",
        "org_slug": "alpha-industries", "endpoint_id": 1, "delivery_id": 1,
        "token_id": 1, "resource_endpoint": "Users", "resource_id": "1", "learner_id": 1,
        "path": {"courses.asset": "okr-cycle.svg", "authoring.draft_asset": "okr-cycle.svg"}.get(
            rule.endpoint, "course.md"),
    }
    return app.url_map.bind("localhost").build(
        rule.endpoint, {name: values[name] for name in rule.arguments}, method=method)


def viewer(world, endpoint: str):
    """Who opens a page: HR pages by HR, the learner's own pages by the learner, else an admin."""
    if endpoint.startswith("hr."):
        return world.hr_a
    if endpoint in ("courses.lesson", "quizzes.attempt", "quizzes.result", "courses.dashboard",
                    "certificates.mine", "main.dashboard"):
        return world.learner_a
    return world.admin


def header_problems(response, endpoint: str) -> list[str]:
    headers, problems = response.headers, []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    policy = headers.get("Content-Security-Policy", "")
    if not policy:
        problems.append("no Content-Security-Policy")
    elif "unsafe-inline" in _directive(policy, "script-src") or "unsafe-eval" in policy:
        problems.append(f"the CSP lets inline script run: {policy}")
    if response.mimetype == "text/html":
        problems += [f"the page's CSP lacks {part!r}" for part in PAGE_POLICY if part not in policy]
    if endpoint not in PUBLIC_ENDPOINTS and "public" in headers.get("Cache-Control", ""):
        problems.append(f"personal response marked {headers['Cache-Control']!r}")
    return problems


def _directive(policy: str, name: str) -> str:
    return next((part for part in policy.split(";") if part.strip().startswith(name)), "")


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_get_route_sends_the_security_headers(app, db, client, login_as, world,
                                                    signed_in):
    studio.start_draft(db.session, world.trainer, world.course)  # the studio's draft pages
    db.session.commit()
    found = {}
    for rule in get_rules(app):
        if signed_in:
            login_as(viewer(world, rule.endpoint))
        url = sample_url(app, rule, world)
        response = client.get(url)
        problems = header_problems(response, rule.endpoint)
        if problems:
            found[f"{url} ({response.status_code})"] = problems
    assert not found, found


def test_error_responses_send_the_security_headers(app, client, browser, login_as, world):
    login_as(world.learner_a)
    responses = {
        "404 page": client.get("/no-such-page"),
        "404 API": client.get("/api/v1/no-such-thing"),
        "405": client.get(f"/courses/{world.course.slug}/enrol"),
        "400 CSRF": client.post("/logout"),
        "403": client.get("/admin/users"),
        "429": _too_many_logins(app, browser),
    }
    found = {name: header_problems(response, "")
             for name, response in responses.items() if header_problems(response, "")}
    assert not found, found
    assert {name: r.status_code for name, r in responses.items()} == {
        "404 page": 404, "404 API": 404, "405": 405, "400 CSRF": 400, "403": 403, "429": 429}


def _too_many_logins(app, browser):
    app.config["LOGIN_LIMIT_PER_CLIENT"] = "1 per minute"
    for _ in range(2):
        response = browser.post("/login", {"email": "nobody@example.com", "password": "x"},
                                token_from="/account")
    return response


# --- cookies ----------------------------------------------------------------------------------

def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def log_in(browser, user, remember: bool = False):
    form = {"email": user.email, "password": "Correct-Horse-42"}
    if remember:
        form["remember"] = "y"
    response = browser.post("/login", form)
    assert response.status_code == 302
    return set_cookies(response)


def test_session_and_remember_cookies_are_http_only_and_same_site(browser, world):
    cookies = log_in(browser, world.learner_a, remember=True)
    for name in ("session", "remember_token"):
        flags = cookies[name].lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags, flags


def test_behind_https_cookies_are_secure_and_hsts_is_sent(app, browser, client, world):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    cookies = log_in(browser, world.learner_a, remember=True)
    assert all("; secure" in cookie.lower() for cookie in cookies.values()), cookies
    hsts = client.get("/").headers.get("Strict-Transport-Security", "")
    assert "max-age=31536000" in hsts


def test_production_settings_mark_cookies_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert TestConfig.SESSION_COOKIE_HTTPONLY and TestConfig.REMEMBER_COOKIE_HTTPONLY
    assert TestConfig.SESSION_COOKIE_SAMESITE == "Lax" == TestConfig.REMEMBER_COOKIE_SAMESITE
