"""OpenID Connect: discovery, the authorization request, the code exchange and the ID token.

The flow is the authorization code flow with PKCE (S256), a state and a nonce per attempt. The
ID token is checked against the provider's published keys (signature), then its issuer,
audience (our client id), expiry, issue time and nonce; only then does it become `Claims`.
Every failure raises `SignOnRefused` with a reason for the audit log and a sentence for people.
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask_babel import LazyString, lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.sso.claims import Claims, SignOnRefused

DISCOVERY_PATH = "/.well-known/openid-configuration"
SCOPE = "openid email profile"
#: how we prove who we are at the token endpoint (HTTP Basic with the client id and secret)
CLIENT_AUTHENTICATION = "client_secret_basic"  # nosec B105: a method's name, not a secret
#: the signature algorithms we accept for ID tokens (never "none", never a shared-secret HMAC)
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                       "ES512", "EdDSA")
#: seconds of clock difference tolerated between us and the provider
LEEWAY_SECONDS = 120
#: the largest discovery document or key set we read
MAX_DOCUMENT_BYTES = 512 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

PROVIDER_DOWN = _l("We could not reach your organisation's identity provider. Please try again "
                   "in a few minutes; if it keeps failing, tell your IT department.")
BAD_ANSWER = _l("Your organisation's identity provider sent an answer we cannot trust, so "
                "nobody was signed in. Please try again; if it keeps failing, tell your IT "
                "department.")


class ProviderError(Exception):
    """The provider's settings or documents are unusable; `message` says why, for people."""

    def __init__(self, message: str | LazyString, detail: str = "") -> None:
        super().__init__(detail or str(message))
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class ProviderMetadata:
    """What the provider's discovery document says (the parts we use)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Attempt:
    """One sign-on attempt, kept in the browser's session until the provider answers."""

    state: str
    nonce: str
    code_verifier: str
    started_at: int


def check_issuer(issuer: str, allow_loopback_http: bool) -> str:
    """The issuer URL as given, if we may call it (https, or loopback http when allowed)."""
    _check_url(issuer, allow_loopback_http)
    parts = urlsplit(issuer)
    if parts.query or parts.fragment:
        raise ProviderError(_l("The issuer URL cannot have a query or a fragment."))
    return issuer


def _check_url(url: str, allow_loopback_http: bool) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise ProviderError(_l("Enter the provider's full URL, starting with https://."), url)
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme == "http" and not (loopback and allow_loopback_http):
        raise ProviderError(_l("The provider's URL must start with https://."), url)
    if loopback and not allow_loopback_http:
        raise ProviderError(_l("The provider's URL must name a host on the internet."), url)
    if not loopback and _is_internal(host):
        raise ProviderError(_l("The provider's URL must name a host on the internet."), url)


def _is_internal(host: str) -> bool:
    """True when the host is, or resolves to, a private, loopback or link-local address."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        return False  # fetching it will fail and say so
    return any(_internal_address(address) for address in addresses)


def _internal_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved \
        or ip.is_multicast or ip.is_unspecified


def _fetch_json(url: str, timeout: float) -> dict:
    try:
        with requests.get(url, timeout=timeout, stream=True, allow_redirects=False,
                          headers={"Accept": "application/json"}) as response:
            response.raise_for_status()
            body = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ProviderError(PROVIDER_DOWN, f"{url}: {error}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderError(BAD_ANSWER, f"{url}: more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise ProviderError(BAD_ANSWER, f"{url}: not JSON") from None
    if not isinstance(document, dict):
        raise ProviderError(BAD_ANSWER, f"{url}: not a JSON object")
    return document


def discover(issuer: str, *, allow_loopback_http: bool, timeout: float) -> ProviderMetadata:
    """Read the provider's discovery document and check that it speaks for `issuer`."""
    check_issuer(issuer, allow_loopback_http)
    document = _fetch_json(issuer.rstrip("/") + DISCOVERY_PATH, timeout)
    if document.get("issuer") != issuer:
        raise ProviderError(_l("The provider calls itself %(found)s, not %(issuer)s: copy the "
                               "issuer URL exactly as the provider shows it.",
                               found=str(document.get("issuer"))[:200], issuer=issuer))
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str):
            raise ProviderError(BAD_ANSWER, f"discovery document without {name}")
        _check_url(value, allow_loopback_http)
        endpoints[name] = value
    methods = document.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise ProviderError(_l("The provider does not offer PKCE with S256, which we require."))
    return ProviderMetadata(issuer=issuer, **endpoints)


def authorization_request(metadata: ProviderMetadata, client_id: str,
                          redirect_uri: str) -> tuple[str, Attempt]:
    """The provider's URL to send the browser to, and the attempt to keep until it answers."""
    attempt = Attempt(state=generate_token(32), nonce=generate_token(32),
                      code_verifier=generate_token(64), started_at=int(time.time()))
    client = OAuth2Session(client_id, scope=SCOPE, redirect_uri=redirect_uri,
                           code_challenge_method="S256")
    url, _ = client.create_authorization_url(
        metadata.authorization_endpoint, state=attempt.state, nonce=attempt.nonce,
        code_verifier=attempt.code_verifier)
    return url, attempt


def exchange_code(metadata: ProviderMetadata, *, client_id: str, client_secret: str,
                  redirect_uri: str, code: str, code_verifier: str | None,
                  timeout: float) -> str:
    """Trade the authorization code (and the PKCE verifier) for tokens; the ID token."""
    client = OAuth2Session(client_id, client_secret, redirect_uri=redirect_uri,
                           token_endpoint_auth_method=CLIENT_AUTHENTICATION)
    extra = {"code_verifier": code_verifier} if code_verifier else {}
    try:
        token = client.fetch_token(metadata.token_endpoint, code=code, timeout=timeout,
                                   grant_type="authorization_code", **extra)
    except requests.RequestException as error:
        raise SignOnRefused("provider-unreachable", PROVIDER_DOWN) from error
    except Exception as error:  # authlib's OAuthError and its kin: the provider said no
        raise SignOnRefused("code-exchange-refused", BAD_ANSWER) from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignOnRefused("id-token-missing", BAD_ANSWER)
    return id_token


def fetch_keys(metadata: ProviderMetadata, *, allow_loopback_http: bool,
               timeout: float) -> KeySet:
    """The provider's published signing keys."""
    _check_url(metadata.jwks_uri, allow_loopback_http)
    try:
        return KeySet.import_key_set(_fetch_json(metadata.jwks_uri, timeout))
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise ProviderError(BAD_ANSWER, f"unusable key set: {error}") from None


def validate_id_token(id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str,
                      now: datetime) -> dict:
    """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
    try:
        claims = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS)).claims
    except JoseError as error:
        raise SignOnRefused("id-token-signature", BAD_ANSWER) from error
    except ValueError as error:
        raise SignOnRefused("id-token-malformed", BAD_ANSWER) from error
    if claims.get("iss") != issuer:
        raise SignOnRefused("wrong-issuer", BAD_ANSWER)
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    if not isinstance(audiences, list) or client_id not in audiences \
            or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise SignOnRefused("wrong-audience", BAD_ANSWER)
    _check_times(claims, now.timestamp())
    if not isinstance(claims.get("nonce"), str) \
            or not hmac.compare_digest(claims["nonce"], nonce):
        raise SignOnRefused("nonce-mismatch", BAD_ANSWER)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignOnRefused("id-token-malformed", BAD_ANSWER)
    return claims


def _check_times(claims: dict, now: float) -> None:
    expires, issued = claims.get("exp"), claims.get("iat")
    if not _number(expires) or not _number(issued):
        raise SignOnRefused("id-token-malformed", BAD_ANSWER)
    if expires <= now - LEEWAY_SECONDS:
        raise SignOnRefused("id-token-expired", _l("The answer from your identity provider "
                                                   "expired. Please sign in again."))
    if issued > now + LEEWAY_SECONDS:
        raise SignOnRefused("id-token-from-the-future", BAD_ANSWER)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def claims_from_id_token(claims: dict) -> Claims:
    """The person the ID token vouches for; its email must be there (verified or not: the
    account rules refuse an unverified one)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignOnRefused("email-missing", _l("Your identity provider did not tell us your "
                                                "email address. Ask your IT department to send "
                                                "the email claim."))
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part for part in parts if isinstance(part, str) and part.strip())
    return Claims(protocol="oidc", subject=claims["sub"], email=email,
                  email_verified=_verified(claims), name=name or None)


def _verified(claims: dict) -> bool:
    """The provider vouches for the address: `email_verified`, or Microsoft Entra ID's
    `xms_edov` (the address's domain is verified as the tenant's), true or "true"."""
    return any(claims.get(name) in (True, "true") for name in ("email_verified", "xms_edov"))
