"""An organisation's sign-on settings: its connection, its email domains, the client secret.

The client secret is kept encrypted (Fernet) with a key derived from the application's secret
key (HKDF-SHA256), so a copy of the database alone does not reveal it; it is never shown again.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import LazyString, lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.audit import record
from app.domain import DomainError
from app.models import Organisation, SignOnConnection, SignOnDomain, User
from app.models.sign_on import PROTOCOLS
from app.sso import oidc, saml_metadata

#: mail services anyone can sign up to: owning such a domain would send strangers to the
#: organisation's identity provider
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "freenet.de",
    "mail.com", "yandex.com", "yandex.ru", "mail.ru", "zoho.com", "orange.fr", "free.fr",
    "laposte.net", "wanadoo.fr", "libero.it", "qq.com", "163.com",
})
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DOMAINS = 50
#: what the HKDF derivation is for: a key derived for another purpose is a different key
_SECRET_KEY_INFO = b"okr-academy sign-on client secret v1"


class SignOnSettingsError(DomainError):
    """The settings were refused; `field` names the form field concerned."""

    status_code = 400

    def __init__(self, message: str | LazyString, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ConnectionSettings:
    """What the settings form sends; `oidc_client_secret` None keeps the stored secret."""

    protocol: str
    enabled: bool
    password_login: bool
    domains: tuple[str, ...]
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str | None = None
    saml_idp_metadata_url: str = ""
    saml_idp_metadata: str = ""


def _fernet(secret_key: str | bytes) -> Fernet:
    material = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=_SECRET_KEY_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret_key: str | bytes, secret: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt_secret(secret_key: str | bytes, token: str | None) -> str | None:
    """The client secret, or None when none is stored or the secret key changed since."""
    if not token:
        return None
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def parse_domains(text: str) -> tuple[str, ...]:
    """The domains of a text, one per line (commas and spaces also separate), lower case,
    without "@"; SignOnSettingsError names the first that is no domain or a public one."""
    seen: dict[str, None] = {}
    for raw in re.split(r"[\s,;]+", text or ""):
        domain = raw.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise SignOnSettingsError(_l("%(domain)s is not an email domain (write it like "
                                         "example.com).", domain=raw[:80]), "domains")
        if domain in PUBLIC_MAIL_DOMAINS:
            raise SignOnSettingsError(_l("%(domain)s is a public mail service that anyone can "
                                         "use, so it cannot belong to an organisation.",
                                         domain=domain), "domains")
        seen[domain] = None
    if len(seen) > MAX_DOMAINS:
        raise SignOnSettingsError(_l("At most %(count)d domains.", count=MAX_DOMAINS), "domains")
    return tuple(seen)


def connection_of(session: Session, organisation: Organisation) -> SignOnConnection | None:
    return session.scalar(select(SignOnConnection)
                          .where(SignOnConnection.organisation_id == organisation.id))


def domains_of(session: Session, organisation: Organisation) -> list[str]:
    return list(session.scalars(select(SignOnDomain.domain)
                                .where(SignOnDomain.organisation_id == organisation.id)
                                .order_by(SignOnDomain.domain)))


def save_connection(session: Session, actor: User, organisation: Organisation,
                    settings: ConnectionSettings, *, secret_key: str | bytes,
                    allow_loopback_http: bool, now: datetime) -> SignOnConnection:
    """Store the organisation's sign-on settings (audited, the secret never in the log).

    Refused with SignOnSettingsError: an unknown protocol, an enabled connection missing what
    its protocol needs, an issuer that is not https, a domain of another organisation, and
    password login turned off while sign-on is not enabled.
    """
    if settings.protocol not in PROTOCOLS:
        raise SignOnSettingsError(_l("Choose OpenID Connect or SAML 2.0."), "protocol")
    connection = connection_of(session, organisation) or SignOnConnection(
        organisation_id=organisation.id, created_at=now)
    before = _summary(connection, domains_of(session, organisation))
    _apply_oidc(connection, settings, secret_key, allow_loopback_http)
    _apply_saml(connection, settings, allow_loopback_http)
    if settings.enabled:
        _check_complete(connection, settings.protocol)
    if not settings.password_login and not settings.enabled:
        raise SignOnSettingsError(_l("Password login can only be turned off while sign-on is "
                                     "enabled: otherwise nobody could log in."), "password_login")
    _check_domains_free(session, organisation, settings.domains)
    connection.protocol, connection.enabled = settings.protocol, settings.enabled
    connection.password_login = settings.password_login
    connection.updated_at = now
    session.add(connection)
    _replace_domains(session, organisation, settings.domains, now)
    session.flush()
    after = _summary(connection, list(settings.domains))
    record(session, actor, "sso.settings", "organisation", organisation.id,
           f"Sign-on settings of {organisation.name} saved", before=before, after=after,
           secret_changed=bool(settings.oidc_client_secret))
    return connection


def _apply_oidc(connection: SignOnConnection, settings: ConnectionSettings,
                secret_key: str | bytes, allow_loopback_http: bool) -> None:
    issuer = settings.oidc_issuer.strip()
    if issuer:
        try:
            issuer = oidc.check_issuer(issuer, allow_loopback_http)
        except oidc.ProviderError as error:
            raise SignOnSettingsError(error.message, "oidc_issuer") from None
    connection.oidc_issuer = issuer or None
    connection.oidc_client_id = settings.oidc_client_id.strip() or None
    if settings.oidc_client_secret:
        connection.oidc_client_secret = encrypt_secret(secret_key, settings.oidc_client_secret)


def _apply_saml(connection: SignOnConnection, settings: ConnectionSettings,
                allow_loopback_http: bool) -> None:
    url, xml = settings.saml_idp_metadata_url.strip(), settings.saml_idp_metadata.strip()
    try:
        if url:
            saml_metadata.check_metadata_url(url, allow_loopback_http)
    except saml_metadata.SamlMetadataError as error:
        raise SignOnSettingsError(str(error), "saml_idp_metadata_url") from None
    try:
        if xml:
            saml_metadata.validate_metadata(xml)
    except saml_metadata.SamlMetadataError as error:
        raise SignOnSettingsError(str(error), "saml_idp_metadata") from None
    if xml or url != connection.saml_idp_metadata_url:
        connection.saml_idp_metadata = xml or None  # what was read from an old URL goes
    connection.saml_idp_metadata_url = url or None


def _check_complete(connection: SignOnConnection, protocol: str) -> None:
    if protocol == "oidc":
        for field, value, message in (
                ("oidc_issuer", connection.oidc_issuer, _l("Enter the issuer URL.")),
                ("oidc_client_id", connection.oidc_client_id, _l("Enter the client ID.")),
                ("oidc_client_secret", connection.oidc_client_secret,
                 _l("Enter the client secret."))):
            if not value:
                raise SignOnSettingsError(message, field)
    elif not (connection.saml_idp_metadata or connection.saml_idp_metadata_url):
        raise SignOnSettingsError(_l("Enter the identity provider's metadata URL or paste its "
                                     "metadata XML."), "saml_idp_metadata")


def _check_domains_free(session: Session, organisation: Organisation,
                        domains: tuple[str, ...]) -> None:
    if not domains:
        return
    taken = session.scalar(select(SignOnDomain.domain).where(
        SignOnDomain.domain.in_(domains), SignOnDomain.organisation_id != organisation.id)
        .order_by(SignOnDomain.domain).limit(1))
    if taken:
        raise SignOnSettingsError(_l("%(domain)s belongs to another organisation already.",
                                     domain=taken), "domains")


def _replace_domains(session: Session, organisation: Organisation, domains: tuple[str, ...],
                     now: datetime) -> None:
    kept = set(domains_of(session, organisation))
    session.execute(delete(SignOnDomain).where(SignOnDomain.organisation_id == organisation.id,
                                               SignOnDomain.domain.not_in(domains)))
    for domain in domains:
        if domain not in kept:
            session.add(SignOnDomain(domain=domain, organisation_id=organisation.id,
                                     created_at=now))


def _summary(connection: SignOnConnection, domains: list[str]) -> dict:
    return {"protocol": connection.protocol, "enabled": connection.enabled,
            "password_login": connection.password_login, "issuer": connection.oidc_issuer,
            "client_id": connection.oidc_client_id,
            "metadata_url": connection.saml_idp_metadata_url, "domains": sorted(domains)}
