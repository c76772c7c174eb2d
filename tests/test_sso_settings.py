"""An organisation's sign-on settings: who may change them, what is refused, the client secret
kept encrypted and never shown again, and what the page tells the provider's administrator."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from app.models import AuditEvent, SignOnConnection, SignOnDomain
from app.sso.connections import (
    PUBLIC_MAIL_DOMAINS, SignOnSettingsError, decrypt_secret, encrypt_secret, parse_domains,
)
from tests.sso.support import enable_sign_on

SECRET = "the-client-secret-0123456789-ABCDEFGHIJ"
GOOD = {"protocol": "oidc", "oidc_issuer": "https://acme.okta.example",
        "oidc_client_id": "0oa-client", "oidc_client_secret": SECRET,
        "domains": "acme.example\n@Acme-Labs.example\n", "enabled": "y", "password_login": "y"}


@pytest.fixture
def acme(make_org):
    return make_org("Acme")


def connection(db, org) -> SignOnConnection | None:
    db.session.expire_all()
    return db.session.scalar(select(SignOnConnection).where(
        SignOnConnection.organisation_id == org.id))


def domains(db, org) -> list[str]:
    return sorted(db.session.scalars(select(SignOnDomain.domain).where(
        SignOnDomain.organisation_id == org.id)))


@pytest.mark.parametrize("who, status", [("admin", 200), ("own-hr", 200), ("other-hr", 403),
                                         ("learner", 403), ("trainer", 403)])
def test_who_may_open_the_settings(client, login_as, make_org, acme, who, status):
    org = {"own-hr": acme, "other-hr": make_org("Globex"), "learner": acme}.get(who)
    login_as("hr" if who.endswith("hr") else who, org=org)
    assert client.get("/sso/acme/settings").status_code == status
    assert client.get("/sso/nobody/settings").status_code in (403, 404)


def test_anonymous_people_go_to_the_login_page(client, acme):
    response = client.get("/sso/acme/settings")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_other_organisations_hr_cannot_change_or_test_them(browser, login_as, make_org, acme, db):
    login_as("hr", org=make_org("Globex"))
    assert browser.post("/sso/acme/settings", GOOD, token_from="/account").status_code == 403
    assert browser.post("/sso/acme/settings/test", {}, token_from="/account").status_code == 403
    assert connection(db, acme) is None


def test_hr_saves_their_own_settings_and_the_secret_is_never_shown(browser, login_as, acme, db):
    login_as("hr", org=acme)
    response = browser.post("/sso/acme/settings", GOOD)
    assert (response.status_code, response.location) == (303, "/sso/acme/settings")
    saved = connection(db, acme)
    assert (saved.protocol, saved.enabled, saved.password_login) == ("oidc", True, True)
    assert saved.oidc_issuer == "https://acme.okta.example" and saved.oidc_client_id == "0oa-client"
    assert SECRET not in saved.oidc_client_secret
    assert decrypt_secret(browser.application.secret_key, saved.oidc_client_secret) == SECRET
    assert domains(db, acme) == ["acme-labs.example", "acme.example"]
    page = browser.get("/sso/acme/settings").get_data(as_text=True)
    assert SECRET not in page and "A secret is stored" in page
    assert "http://localhost/sso/acme/oidc/callback" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.settings"))
    assert SECRET not in str(event.details) and event.details["secret_changed"] is True
    # blank keeps the stored secret
    stored = saved.oidc_client_secret
    browser.post("/sso/acme/settings",
                 {**GOOD, "oidc_client_secret": "", "domains": "acme.example"})
    assert connection(db, acme).oidc_client_secret == stored
    assert domains(db, acme) == ["acme.example"]


@pytest.mark.parametrize("change, field_message", [
    ({"domains": "gmail.com"}, "public mail service"),
    ({"domains": "acme.example\nweb.de"}, "public mail service"),
    ({"domains": "not a domain!"}, "is not an email domain"),
    ({"domains": "globex.example"}, "belongs to another organisation"),
    ({"oidc_issuer": "http://acme.okta.example"}, "must start with https://"),
    ({"oidc_issuer": "https://10.0.0.7"}, "must name a host on the internet"),
    ({"oidc_client_secret": "", "enabled": "y"}, "Enter the client secret."),
    ({"protocol": "saml", "enabled": "y"}, "metadata"),
    ({"protocol": "saml", "saml_idp_metadata": "<not-xml"}, "metadata"),
    ({"protocol": "saml", "saml_idp_metadata_url": "http://idp.example.org/md"}, "https://"),
    ({"enabled": "", "password_login": ""}, "can only be turned off while sign-on is enabled"),
])
def test_refused_settings_keep_nothing(browser, login_as, make_org, acme, db, change,
                                       field_message):
    enable_sign_on(db, make_org("Globex"), ["globex.example"])
    login_as("admin")
    response = browser.post("/sso/acme/settings", {**GOOD, **change})
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True).replace("&#39;", "'")
    assert connection(db, acme) is None and domains(db, acme) == []


def test_test_the_connection_reports_a_provider_it_cannot_reach(browser, login_as, acme, db):
    login_as("admin")
    browser.post("/sso/acme/settings", {**GOOD, "oidc_issuer": "https://idp.invalid"})
    response = browser.post("/sso/acme/settings/test", {}, token_from="/sso/acme/settings")
    assert (response.status_code, response.location) == (303, "/sso/acme/settings")
    page = browser.get("/sso/acme/settings").get_data(as_text=True)
    assert "The test failed" in page and "could not reach" in page
    assert db.session.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "sso.test"))["ok"] is False


def test_the_pages_link_to_the_settings(client, login_as, acme):
    login_as("hr", org=acme)
    assert 'href="/sso/acme/settings"' in client.get("/hr/organisation").get_data(as_text=True)
    login_as("admin")
    assert 'href="/sso/acme/settings"' in client.get("/admin/organisations").get_data(as_text=True)


@given(st.text(max_size=60))
@settings(max_examples=60, deadline=None)
def test_the_secret_survives_encryption_and_another_key_cannot_read_it(secret):
    token = encrypt_secret("one-secret-key", secret)
    assert decrypt_secret("one-secret-key", token) == secret
    assert decrypt_secret("another-secret-key", token) is None


@given(st.lists(st.sampled_from(["acme.example", "ACME.example", "@acme.example", "b.example",
                                 "c.example."]), max_size=6),
       st.sampled_from([" ", "\n", ", ", "\r\n"]))
@settings(max_examples=60, deadline=None)
def test_domains_are_normalised_and_kept_once(names, separator):
    parsed = parse_domains(separator.join(names))
    assert len(parsed) == len(set(parsed))
    assert set(parsed) == {name.lower().lstrip("@").rstrip(".") for name in names}


@pytest.mark.parametrize("domain", sorted(PUBLIC_MAIL_DOMAINS))
def test_no_public_mail_domain_can_be_owned(domain):
    with pytest.raises(SignOnSettingsError):
        parse_domains(f"acme.example\n{domain.upper()}")
