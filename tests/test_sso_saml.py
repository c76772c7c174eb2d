"""SAML 2.0 sign-on against a real identity provider: pysaml2's own IdP (saml2.server.Server)
in a process of its own on 127.0.0.1, driven through our start URL, the IdP and our ACS."""
from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from saml2.md import entity_descriptor_from_string
from sqlalchemy import func, select

from app.models import AuditEvent, SignOnConnection, SignOnDomain, User
from app.models.sign_on import SamlAssertionSeen
from app.sso.saml_keys import sp_key_pair
from app.sso.saml_metadata import SamlMetadataError, fetch_idp_metadata
from tests.sso.saml_support import (
    IdentityProviderProcess, authenticate_at_idp, sign_on, start_sign_on,
)

ACME = "acme-industries"


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    """The test identity provider, started once for the module and stopped by its process id."""
    process = IdentityProviderProcess(tmp_path_factory.mktemp("saml-idp")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def sp_keys(tmp_path_factory):
    """One SP key pair for the module (generating RSA keys in every test would cost seconds)."""
    return sp_key_pair(None, None, tmp_path_factory.mktemp("saml-sp-keys"), datetime.now(UTC))


@pytest.fixture
def acme(app, db, client, make_org, idp, sp_keys):
    """Acme Industries signs in with SAML through the test IdP; acme.test is its domain, and
    the IdP trusts our SP metadata."""
    app.config.update(SAML_SP_KEY_PATH=str(sp_keys[0]), SAML_SP_CERT_PATH=str(sp_keys[1]))
    org = make_org("Acme Industries")
    db.session.add_all([
        SignOnConnection(organisation_id=org.id, protocol="saml", enabled=True,
                         saml_idp_metadata=idp.metadata()),
        SignOnDomain(domain="acme.test", organisation_id=org.id)])
    db.session.commit()
    idp.trust(client.get(f"/sso/{org.slug}/saml/metadata").get_data(as_text=True))
    return org


def refusals(db) -> list[str]:
    return [event.details["reason"] for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sso.refused").order_by(AuditEvent.id))]


def account(db, email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_our_sp_metadata_is_served_at_its_entity_id_and_pysaml2_reads_it(client, acme):
    response = client.get(f"/sso/{ACME}/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    descriptor = entity_descriptor_from_string(response.get_data(as_text=True))
    assert descriptor.entity_id == f"http://localhost/sso/{ACME}/saml/metadata"
    sp = descriptor.spsso_descriptor[0]
    assert sp.want_assertions_signed == "true"
    assert [(acs.location, acs.binding) for acs in sp.assertion_consumer_service] == [
        (f"http://localhost/sso/{ACME}/saml/acs",
         "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")]
    assert [key.use for key in sp.key_descriptor] == ["encryption"]
    assert client.get("/sso/no-such-org/saml/metadata").status_code == 404


def test_a_new_person_gets_a_learner_account_in_the_organisation_and_is_logged_in(
        client, db, acme):
    response, _ = sign_on(client, ACME, "/courses", email="ada@acme.test", name="Ada Lovelace")
    assert response.status_code == 303
    assert response.headers["Location"] == "/courses"
    user = account(db, "ada@acme.test")
    assert (user.name, user.organisation_id, user.roles) == ("Ada Lovelace", acme.id,
                                                             {"learner"})
    assert user.email_verified
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"sso.account_created", "sso.signed_in"} <= actions
    assert client.get("/account").status_code == 200  # the login is real
    assert refusals(db) == []


def test_the_second_sign_on_uses_the_same_account(app, client, db, acme):
    sign_on(client, ACME, email="ada@acme.test")
    other_browser = app.test_client()
    response, _ = sign_on(other_browser, ACME, email="ada@acme.test", mode="signed-both")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(User.id))
                             .where(User.email == "ada@acme.test")) == 1
    assert db.session.scalar(select(func.count(SamlAssertionSeen.id))) == 2


def test_an_assertion_encrypted_to_our_certificate_is_read(client, db, acme):
    response, answer = sign_on(client, ACME, email="joan@acme.test", mode="encrypted")
    assert "EncryptedAssertion" in base64.b64decode(answer.fields["SAMLResponse"]).decode()
    assert response.status_code == 303
    assert account(db, "joan@acme.test").name == "Ada Lovelace"


def test_entra_style_claims_and_a_persistent_name_id(client, db, acme):
    response, _ = sign_on(client, ACME, email="grace@acme.test", name="Grace Hopper",
                          attributes="entra", nameid="persistent")
    assert response.status_code == 303
    assert account(db, "grace@acme.test").name == "Grace Hopper"


@pytest.mark.parametrize("mode, reason", [
    ("wrong-audience", "wrong-audience"),
    ("expired", "expired-assertion"),
    ("unsigned-assertion", "unsigned-assertion"),  # the response around it is signed
    ("unsigned", "unsigned-assertion"),
    ("tampered", "bad-signature"),
    ("wrong-recipient", "wrong-recipient"),
])
def test_a_refused_answer_makes_no_account_and_is_audited(client, db, acme, mode, reason):
    response, _ = sign_on(client, ACME, email="eve@acme.test", mode=mode)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "We could not sign you in" in page and reason in page
    assert account(db, "eve@acme.test") is None
    assert account(db, "eve.admin@acme.test") is None
    assert refusals(db) == [reason]
    assert client.get("/account").status_code == 302  # nobody logged in


def test_the_same_answer_posted_twice_is_refused_as_a_replay(client, db, acme):
    first, answer = sign_on(client, ACME, email="ada@acme.test")
    assert first.status_code == 303
    again = client.post(answer.acs_path, data=answer.fields)
    assert again.status_code == 403
    assert "was used already" in again.get_data(as_text=True)
    assert refusals(db) == ["replayed-assertion"]
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.refused"))
    assert entry.details["protocol"] == "saml" and entry.details["organisation"] == ACME
    assert entry.details["detail"].startswith("assertion id-")  # the technical reason


def test_an_answer_to_a_request_another_browser_started_is_refused(app, client, db, acme):
    started = start_sign_on(client, ACME)
    answer = authenticate_at_idp(started.headers["Location"], email="ada@acme.test")
    stranger = app.test_client()  # has no request cookie: InResponseTo is unknown to it
    response = stranger.post(answer.acs_path, data=answer.fields)
    assert response.status_code == 403
    assert refusals(db) == ["unknown-request"]
    assert account(db, "ada@acme.test") is None


def test_a_sign_in_started_at_the_idp_starts_one_of_ours_and_signs_nobody_in(client, db, idp,
                                                                            acme):
    answer = authenticate_at_idp(
        f"{idp.base_url}/idp-initiated?sp=http://localhost/sso/{ACME}/saml/metadata",
        acs=f"http://localhost/sso/{ACME}/saml/acs", email="ada@acme.test")
    response = client.post(answer.acs_path, data=answer.fields)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/sso/{ACME}/saml/start"
    assert account(db, "ada@acme.test") is None
    # a browser that started a sign-on gets no second chance: the answer is checked, refused
    start_sign_on(client, ACME)
    assert client.post(answer.acs_path, data=answer.fields).status_code == 403
    assert refusals(db) == ["unknown-request"]


def test_a_domain_of_another_organisation_is_refused(client, db, make_org, acme):
    globex = make_org("Globex")
    db.session.add(SignOnDomain(domain="globex.test", organisation_id=globex.id))
    db.session.commit()
    response, _ = sign_on(client, ACME, email="hank@globex.test")
    assert response.status_code == 403
    assert account(db, "hank@globex.test") is None
    assert refusals(db) == ["domain-other-organisation"]
    # the refusal kept no trace of the answer: the replay cache rolled back with it
    assert db.session.scalar(select(func.count(SamlAssertionSeen.id))) == 0


def test_start_and_acs_are_404_without_an_enabled_saml_connection(client, db, make_org, acme):
    plain = make_org("Plain Co")
    assert client.get(f"/sso/{plain.slug}/saml/start").status_code == 404
    assert client.post(f"/sso/{plain.slug}/saml/acs", data={"SAMLResponse": "x"}).status_code \
        == 404
    connection = db.session.scalar(select(SignOnConnection))
    connection.enabled = False
    db.session.commit()
    assert client.get(f"/sso/{ACME}/saml/start").status_code == 404


def test_garbage_posted_to_the_acs_is_a_clear_refusal(client, db, acme):
    response = client.post(f"/sso/{ACME}/saml/acs", data={"SAMLResponse": "bm90IHhtbA=="})
    assert response.status_code == 403
    assert refusals(db) == ["invalid-response"]


def test_metadata_from_the_idp_url_is_read_and_kept(client, db, idp, acme):
    connection = db.session.scalar(select(SignOnConnection))
    connection.saml_idp_metadata, connection.saml_idp_metadata_url = None, idp.metadata_url
    db.session.commit()
    started = start_sign_on(client, ACME)
    assert started.status_code == 302
    assert started.headers["Location"].startswith(f"{idp.base_url}/sso/redirect?SAMLRequest=")
    db.session.expire_all()
    assert "IDPSSODescriptor" in db.session.scalar(select(SignOnConnection)).saml_idp_metadata


def test_metadata_is_read_from_a_url_within_the_limits(idp):
    assert "IDPSSODescriptor" in fetch_idp_metadata(idp.metadata_url, timeout=5,
                                                    allow_loopback_http=True)
    for url, words in ((f"{idp.base_url}/huge-metadata", "larger than"),
                       (f"{idp.base_url}/nothing-here", "status 404"),
                       ("http://127.0.0.1:9/metadata", "could not be read")):
        with pytest.raises(SamlMetadataError) as refused:
            fetch_idp_metadata(url, timeout=5, allow_loopback_http=True)
        assert words in str(refused.value)
    with pytest.raises(SamlMetadataError):
        fetch_idp_metadata(idp.metadata_url, timeout=5, allow_loopback_http=False)


def test_an_unreadable_metadata_url_gives_a_clear_page_and_an_audit_entry(client, db, acme):
    connection = db.session.scalar(select(SignOnConnection))
    connection.saml_idp_metadata, connection.saml_idp_metadata_url = None, \
        "http://127.0.0.1:9/metadata"
    db.session.commit()
    response = start_sign_on(client, ACME)
    assert response.status_code == 403
    assert "not set up correctly" in response.get_data(as_text=True)
    assert refusals(db) == ["metadata-unusable"]


def test_the_request_cookie_reaches_the_acs_cross_site_and_nothing_else(client, acme):
    """The IdP's POST is cross-site: over https the cookie is SameSite=None and Secure (plain
    http, in development, sends no SameSite); it is only sent to the ACS, never to scripts."""
    for base_url, expected in (("https://localhost", "SameSite=None"), ("http://localhost", "")):
        started = start_sign_on(client, ACME) if base_url.startswith("http:") else \
            client.get(f"/sso/{ACME}/saml/start", base_url=base_url)
        cookie = next(value for value in started.headers.getlist("Set-Cookie")
                      if value.startswith("okr_saml_request="))
        assert f"Path=/sso/{ACME}/saml/acs" in cookie and "HttpOnly" in cookie
        assert ("Secure" in cookie) == bool(expected)
        assert ("SameSite" in cookie) == bool(expected) and expected in cookie
