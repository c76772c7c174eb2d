"""Every route that accepts POST refuses a request without a valid CSRF token, whoever sends it."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.models import Certificate

#: Routes that take POST without a CSRF token, each with the reason (the code lookup on /verify
#: needs none: it is a GET).
CSRF_EXEMPT: dict[str, str] = {
    "notifications.unsubscribe_now": "RFC 8058 one-click unsubscribe: the mail client posts "
                                     "without a form; the signed token in the URL is the proof",
    "sso.saml_acs": "SAML HTTP-POST binding: the identity provider's page posts cross-site; "
                    "the signed assertion, InResponseTo and the replay cache are the proof",
    **dict.fromkeys(("scim.root_search", "scim.resources", "scim.search"),
                    "SCIM: a bearer-token API that reads no cookie, so a forged form carries "
                    "no credential"),
}

CSRF_SENTENCE = "Your form expired or was not sent from this site"
#: A plausible form body, so a 400 cannot come from missing fields instead of the token.
FORM_BODY = {
    "email": "someone@example.com", "password": "Correct-Horse-42", "name": "Someone Else",
    "confirm": "Correct-Horse-42", "action": "revoke", "reason": "forged", "text": "# forged",
    "revision": "1", "title": "Forged", "slug": "forged", "module": "01-foundations",
    "path": "01-foundations", "step": "1", "roles": "admin",
}


def post_rules(app) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
                  key=lambda rule: rule.rule)


def url_for_rule(app, rule: Rule, world) -> str:
    """The rule's URL, filled with objects that exist, so the view would act if it ran."""
    values = {
        "slug": world.course.slug, "module_slug": "foundations", "lesson_slug": "origins",
        "quiz_key": "foundations", "attempt_id": world.open_attempt.id,
        "user_id": world.learner_b.id, "code": world.certificate_a.code,
        "path": "01-foundations/01-origins.md", "token": "not-a-real-token",
        "submission_id": 1, "org": "alpha-industries",
        "org_slug": "alpha-industries", "endpoint_id": 1, "delivery_id": 1,
        "token_id": 1, "resource_endpoint": "Users",
    }
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give the security suite a value for {missing}"
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments},
                         method="POST")


def test_the_suite_knows_every_post_route(app):
    assert len(post_rules(app)) >= 10
    assert not set(CSRF_EXEMPT) - {rule.endpoint for rule in post_rules(app)}, \
        "an exemption names a route that no longer exists"


@pytest.mark.parametrize("who", ["anonymous", "learner_a", "hr_a", "trainer", "admin"])
def test_every_post_route_rejects_a_missing_token(app, client, login_as, world, who):
    if who != "anonymous":
        login_as(getattr(world, who))
    refused = {}
    for rule in post_rules(app):
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = url_for_rule(app, rule, world)
        response = client.post(url, data=FORM_BODY)
        if response.status_code != 400 or CSRF_SENTENCE not in response.get_data(as_text=True):
            refused[url] = response.status_code
    assert not refused, f"accepted or answered otherwise without a CSRF token: {refused}"


def test_a_token_from_another_session_is_refused(app, world, login_as, client):
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    foreign_token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    login_as(world.admin)
    response = client.post(f"/admin/certificates/{world.certificate_a.code}/status",
                           data={"csrf_token": foreign_token, "action": "revoke",
                                 "reason": "forged from another session"})
    assert response.status_code == 400
    assert CSRF_SENTENCE in response.get_data(as_text=True)


def test_a_refused_post_changes_nothing(app, db, world, login_as, client):
    login_as(world.admin)
    client.post(f"/admin/certificates/{world.certificate_a.code}/status",
                data={"action": "revoke", "reason": "no token"})
    db.session.expire_all()
    assert db.session.get(Certificate, world.certificate_a.id).status == "active"
