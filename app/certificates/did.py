"""The issuer as a did:web DID, and the DID document that publishes its Ed25519 keys.

An Open Badges credential names its issuer ``did:web:<host>`` and its Data Integrity proof a
verification method ``did:web:<host>#<kid>``. A verifier resolves the DID to
``https://<host>/.well-known/did.json`` (W3C did:web method), finds the key there as a
Multikey listed under ``assertionMethod``, and checks the proof with it.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.signing import KeyRing

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
#: multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint)
_ED25519_MULTICODEC = b"\xed\x01"
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def did_web(base_url: str) -> str:
    """The did:web DID of a site: its host (a port percent-encoded), then any path segments."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"{base_url!r} has no host to make a did:web DID of.")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", quote(host, safe=""), *segments])


def verification_method_id(base_url: str, kid: str) -> str:
    """The DID URL of one of our Ed25519 keys."""
    return f"{did_web(base_url)}#{kid}"


def multibase_key(public_key: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` of an Ed25519 key: "z" + base58btc(0xed01 || key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc(_ED25519_MULTICODEC + raw)


def did_document(base_url: str, keyring: KeyRing) -> dict[str, Any]:
    """The DID document of our did:web DID: every Ed25519 key that verifies, as a Multikey."""
    did = did_web(base_url)
    methods = []
    for kid in keyring.kids:
        public_key = keyring.public_key(kid)
        if public_key is None:
            continue
        methods.append({"id": f"{did}#{kid}", "type": "Multikey", "controller": did,
                        "publicKeyMultibase": multibase_key(public_key)})
    method_ids = [method["id"] for method in methods]
    return {"@context": [DID_CONTEXT, MULTIKEY_CONTEXT], "id": did,
            "verificationMethod": methods, "assertionMethod": method_ids}


def base58btc(data: bytes) -> str:
    """Bitcoin's base58 alphabet; each leading zero byte becomes a "1"."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_ones = len(text) - len(text.lstrip("1"))
    return b"\0" * leading_ones + body
