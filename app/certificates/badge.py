"""Open Badges 3.0 credentials and "add to LinkedIn" links for issued certificates.

The credential is a W3C Verifiable Credential (data model 2.0) of type
OpenBadgeCredential, secured as a VC-JWT: a compact JWS whose payload is the credential,
signed with the same Ed25519 key as the certificate payload and naming its key id, so the
JWKS we publish verifies both.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode

from app.certificates.pdf import CertificateFacts
from app.certificates.signing import ALGORITHM, KeyRing

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
JWT_TYPE = "vc+jwt"
LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"

# "Ed25519" is RFC 9864's fully specified name for the same algorithm; accept both.
_ACCEPTED_ALGORITHMS = [ALGORITHM, "Ed25519"]


class BadgeError(ValueError):
    """A badge token is malformed, signed by an unknown key, or its signature is wrong."""


def build_credential(
    facts: CertificateFacts,
    *,
    achievement_id: str,
    description: str,
    criteria: str,
    image_url: str | None = None,
) -> dict[str, Any]:
    """Return the OpenBadgeCredential (unsigned JSON) for a certificate."""
    payload = facts.payload
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": payload.course_title,
        "description": description,
        "criteria": {"narrative": criteria},
        "achievementType": "Certificate",
    }
    if image_url:
        achievement["image"] = {"id": image_url, "type": "Image"}
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": payload.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{facts.wording}: {payload.course_title}",
        "issuer": {"id": payload.issuer, "type": ["Profile"], "name": facts.issuer_name},
        "validFrom": _timestamp(payload.issued_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # OB 3.0 names a recipient without an account URI through an IdentityObject.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": payload.holder_name,
                }
            ],
            "achievement": achievement,
        },
    }
    if payload.expires_on is not None:
        credential["validUntil"] = _timestamp(payload.expires_on)
    return credential


def sign_credential(credential: dict[str, Any], keyring: KeyRing) -> str:
    """Secure a credential as a VC-JWT (compact JWS, EdDSA) with the ring's signing key."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(keyring.signing_key)
    header = {"alg": ALGORITHM, "kid": keyring.signing_kid, "typ": JWT_TYPE, "cty": "vc"}
    claims = {**credential, **_registered_claims(credential)}
    with _quiet_algorithm_notice():
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def issue_badge(
    facts: CertificateFacts,
    keyring: KeyRing,
    *,
    achievement_id: str,
    description: str,
    criteria: str,
    image_url: str | None = None,
) -> str:
    """Build and sign the Open Badges credential of a certificate; return the VC-JWT."""
    credential = build_credential(
        facts,
        achievement_id=achievement_id,
        description=description,
        criteria=criteria,
        image_url=image_url,
    )
    return sign_credential(credential, keyring)


def verify_badge(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Check a VC-JWT's signature against a JWK Set; return its claims or raise BadgeError.

    Dates are returned, not judged: whether the certificate is still valid is the
    verification service's verdict.
    """
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, JoseError
    from joserfc.jwk import KeySet

    try:
        key_set = KeySet.import_key_set(jwks)
        with _quiet_algorithm_notice():
            token_obj = jwt.decode(token, key_set, algorithms=_ACCEPTED_ALGORITHMS)
    except BadSignatureError as exc:
        raise BadgeError("The badge signature does not match its content.") from exc
    except (JoseError, ValueError, TypeError) as exc:
        reason = getattr(exc, "description", "") or getattr(exc, "error", "") or str(exc)
        raise BadgeError(f"This badge could not be verified: {reason}") from exc
    if token_obj.header.get("typ") != JWT_TYPE:
        raise BadgeError("This token is not an Open Badges credential (typ is not vc+jwt).")
    claims = dict(token_obj.claims)
    if "OpenBadgeCredential" not in claims.get("type", []):
        raise BadgeError("This token is not an Open Badges credential.")
    return claims


def linkedin_add_url(
    name: str,
    org_name: str,
    issued_on: date,
    expires_on: date | None,
    cert_id: str,
    cert_url: str,
) -> str:
    """Return LinkedIn's "add licence or certification" link, pre-filled."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": org_name,
        "issueYear": issued_on.year,
        "issueMonth": issued_on.month,
    }
    if expires_on is not None:
        params["expirationYear"] = expires_on.year
        params["expirationMonth"] = expires_on.month
    params["certUrl"] = cert_url
    params["certId"] = cert_id
    return f"{LINKEDIN_ADD_URL}?{urlencode(params, quote_via=quote)}"


def _registered_claims(credential: dict[str, Any]) -> dict[str, Any]:
    # JWT claims mirror the credential for generic JWT tooling; they never disagree with it.
    claims: dict[str, Any] = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def _timestamp(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(timestamp: str) -> int:
    return int(datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


@contextmanager
def _quiet_algorithm_notice() -> Iterator[None]:
    # joserfc warns that RFC 9864 prefers "Ed25519" to "EdDSA". We keep "EdDSA", which
    # Open Badges verifiers widely support; our keys are always Ed25519 OKP keys.
    from joserfc.errors import SecurityWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SecurityWarning)
        yield
