"""Open Badges 3.0 credentials (OB 3.0 JWTs) and LinkedIn "add certification" links."""

import base64
import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from app.certificates.badge import (
    OB_CONTEXT,
    OB_SCHEMA_TYPE_CONTEXT,
    VC_CONTEXT,
    BadgeError,
    build_credential,
    holder_identity,
    issue_badge,
    linkedin_add_url,
    verify_badge,
)
from app.certificates.pdf import sample_facts
from app.certificates.signing import KeyRing, rotate_key_directory

ACHIEVEMENT = {
    "achievement_id": "https://okr-academy.example/courses/okr-executive",
    "description": "Sets and runs OKRs for an executive team.",
    "criteria": "Completed all six modules and passed the final exam with at least 80%.",
    "holder": holder_identity("test-secret", 7, "zoe@example.com", "OKR-7K3M-Q9TB-X2HD-4FRW-9"),
}


@pytest.fixture
def keyring(tmp_path):
    return KeyRing.from_directory(tmp_path / "keys", create=True)


def decode_segment(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_credential_is_an_open_badge_verifiable_credential():
    facts = sample_facts(holder_name="Zoë Example")
    credential = build_credential(facts, **ACHIEVEMENT)
    assert credential["@context"] == [VC_CONTEXT, OB_CONTEXT, OB_SCHEMA_TYPE_CONTEXT]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == facts.payload.verify_url
    assert credential["issuer"] == {
        "id": "did:web:okr-academy.example",
        "type": ["Profile"],
        "name": facts.issuer_name,
        "url": facts.payload.issuer,
    }
    assert credential["validFrom"] == "2026-01-15T00:00:00Z"
    assert credential["validUntil"] == "2028-01-15T00:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Zoë Example"
    achievement = subject["achievement"]
    assert achievement["id"] == ACHIEVEMENT["achievement_id"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == facts.payload.course_title
    assert achievement["description"] == ACHIEVEMENT["description"]
    assert achievement["criteria"] == {"narrative": ACHIEVEMENT["criteria"]}


def test_open_ended_certificates_have_no_valid_until():
    credential = build_credential(sample_facts(expires_on=None), **ACHIEVEMENT)
    assert "validUntil" not in credential


def test_badge_is_a_compact_jws_signed_with_the_certificate_key(keyring):
    token = issue_badge(sample_facts(), keyring, **ACHIEVEMENT)
    header_segment, payload_segment, signature_segment = token.split(".")
    header = decode_segment(header_segment)
    assert header == {"alg": "EdDSA", "typ": "JWT",
                      "kid": f"https://okr-academy.example/keys/{keyring.signing_kid}.json"}
    claims = decode_segment(payload_segment)
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["exp"] > claims["nbf"]
    assert len(signature_segment) == 86


def test_verify_badge_returns_the_credential(keyring):
    facts = sample_facts()
    token = issue_badge(facts, keyring, **ACHIEVEMENT)
    claims = verify_badge(token, keyring.jwks())
    assert {k: v for k, v in claims.items() if k not in {"iss", "jti", "nbf", "exp", "sub"}} == (
        build_credential(facts, **ACHIEVEMENT)
    )


def test_a_badge_signed_before_rotation_still_verifies(tmp_path):
    directory = tmp_path / "keys"
    original = KeyRing.from_directory(directory, create=True)
    token = issue_badge(sample_facts(), original, **ACHIEVEMENT)
    rotate_key_directory(directory)
    assert verify_badge(token, KeyRing.from_directory(directory).jwks())["id"]


def test_a_changed_claim_is_rejected(keyring):
    token = issue_badge(sample_facts(), keyring, **ACHIEVEMENT)
    header, payload, signature = token.split(".")
    claims = decode_segment(payload)
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadgeError, match="signature"):
        verify_badge(f"{header}.{forged_payload}.{signature}", keyring.jwks())


def test_a_badge_from_another_key_is_rejected(keyring, tmp_path):
    stranger = KeyRing.from_directory(tmp_path / "stranger", create=True)
    token = issue_badge(sample_facts(), stranger, **ACHIEVEMENT)
    with pytest.raises(BadgeError):
        verify_badge(token, keyring.jwks())


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "....."])
def test_garbage_tokens_raise_badge_error(keyring, token):
    with pytest.raises(BadgeError):
        verify_badge(token, keyring.jwks())


def test_linkedin_link_is_prefilled_and_encoded():
    url = linkedin_add_url(
        name="OKR Certification for Executives",
        org_name="OKR Academy & Partners",
        issued_on=date(2026, 3, 5),
        expires_on=date(2028, 3, 5),
        cert_id="OKR-7K3M-Q9TB-X2HD-4FRW-9",
        cert_url="https://okr-academy.example/verify/OKR-7K3M-Q9TB-X2HD-4FRW-9?src=li",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert " " not in url and "&Partners" not in url
    assert {key: values[0] for key, values in parse_qs(parts.query).items()} == {
        "startTask": "CERTIFICATION_NAME",
        "name": "OKR Certification for Executives",
        "organizationName": "OKR Academy & Partners",
        "issueYear": "2026",
        "issueMonth": "3",
        "expirationYear": "2028",
        "expirationMonth": "3",
        "certUrl": "https://okr-academy.example/verify/OKR-7K3M-Q9TB-X2HD-4FRW-9?src=li",
        "certId": "OKR-7K3M-Q9TB-X2HD-4FRW-9",
    }


def test_linkedin_link_without_expiry_omits_expiration():
    url = linkedin_add_url("C", "O", date(2026, 1, 1), None, "ID", "https://x.example/v/ID")
    assert "expiration" not in url
