"""Signing in through an organisation's OpenID Connect provider, and testing the connection."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString, lazy_gettext as _l, lazy_ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.models import Organisation, SignOnConnection, User
from app.sso import accounts, oidc, saml_metadata
from app.sso.claims import SignOnRefused
from app.sso.connections import decrypt_secret

NOT_CONFIGURED = _l("Sign-on for this organisation is not set up completely. Tell your IT "
                    "department or sign in with your password.")


@dataclass(frozen=True)
class ProviderAccess:
    """How we reach identity providers: from the settings."""

    secret_key: str
    allow_loopback_http: bool
    timeout: float

    @classmethod
    def from_config(cls, config) -> ProviderAccess:
        return cls(config["SECRET_KEY"], config["SSO_ALLOW_LOOPBACK_HTTP"],
                   config["SSO_HTTP_TIMEOUT_SECONDS"])


@dataclass(frozen=True)
class ConnectionTest:
    """The outcome of testing a connection, in a sentence for people."""

    ok: bool
    message: str | LazyString


def enabled_connection(session: Session, slug: str) -> tuple[Organisation, SignOnConnection] | None:
    """The organisation of `slug` and its connection when sign-on is enabled, else None."""
    row = session.execute(
        select(Organisation, SignOnConnection)
        .join(SignOnConnection, SignOnConnection.organisation_id == Organisation.id)
        .where(Organisation.slug == slug, SignOnConnection.enabled.is_(True))).first()
    return (row[0], row[1]) if row else None


def _metadata(connection: SignOnConnection, access: ProviderAccess) -> oidc.ProviderMetadata:
    if not (connection.oidc_issuer and connection.oidc_client_id):
        raise SignOnRefused("not-configured", NOT_CONFIGURED)
    try:
        return oidc.discover(connection.oidc_issuer, allow_loopback_http=access.allow_loopback_http,
                             timeout=access.timeout)
    except oidc.ProviderError as error:
        raise SignOnRefused("provider-unreachable", oidc.PROVIDER_DOWN) from error


def begin_oidc(connection: SignOnConnection, access: ProviderAccess,
               redirect_uri: str) -> tuple[str, oidc.Attempt]:
    """Where to send the browser, and the attempt to keep until the provider answers."""
    metadata = _metadata(connection, access)
    return oidc.authorization_request(metadata, connection.oidc_client_id, redirect_uri)


def complete_oidc(session: Session, organisation: Organisation, connection: SignOnConnection,
                  attempt: oidc.Attempt, code: str, *, answered_by: str | None,
                  redirect_uri: str, access: ProviderAccess, now: datetime) -> User:
    """The account of the person the provider's answer vouches for (or SignOnRefused).

    `answered_by` is the `iss` the answer names, if any (RFC 9207): it must be our provider.
    The code is exchanged with the PKCE verifier of this attempt; the ID token is checked
    against the provider's keys, issuer, our client id, its times and the attempt's nonce.
    """
    if not attempt.code_verifier:
        raise SignOnRefused("pkce-verifier-missing", oidc.BAD_ANSWER)
    if not code:
        raise SignOnRefused("code-missing", oidc.BAD_ANSWER)
    metadata = _metadata(connection, access)
    if answered_by is not None and answered_by != metadata.issuer:
        raise SignOnRefused("wrong-issuer", oidc.BAD_ANSWER)
    secret = decrypt_secret(access.secret_key, connection.oidc_client_secret)
    if secret is None:
        raise SignOnRefused("not-configured", NOT_CONFIGURED)
    id_token = oidc.exchange_code(metadata, client_id=connection.oidc_client_id,
                                  client_secret=secret, redirect_uri=redirect_uri, code=code,
                                  code_verifier=attempt.code_verifier, timeout=access.timeout)
    try:
        keys = oidc.fetch_keys(metadata, allow_loopback_http=access.allow_loopback_http,
                               timeout=access.timeout)
    except oidc.ProviderError as error:
        raise SignOnRefused("provider-keys-unusable", oidc.BAD_ANSWER) from error
    token_claims = oidc.validate_id_token(id_token, keys, issuer=metadata.issuer,
                                          client_id=connection.oidc_client_id,
                                          nonce=attempt.nonce, now=now)
    claims = oidc.claims_from_id_token(token_claims)
    return accounts.sign_in_from_claims(session, organisation, claims, now)


def test_connection(session: Session, actor: User, organisation: Organisation,
                    connection: SignOnConnection | None, access: ProviderAccess) -> ConnectionTest:
    """Read the provider's discovery document and keys with the stored settings (audited)."""
    result = _test(connection, access)
    record(session, actor, "sso.test", "organisation", organisation.id,
           f"Sign-on connection of {organisation.name} tested", ok=result.ok,
           outcome=str(result.message)[:300])
    return result


def _test(connection: SignOnConnection | None, access: ProviderAccess) -> ConnectionTest:
    if connection is not None and connection.protocol == "saml":
        return _test_saml(connection, access)
    if connection is None or not connection.oidc_issuer:
        return ConnectionTest(False, _l("Save the provider's settings first, then test."))
    try:
        metadata = oidc.discover(connection.oidc_issuer,
                                 allow_loopback_http=access.allow_loopback_http,
                                 timeout=access.timeout)
        keys = oidc.fetch_keys(metadata, allow_loopback_http=access.allow_loopback_http,
                               timeout=access.timeout)
    except oidc.ProviderError as error:
        return ConnectionTest(False, _l("The test failed: %(reason)s", reason=str(error.message)))
    if decrypt_secret(access.secret_key, connection.oidc_client_secret) is None:
        return ConnectionTest(False, _l("The provider answers, but no client secret is stored: "
                                        "enter it and save."))
    return ConnectionTest(True, lazy_ngettext(
        "The provider answers: its sign-in page is %(url)s and it publishes %(num)d signing key.",
        "The provider answers: its sign-in page is %(url)s and it publishes %(num)d signing keys.",
        len(keys.keys), url=metadata.authorization_endpoint))


def _test_saml(connection: SignOnConnection, access: ProviderAccess) -> ConnectionTest:
    try:
        xml = saml_metadata.fetch_idp_metadata(
            connection.saml_idp_metadata_url, timeout=access.timeout,
            allow_loopback_http=access.allow_loopback_http) \
            if connection.saml_idp_metadata_url else connection.saml_idp_metadata or ""
        provider = saml_metadata.read_idp(xml)
    except saml_metadata.SamlMetadataError as error:
        return ConnectionTest(False, _l("The test failed: %(reason)s", reason=str(error)))
    return ConnectionTest(True, lazy_ngettext(
        "The metadata is usable: identity provider %(entity)s, sign-in at %(url)s, %(num)d "
        "signing certificate.",
        "The metadata is usable: identity provider %(entity)s, sign-in at %(url)s, %(num)d "
        "signing certificates.",
        len(provider.signing_certificates), entity=provider.entity_id,
        url=provider.sso_redirect_url))
