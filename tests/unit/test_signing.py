"""Ed25519 payload signatures: canonical form, tamper detection, JWKS, key files, rotation."""

import base64
import hashlib
import json
import stat
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from app.certificates.signing import (
    PAYLOAD_FIELDS,
    KeyConfigError,
    KeyRing,
    canonical_payload,
    key_id,
    rotate_key_directory,
)

FACTS = {
    "code": "OKR-7K3M-Q9TB-X2HD-4FRW-9",
    "holder_name": "Zoë Ångström-Núñez",
    "course_title": "OKR Certification for Executives",
    "course_slug": "okr-executive",
    "course_version": 3,
    "issued_on": date(2026, 3, 5),
    "expires_on": date(2028, 3, 5),
    "issuer": "https://okr-academy.example",
}


@pytest.fixture
def keyring(tmp_path):
    return KeyRing.from_directory(tmp_path / "keys", create=True)


def test_canonical_payload_is_sorted_compact_utf8():
    payload = canonical_payload(FACTS)
    assert payload == (
        '{"code":"OKR-7K3M-Q9TB-X2HD-4FRW-9","course_slug":"okr-executive",'
        '"course_title":"OKR Certification for Executives","course_version":3,'
        '"expires_on":"2028-03-05","holder_name":"Zoë Ångström-Núñez",'
        '"issued_on":"2026-03-05","issuer":"https://okr-academy.example"}'
    ).encode("utf-8")


def test_canonical_payload_does_not_depend_on_input_order_or_date_type():
    shuffled = dict(reversed(list(FACTS.items())))
    as_text = {**FACTS, "issued_on": "2026-03-05", "expires_on": "2028-03-05"}
    assert canonical_payload(shuffled) == canonical_payload(FACTS) == canonical_payload(as_text)


def test_open_ended_certificates_sign_a_null_expiry():
    assert b'"expires_on":null' in canonical_payload({**FACTS, "expires_on": None})


@pytest.mark.parametrize("change", [{"extra": 1}, {}])
def test_canonical_payload_rejects_missing_or_unknown_fields(change):
    facts = {**FACTS, **change} if change else {k: v for k, v in FACTS.items() if k != "issuer"}
    with pytest.raises(ValueError, match="payload fields"):
        canonical_payload(facts)


def test_signature_verifies_and_has_the_documented_shape(keyring):
    payload = canonical_payload(FACTS)
    kid, signature = keyring.sign(payload)
    assert kid == keyring.signing_kid
    assert len(signature) == 86 and "=" not in signature
    assert keyring.verify(payload, kid, signature)


@pytest.mark.parametrize("field", sorted(PAYLOAD_FIELDS))
def test_changing_any_field_breaks_verification(keyring, field):
    kid, signature = keyring.sign(canonical_payload(FACTS))
    altered = {**FACTS, field: "tampered" if field != "expires_on" else None}
    assert not keyring.verify(canonical_payload(altered), kid, signature)


@pytest.mark.parametrize(
    "signature",
    ["", "not base64!", "A" * 86, "A" * 85 + "B", "AAAA", None],
)
def test_malformed_signatures_are_rejected_without_raising(keyring, signature):
    payload = canonical_payload(FACTS)
    assert not keyring.verify(payload, keyring.signing_kid, signature)


def test_unknown_key_id_is_rejected(keyring):
    payload = canonical_payload(FACTS)
    _, signature = keyring.sign(payload)
    assert not keyring.verify(payload, "unknown-kid", signature)


def test_key_id_is_the_rfc7638_thumbprint():
    key = Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest())
    assert key_id(key) == expected.rstrip(b"=").decode()


def test_jwks_lets_anyone_verify_offline(keyring):
    payload = canonical_payload(FACTS)
    kid, signature = keyring.sign(payload)
    (jwk,) = [k for k in keyring.jwks()["keys"] if k["kid"] == kid]
    assert jwk | {"x": "…"} == {
        "kty": "OKP", "crv": "Ed25519", "x": "…", "kid": kid, "use": "sig", "alg": "EdDSA",
    }  # fmt: skip
    public_key = Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=")
    )
    public_key.verify(base64.urlsafe_b64decode(signature + "=="), payload)


def test_jwks_verifies_with_a_standard_jose_library(keyring):
    from joserfc.jwk import KeySet

    key_set = KeySet.import_key_set(keyring.jwks())
    assert [key.thumbprint() for key in key_set.keys] == keyring.kids


def test_development_key_is_created_once_and_private(tmp_path):
    first = KeyRing.from_directory(tmp_path / "keys", create=True)
    again = KeyRing.from_directory(tmp_path / "keys", create=True)
    assert first.signing_kid == again.signing_kid
    (key_file,) = (tmp_path / "keys").glob("ed25519-*.pem")
    assert key_file.name == f"ed25519-{first.signing_kid}.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_missing_development_key_without_create_is_a_clear_error(tmp_path):
    with pytest.raises(KeyConfigError, match="CERTIFICATE_SIGNING_KEY"):
        KeyRing.from_directory(tmp_path / "empty")


def test_rotation_keeps_old_certificates_verifiable(tmp_path):
    directory = tmp_path / "keys"
    old = KeyRing.from_directory(directory, create=True)
    payload = canonical_payload(FACTS)
    old_kid, old_signature = old.sign(payload)

    new_kid = rotate_key_directory(directory)
    rotated = KeyRing.from_directory(directory)

    assert new_kid != old_kid and rotated.signing_kid == new_kid
    assert rotated.kids == [new_kid, old_kid]
    assert rotated.verify(payload, old_kid, old_signature)
    assert rotated.sign(payload)[0] == new_kid
    assert not (directory / f"ed25519-{old_kid}.pem").exists()
    assert (directory / f"ed25519-{old_kid}.pub.pem").exists()


def test_several_private_keys_in_one_folder_are_refused(tmp_path):
    directory = tmp_path / "keys"
    KeyRing.from_directory(directory, create=True)
    second = Ed25519PrivateKey.generate()
    (directory / "ed25519-second.pem").write_bytes(
        second.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyConfigError, match="Several signing keys"):
        KeyRing.from_directory(directory)


def test_production_paths_load_and_verify_with_retired_keys(tmp_path, keyring):
    retired = Ed25519PrivateKey.generate()
    retired_path = tmp_path / "retired.pub.pem"
    retired_path.write_bytes(
        retired.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (signing_path,) = (tmp_path / "keys").glob("ed25519-*.pem")
    ring = KeyRing.from_paths(signing_path, [retired_path])
    payload = canonical_payload(FACTS)
    signature = base64.urlsafe_b64encode(retired.sign(payload)).rstrip(b"=").decode()
    assert ring.signing_kid == keyring.signing_kid
    assert ring.verify(payload, key_id(retired.public_key()), signature)


@pytest.mark.parametrize(
    ("signing", "verifying", "setting"),
    [
        (None, [], "CERTIFICATE_SIGNING_KEY is not set"),
        ("missing.pem", [], "CERTIFICATE_SIGNING_KEY: key file .*missing.pem does not exist"),
        ("signing", ["missing.pub.pem"], "CERTIFICATE_VERIFICATION_KEYS: key file"),
        ("garbage.pem", [], "CERTIFICATE_SIGNING_KEY: .*garbage.pem is not"),
    ],
)
def test_production_configuration_errors_name_the_setting(
    tmp_path, keyring, signing, verifying, setting
):
    (tmp_path / "garbage.pem").write_text("not a key")
    (signing_path,) = (tmp_path / "keys").glob("ed25519-*.pem")
    resolve = {"signing": signing_path}
    signing_arg = resolve.get(signing, tmp_path / signing if signing else None)
    with pytest.raises(KeyConfigError, match=setting):
        KeyRing.from_paths(signing_arg, [tmp_path / name for name in verifying])
