"""Sign-on with OpenID Connect against a real provider (node-oidc-provider, OpenID Certified)
on loopback: the whole flow through our start page, the provider's login and consent pages and
our callback; every way it must fail fails with a clear page, no account and an audit entry."""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, LoginSession, User
from app.sso import oidc
from app.sso.claims import SignOnRefused
from app.sso.connections import ConnectionSettings, save_connection
from app.sso.routes import ATTEMPTS
from tests.conftest import CsrfClient
from tests.sso.provider import OidcProvider

CLIENT_ID = "okr-academy"
CLIENT_SECRET = "a-client-secret-only-the-tests-know-0123456789"
BACK_TO = "http://localhost/sso/"
ACCOUNTS = {
    "ada": {"email": "ada@acme.example", "email_verified": True, "name": "Ada Lovelace"},
    "ben": {"email": "ben@acme.example", "email_verified": False, "name": "Ben Unverified"},
    "olga": {"email": "olga@globex.example", "email_verified": True, "name": "Olga Other"},
    "cara": {"email": "Cara@Acme.Example", "email_verified": True},
    "stranger": {"email": "stranger@nowhere.example", "email_verified": True, "name": "S"},
}


@pytest.fixture(scope="module")
def provider():
    clients = [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
         "redirect_uris": [f"{BACK_TO}{slug}/oidc/callback" for slug in ("acme", "globex")]},
        {"client_id": "other-app", "client_secret": "another-secret-0123456789-abcdefghij",
         "redirect_uris": ["http://localhost/other/callback"]},
    ]
    running = OidcProvider.start(clients, ACCOUNTS)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def honest_provider(provider):
    provider.misbehave("pass")
    yield
    provider.misbehave("pass")


def connect(app, db, org, provider, domains, *, password_login=True, admin=None):
    save_connection(db.session, admin, org, ConnectionSettings(
        protocol="oidc", enabled=True, password_login=password_login, domains=tuple(domains),
        oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET),
        secret_key=app.secret_key, allow_loopback_http=True, now=datetime.now(UTC))
    db.session.commit()


@pytest.fixture
def acme(app, db, make_org, provider):
    org = make_org("Acme")
    connect(app, db, org, provider, ["acme.example"])
    globex = make_org("Globex")
    connect(app, db, globex, provider, ["globex.example"])
    return org


def start(client, slug="acme", next_path=None):
    """Our start page: the provider's authorization URL it redirects to."""
    response = client.get(f"/sso/{slug}/start", query_string={"next": next_path} if next_path
                          else None)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.location


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sign_on(client, provider, account, slug="acme", next_path=None):
    """The whole flow; our callback's response."""
    back = provider.sign_in(start(client, slug, next_path), account, BACK_TO)
    return client.get(callback_path(back))


def log_out(client) -> None:
    assert CsrfClient(client).post("/logout", token_from="/account").status_code == 302


def accounts(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def refusals(db) -> list[dict]:
    return [event.details for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sso.refused").order_by(AuditEvent.id))]


def test_the_authorization_request_uses_pkce_state_and_nonce(client, acme, provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://localhost/sso/acme/oidc/callback"]


def test_a_new_person_gets_a_learner_account_and_is_logged_in(client, db, acme, provider):
    response = sign_on(client, provider, "ada", next_path="/courses")
    assert (response.status_code, response.location) == (302, "/courses")
    user = db.session.scalar(select(User).where(User.email == "ada@acme.example"))
    assert (user.name, user.organisation_id, user.roles) == ("Ada Lovelace", acme.id, {"learner"})
    assert user.email_verified and user.password_hash.startswith("!sso:")
    assert client.get("/account").status_code == 200
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"sso.account_created", "sso.signed_in"} <= actions
    # the name stays the learner's to edit; signing in again keeps the account and the edit
    user.name = "Ada King"
    db.session.commit()
    log_out(client)
    sign_on(client, provider, "ada")
    assert accounts(db) == 1 and db.session.get(User, user.id).name == "Ada King"


def test_an_existing_account_of_the_organisation_signs_in(client, db, acme, provider, make_user):
    existing = make_user(email="cara@acme.example", org=acme)
    response = sign_on(client, provider, "cara")
    assert (response.status_code, response.location) == (302, "/dashboard")
    assert accounts(db) == 1
    assert db.session.scalar(select(LoginSession.user_id)) == existing.id


def test_without_a_name_the_address_names_the_account(client, db, acme, provider):
    sign_on(client, provider, "cara")
    assert db.session.scalar(select(User.name).where(User.email == "cara@acme.example")) == "cara"


def refused(response, db, reason, status=403):
    """The refusal page, no account, no login, and the audit entry with `reason`."""
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:500]
    assert "We could not sign you in" in page and "no account was created" in page
    assert accounts(db) == 0
    assert db.session.scalar(select(func.count(LoginSession.id))) == 0
    assert refusals(db)[-1]["reason"] == reason
    return page


@pytest.mark.parametrize("mode, reason", [
    ("other-audience", "wrong-audience"),
    ("tamper", "id-token-signature"),
    ("expired", "id-token-expired"),
])
def test_an_id_token_we_cannot_trust_is_refused(client, db, acme, provider, mode, reason):
    provider.misbehave(mode)
    refused(sign_on(client, provider, "ada"), db, reason)


def test_an_unverified_email_is_refused(client, db, acme, provider):
    page = refused(sign_on(client, provider, "ben"), db, "email-unverified")
    assert "has not confirmed your email address" in page


def test_a_domain_of_another_organisation_is_refused(client, db, acme, provider):
    refused(sign_on(client, provider, "olga"), db, "domain-other-organisation")
    assert refusals(db)[-1]["organisation"] == "acme"


def test_a_domain_of_no_organisation_is_refused(client, db, acme, provider):
    refused(sign_on(client, provider, "stranger"), db, "domain-unknown")


def test_an_account_of_another_organisation_is_refused(client, db, acme, provider, make_user,
                                                       make_org):
    make_user(email="ada@acme.example", org=make_org("Initech"))
    response = sign_on(client, provider, "ada")
    assert response.status_code == 403 and refusals(db)[-1]["reason"] == \
        "account-other-organisation"
    assert db.session.scalar(select(func.count(LoginSession.id))) == 0


def test_a_replayed_or_unknown_state_is_refused(client, db, acme, provider):
    back = provider.sign_in(start(client), "ada", BACK_TO)
    assert client.get(callback_path(back)).status_code == 302
    log_out(client)
    db.session.execute(User.__table__.delete())
    db.session.commit()
    refused(client.get(callback_path(back)), db, "state-unknown", status=400)
    query = parse_qs(urlsplit(back).query)
    refused(client.get("/sso/acme/oidc/callback", query_string={
        "code": query["code"][0], "state": "made-up"}), db, "state-unknown", status=400)


def test_an_answer_for_another_organisation_state_is_refused(client, db, acme, provider):
    back = provider.sign_in(start(client, "acme"), "ada", BACK_TO)
    other = callback_path(back).replace("/sso/acme/", "/sso/globex/")
    refused(client.get(other), db, "state-unknown", status=400)


def test_an_answer_naming_another_issuer_is_refused(client, db, acme, provider):
    back = provider.sign_in(start(client), "ada", BACK_TO)
    forged = callback_path(back).replace("iss=http", "iss=https")
    refused(client.get(forged), db, "wrong-issuer")


def test_a_missing_pkce_verifier_is_refused(client, db, acme, provider):
    back = provider.sign_in(start(client), "ada", BACK_TO)
    with client.session_transaction() as session:
        session[ATTEMPTS] = {state: {**attempt, "code_verifier": ""}
                             for state, attempt in session[ATTEMPTS].items()}
    refused(client.get(callback_path(back)), db, "pkce-verifier-missing")


def test_the_provider_itself_refuses_a_code_without_its_verifier(client, acme, provider, app):
    back = provider.sign_in(start(client), "ada", BACK_TO)
    metadata = oidc.discover(provider.issuer, allow_loopback_http=True, timeout=5)
    code = parse_qs(urlsplit(back).query)["code"][0]
    with pytest.raises(SignOnRefused) as refusal:
        oidc.exchange_code(metadata, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           redirect_uri=f"{BACK_TO}acme/oidc/callback", code=code,
                           code_verifier=None, timeout=5)
    assert refusal.value.reason == "code-exchange-refused"


def test_the_provider_saying_no_is_refused(client, db, acme, provider):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    refused(client.get("/sso/acme/oidc/callback", query_string={
        "error": "access_denied", "state": state}), db, "provider-error")


def test_a_sign_on_that_is_not_enabled_is_not_found(client, acme, db, provider, app):
    acme_connection = acme  # the organisation; turn its sign-on off
    save_connection(db.session, None, acme_connection, ConnectionSettings(
        protocol="oidc", enabled=False, password_login=True, domains=("acme.example",),
        oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID), secret_key=app.secret_key,
        allow_loopback_http=True, now=datetime.now(UTC))
    db.session.commit()
    assert client.get("/sso/acme/start").status_code == 404
    assert client.get("/sso/nobody/start").status_code == 404


def test_a_provider_that_cannot_be_reached_is_a_clear_refusal(client, db, acme, provider, app):
    from app.models import SignOnConnection
    connection = db.session.scalar(select(SignOnConnection).where(
        SignOnConnection.organisation_id == acme.id))
    connection.oidc_issuer = "http://127.0.0.1:9"  # nothing listens on the discard port
    db.session.commit()
    page = refused(client.get("/sso/acme/start"), db, "provider-unreachable")
    assert "could not reach your organisation" in page


# --- the ID token's checks, with the provider's real token and keys -------------------------

@pytest.fixture
def real_token(client, acme, provider):
    """A real ID token from the provider for our client, its nonce and the provider's keys."""
    authorization = start(client)
    nonce = parse_qs(urlsplit(authorization).query)["nonce"][0]
    back = provider.sign_in(authorization, "ada", BACK_TO)
    with client.session_transaction() as session:
        verifier = next(iter(session[ATTEMPTS].values()))["code_verifier"]
    metadata = oidc.discover(provider.issuer, allow_loopback_http=True, timeout=5)
    token = oidc.exchange_code(
        metadata, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        redirect_uri=f"{BACK_TO}acme/oidc/callback",
        code=parse_qs(urlsplit(back).query)["code"][0], code_verifier=verifier, timeout=5)
    keys = oidc.fetch_keys(metadata, allow_loopback_http=True, timeout=5)
    return token, nonce, keys, metadata


def test_the_real_token_passes_and_each_check_bites(real_token):
    token, nonce, keys, metadata = real_token
    now = datetime.now(UTC)
    check = dict(issuer=metadata.issuer, client_id=CLIENT_ID, nonce=nonce, now=now)
    claims = oidc.validate_id_token(token, keys, **check)
    assert claims["email"] == "ada@acme.example" and claims["email_verified"] is True
    for change, reason in ((dict(client_id="other-app"), "wrong-audience"),
                           (dict(issuer=metadata.issuer + "/"), "wrong-issuer"),
                           (dict(nonce="another-nonce"), "nonce-mismatch"),
                           (dict(now=now.replace(year=now.year + 1)), "id-token-expired")):
        with pytest.raises(SignOnRefused) as refusal:
            oidc.validate_id_token(token, keys, **{**check, **change})
        assert refusal.value.reason == reason
    header, payload, signature = token.split(".")
    for position in (0, len(payload) // 2, len(payload) - 2):
        byte = "A" if payload[position] != "A" else "B"
        tampered = f"{header}.{payload[:position]}{byte}{payload[position + 1:]}.{signature}"
        with pytest.raises(SignOnRefused) as refusal:
            oidc.validate_id_token(tampered, keys, **check)
        assert refusal.value.reason in ("id-token-signature", "id-token-malformed")
    unsigned = f"{header}.{payload}."
    with pytest.raises(SignOnRefused):
        oidc.validate_id_token(unsigned, keys, **check)


def test_testing_the_connection_reads_the_provider(browser, login_as, acme, provider, db):
    login_as("admin")
    response = browser.post("/sso/acme/settings/test", {}, token_from="/sso/acme/settings")
    assert response.status_code == 303
    page = browser.get("/sso/acme/settings").get_data(as_text=True)
    assert "The provider answers" in page and f"{provider.issuer}/auth" in page
    assert db.session.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "sso.test"))["ok"] is True
