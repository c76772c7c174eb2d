"""Open Badges 3.0 credentials and "add to LinkedIn" links for issued certificates.

The credential is a W3C Verifiable Credential (data model 2.0) of type OpenBadgeCredential,
issued by our did:web DID (:mod:`app.certificates.did`). It is secured two ways, as OB 3.0
allows: an embedded Data Integrity proof (:mod:`app.certificates.data_integrity`) and the
"JSON Web Token Proof Format" of OB 3.0: a compact JWS whose header holds only ``alg``, ``kid``
(a URL that serves the one public key as a JWK) and ``typ: "JWT"``, and whose payload is the
credential plus the claims ``iss``, ``sub``, ``jti``, ``nbf`` and ``exp``. The JWT is signed
RS256 (the algorithm every OB 3.0 verifier must support) or EdDSA.

The holder is named by a stable ``urn:uuid`` that reveals nothing (:func:`holder_identity`),
their name as a plain IdentityObject, and their email only as a salted SHA-256 identityHash.

A credential speaks one language: the certificate's. Its achievement says which, in OB 3.0's
``inLanguage`` (a BCP 47 code), and its name, description, criteria and result descriptions
are written in it; the caller builds the credential under ``force_locale`` of that language.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from flask_babel import lazy_gettext as _l

from app.certificates.did import did_web
from app.certificates.pdf import CertificateFacts
from app.certificates.signing import ALGORITHM, RSA_ALGORITHM, KeyRing, RsaKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA_URL = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                 "ob_v3p0_achievementcredential_schema.json")
OB_SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
#: neither the VC nor the OB context defines the schema validator's type; OB 3.0's examples
#: define it inline, so that JSON-LD processors read it as an IRI rather than drop it
OB_SCHEMA_TYPE_CONTEXT = {
    OB_SCHEMA_TYPE: "https://purl.imsglobal.org/spec/vc/ob/vocab.html#1EdTechJsonSchemaValidator2019"}
JWT_TYPE = "JWT"
#: the JWT algorithms we sign with; RS256 first, the default: OB 3.0 makes it the one every
#: verifier must support ("RS256 as a minimum"), EdDSA is optional there
JWT_ALGORITHMS = (RSA_ALGORITHM, ALGORITHM)
DEFAULT_JWT_ALGORITHM = RSA_ALGORITHM
#: the only JOSE headers OB 3.0 allows
_ALLOWED_HEADERS = {"alg", "kid", "jwk", "typ"}
LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"
#: the value of a passed result: a machine value, the same in every language
PASSED = "Passed"
FINAL_EXAM_RESULT = _l("Final exam")
CAPSTONE_RESULT = _l("Capstone assessed against the course's rubric")

# "Ed25519" is RFC 9864's fully specified name for the same algorithm; accept both.
_ACCEPTED_ALGORITHMS = {RSA_ALGORITHM: [RSA_ALGORITHM], ALGORITHM: [ALGORITHM, "Ed25519"],
                        "Ed25519": [ALGORITHM, "Ed25519"]}


class BadgeError(ValueError):
    """A badge token is malformed, signed by an unknown key, or its signature is wrong."""


@dataclass(frozen=True)
class Holder:
    """How a credential names its holder: an opaque subject id, and the email only hashed."""

    subject_id: str
    email: str | None = None
    salt: str | None = None


def holder_identity(secret: str, user_id: int, email: str | None, scope: str) -> Holder:
    """The holder of one credential: a subject id stable across all their credentials, and a
    salt of this credential's own (``scope``: the certificate code) for the email hash.

    Both come from HMAC-SHA-256 under ``secret``: nothing is stored, and without the secret
    neither the user id nor the email can be read back or linked across credentials.
    """
    key = hmac.new(secret.encode("utf-8"), b"open-badges holder identity", hashlib.sha256).digest()
    subject = hmac.new(key, f"subject:{user_id}".encode(), hashlib.sha256).digest()
    salt = hmac.new(key, f"salt:{scope}".encode(), hashlib.sha256).hexdigest()[:32]
    return Holder(subject_id=uuid.UUID(bytes=subject[:16], version=4).urn,
                  email=email or None, salt=salt if email else None)


def email_identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash of an email: "sha256$" + hex SHA-256 of the email then the salt."""
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def build_credential(
    facts: CertificateFacts,
    *,
    achievement_id: str,
    description: str,
    criteria: str,
    image_url: str | None = None,
    holder: Holder | None = None,
    credential_status: dict[str, Any] | list | None = None,
    capstone_assessed: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """Return the OpenBadgeCredential (unsigned JSON) for a certificate.

    :param credential_status: its entry in a public status list, if any (OB 3.0 allows one)
    :param capstone_assessed: the rule included a capstone a trainer scored as a pass: a
        second result says so (never the work, never the points)
    :param language: the language the achievement is written in (the facts' when not given)
    """
    payload = facts.payload
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_SCHEMA_TYPE_CONTEXT],
        "id": payload.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{facts.wording}: {payload.course_title}",
        "issuer": {"id": did_web(payload.issuer), "type": ["Profile"],
                   "name": facts.issuer_name, "url": payload.issuer},
        "validFrom": _timestamp(payload.issued_on),
        "credentialSubject": _subject(facts, holder, _achievement(
            facts, achievement_id, description, criteria, image_url, capstone_assessed,
            language or facts.locale)),
        "credentialSchema": [{"id": OB_SCHEMA_URL, "type": OB_SCHEMA_TYPE}],
    }
    if payload.expires_on is not None:
        credential["validUntil"] = _timestamp(payload.expires_on)
    if credential_status:
        credential["credentialStatus"] = credential_status
    return credential


def _achievement(facts: CertificateFacts, achievement_id: str, description: str, criteria: str,
                 image_url: str | None, capstone_assessed: bool = False,
                 language: str = "en") -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": facts.payload.course_title,
        "description": str(description),
        "criteria": {"narrative": str(criteria)},
        "achievementType": "Certificate",
        "inLanguage": language,
        # What the holder's result states: the final exam passed (never the score: holders
        # have not been asked whether to show it).
        "resultDescription": [{
            "id": _result_description_id(achievement_id),
            "type": ["ResultDescription"],
            "name": str(FINAL_EXAM_RESULT),
            "resultType": "Result",
            "allowedValue": [PASSED],
            "requiredValue": PASSED,
        }],
    }
    if capstone_assessed:
        achievement["resultDescription"].append({
            "id": f"{achievement_id}#capstone", "type": ["ResultDescription"],
            "name": str(CAPSTONE_RESULT), "resultType": "Result",
            "allowedValue": [PASSED], "requiredValue": PASSED})
    if image_url:
        achievement["image"] = {"id": image_url, "type": "Image",
                                "caption": facts.payload.course_title}
    return achievement


def _subject(facts: CertificateFacts, holder: Holder | None,
             achievement: dict[str, Any]) -> dict[str, Any]:
    # OB 3.0 names a recipient without an account URI through IdentityObjects.
    identifiers: list[dict[str, Any]] = [{
        "type": "IdentityObject", "identityType": "name", "hashed": False,
        "identityHash": facts.payload.holder_name}]
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if holder is not None:
        subject["id"] = holder.subject_id
        if holder.email and holder.salt:
            identifiers.append({
                "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                "identityHash": email_identity_hash(holder.email, holder.salt),
                "salt": holder.salt})
    subject["identifier"] = identifiers
    subject["achievement"] = achievement
    subject["result"] = [{"type": ["Result"], "resultDescription": description["id"],
                          "value": PASSED} for description in achievement["resultDescription"]]
    return subject


def _result_description_id(achievement_id: str) -> str:
    return f"{achievement_id}#final-exam"


def key_url(base_url: str, kid: str) -> str:
    """The URL that serves one of our public keys as a JWK: a JWT's dereferenceable kid."""
    return f"{base_url.rstrip('/')}/keys/{kid}.json"


def kid_of_key_url(url: str) -> str | None:
    """The key id a :func:`key_url` names, or None if it is not of that shape."""
    head, sep, name = url.rpartition("/keys/")
    if not sep or not head or not name.endswith(".json") or "/" in name:
        return None
    return name[: -len(".json")] or None


def sign_credential(
    credential: dict[str, Any],
    keyring: KeyRing,
    *,
    algorithm: str = ALGORITHM,
    rsa_key: RsaKey | None = None,
) -> str:
    """Secure a credential as an OB 3.0 JWT (compact JWS) with EdDSA or RS256."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey, RSAKey

    base_url = credential["issuer"]["url"]
    if algorithm == RSA_ALGORITHM:
        if rsa_key is None:
            raise ValueError("RS256 needs the issuer's RSA key.")
        key: Any = RSAKey.import_key(rsa_key.private_key)
        kid = rsa_key.kid
    elif algorithm == ALGORITHM:
        key, kid = OKPKey.import_key(keyring.signing_key), keyring.signing_kid
    else:
        raise ValueError(f"Badges are signed {' or '.join(JWT_ALGORITHMS)}, not {algorithm}.")
    if not credential["credentialSubject"].get("id"):
        raise ValueError("An OB 3.0 JWT needs credentialSubject.id for its sub claim.")
    header = {"alg": algorithm, "kid": key_url(base_url, kid), "typ": JWT_TYPE}
    claims = {**credential, **_registered_claims(credential)}
    with quiet_algorithm_notice():
        return jwt.encode(header, claims, key, algorithms=[algorithm])


def issue_badge(
    facts: CertificateFacts,
    keyring: KeyRing,
    *,
    achievement_id: str,
    description: str,
    criteria: str,
    image_url: str | None = None,
    holder: Holder | None = None,
    algorithm: str = ALGORITHM,
    rsa_key: RsaKey | None = None,
) -> str:
    """Build and sign the Open Badges credential of a certificate; return the JWT."""
    credential = build_credential(
        facts,
        achievement_id=achievement_id,
        description=description,
        criteria=criteria,
        image_url=image_url,
        holder=holder,
    )
    return sign_credential(credential, keyring, algorithm=algorithm, rsa_key=rsa_key)


def verify_badge(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Check an OB 3.0 JWT against a JWK Set; return its claims or raise BadgeError.

    The header must hold only what OB 3.0 allows, its kid must name a key of the set (by
    the key's URL), and the registered claims must agree with the credential. Dates are
    returned, not judged: whether the certificate is still valid is the verification
    service's verdict.
    """
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, JoseError
    from joserfc.jwk import KeySet

    header = _header_of(token)
    kid = kid_of_key_url(header.get("kid") or "")
    jwk = next((key for key in jwks.get("keys", []) if key.get("kid") == kid), None)
    if jwk is None:
        raise BadgeError("This badge was not signed by one of the published keys.")
    try:
        key_set = KeySet.import_key_set({"keys": [jwk]})
        with quiet_algorithm_notice():
            token_obj = jwt.decode(token, key_set.keys[0],
                                   algorithms=_ACCEPTED_ALGORITHMS[header["alg"]])
    except BadSignatureError as exc:
        raise BadgeError("The badge signature does not match its content.") from exc
    except (JoseError, ValueError, TypeError) as exc:
        reason = getattr(exc, "description", "") or getattr(exc, "error", "") or str(exc)
        raise BadgeError(f"This badge could not be verified: {reason}") from exc
    claims = dict(token_obj.claims)
    if "OpenBadgeCredential" not in claims.get("type", []):
        raise BadgeError("This token is not an Open Badges credential.")
    _check_registered_claims(claims)
    return claims


def _header_of(token: str) -> dict[str, Any]:
    from joserfc.errors import JoseError
    from joserfc.jws import extract_compact

    try:
        header = dict(extract_compact(token.encode("ascii")).protected)
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise BadgeError("This is not a compact JWS.") from exc
    extra = set(header) - _ALLOWED_HEADERS
    if extra:
        raise BadgeError(f"OB 3.0 allows no JOSE header {', '.join(sorted(extra))}.")
    if header.get("typ", JWT_TYPE) != JWT_TYPE:
        raise BadgeError('This token is not an Open Badges credential (typ is not "JWT").')
    if header.get("alg") not in _ACCEPTED_ALGORITHMS:
        raise BadgeError(f"Badges are signed {' or '.join(JWT_ALGORITHMS)}.")
    return header


def _check_registered_claims(claims: dict[str, Any]) -> None:
    try:
        expected = _registered_claims(claims)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadgeError("The credential lacks the fields its JWT claims restate.") from exc
    wrong = sorted(name for name, value in expected.items() if claims.get(name) != value)
    if "exp" in claims and "exp" not in expected:
        wrong.append("exp")
    if wrong:
        raise BadgeError(f"The JWT claims {', '.join(wrong)} disagree with the credential.")


def achievement_image_svg(course_title: str, issuer_name: str) -> str:
    """A badge picture for a course: a rosette with the course title and the issuer's name."""
    title = escape(course_title if len(course_title) <= 60 else course_title[:57] + "…")
    issuer = escape(issuer_name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400"'
        f' role="img" aria-label="{title}, {issuer}">'
        f"<title>{title}</title>"
        '<circle cx="200" cy="200" r="190" fill="#1f3a5f"/>'
        '<circle cx="200" cy="200" r="170" fill="none" stroke="#f2c14e" stroke-width="8"/>'
        '<path d="M150 205l35 35 70-80" fill="none" stroke="#f2c14e" stroke-width="18"'
        ' stroke-linecap="round" stroke-linejoin="round"/>'
        '<text x="200" y="110" fill="#ffffff" font-family="sans-serif" font-size="22"'
        f' text-anchor="middle">{issuer}</text>'
        '<text x="200" y="300" fill="#ffffff" font-family="sans-serif" font-size="18"'
        f' text-anchor="middle" textLength="300" lengthAdjust="spacingAndGlyphs">{title}</text>'
        "</svg>"
    )


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
    # OB 3.0's JWT claims restate the credential; they never disagree with it.
    claims: dict[str, Any] = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": epoch(credential["validFrom"]),
        "sub": credential["credentialSubject"]["id"],
    }
    if "validUntil" in credential:
        claims["exp"] = epoch(credential["validUntil"])
    return claims


def _timestamp(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(timestamp: str) -> int:
    """A credential's `YYYY-MM-DDTHH:MM:SSZ` time as a JWT NumericDate."""
    return int(datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


@contextmanager
def quiet_algorithm_notice() -> Iterator[None]:
    # joserfc warns that RFC 9864 prefers "Ed25519" to "EdDSA". We keep "EdDSA", which
    # Open Badges verifiers widely support; our keys are always Ed25519 OKP keys.
    from joserfc.errors import SecurityWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SecurityWarning)
        yield
