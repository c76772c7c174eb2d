"""Ed25519 signatures over a certificate's canonical payload, and the keys that make them.

The payload (:mod:`app.certificates.payload`) is a small JSON object with a fixed set of fields,
serialised one way only (sorted keys, no spaces, UTF-8), so anyone holding our published JWKS can check a
certificate offline. Keys are identified by their RFC 7638 JWK thumbprint.

Key files are PEM: ``ed25519-<kid>.pem`` holds a private key (the one signing key) and
``ed25519-<kid>.pub.pem`` a public key kept only to verify certificates signed before a
rotation. Open Badges JWTs may also be signed RS256 (the algorithm every OB 3.0 verifier must
support) with an RSA key of its own, ``rsa-<kid>.pem`` (:class:`RsaKey`).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from app.certificates.payload import FIELDS, canonical_json

PAYLOAD_FIELDS = FIELDS
ALGORITHM = "EdDSA"
RSA_ALGORITHM = "RS256"
RSA_KEY_BITS = 2048
SIGNING_KEY_SETTING = "CERTIFICATE_SIGNING_KEY"
VERIFICATION_KEYS_SETTING = "CERTIFICATE_VERIFICATION_KEYS"

_PRIVATE_SUFFIX = ".pem"
_PUBLIC_SUFFIX = ".pub.pem"
_FILE_PREFIX = "ed25519-"
_RSA_FILE_PREFIX = "rsa-"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class KeyConfigError(RuntimeError):
    """Key material is missing, unreadable or inconsistent; the message names the setting."""


def canonical_payload(facts: Mapping[str, Any]) -> bytes:
    """Serialise certificate facts (exactly the payload's fields) into the bytes that are signed."""
    return canonical_json(facts)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key."""
    return _thumbprint({"crv": "Ed25519", "kty": "OKP", "x": _b64url(_raw(public_key))})


class KeyRing:
    """One Ed25519 signing key plus any number of older keys kept to verify."""

    def __init__(
        self,
        signing_key: Ed25519PrivateKey,
        verification_keys: Iterable[Ed25519PublicKey] = (),
    ) -> None:
        self.signing_key = signing_key
        self.signing_kid = key_id(signing_key.public_key())
        self._public_keys: dict[str, Ed25519PublicKey] = {
            self.signing_kid: signing_key.public_key()
        }
        for public_key in verification_keys:
            self._public_keys.setdefault(key_id(public_key), public_key)

    @classmethod
    def from_directory(cls, directory: Path, *, create: bool = False) -> KeyRing:
        """Load keys from a development key folder, making a first key when asked."""
        directory = Path(directory)
        if create:
            with key_directory_lock(directory):
                if not _private_key_files(directory):
                    generate_key_file(directory)
        private_files = _private_key_files(directory)
        if not private_files:
            raise KeyConfigError(
                f"No certificate signing key ({_FILE_PREFIX}<kid>{_PRIVATE_SUFFIX}) "
                f"in {directory}; set {SIGNING_KEY_SETTING} or allow creating one."
            )
        if len(private_files) > 1:
            names = ", ".join(p.name for p in private_files)
            raise KeyConfigError(
                f"Several signing keys in {directory} ({names}); keep one private key and "
                f"store the others as public keys ({_FILE_PREFIX}<kid>{_PUBLIC_SUFFIX})."
            )
        public_files = sorted(directory.glob(f"{_FILE_PREFIX}*{_PUBLIC_SUFFIX}"))
        return cls(
            _load_private_key(private_files[0], SIGNING_KEY_SETTING),
            [_load_public_key(p, VERIFICATION_KEYS_SETTING) for p in public_files],
        )

    @classmethod
    def from_paths(
        cls,
        signing_key_path: str | Path | None,
        verification_key_paths: Sequence[str | Path] = (),
        *,
        signing_key_setting: str = SIGNING_KEY_SETTING,
        verification_keys_setting: str = VERIFICATION_KEYS_SETTING,
    ) -> KeyRing:
        """Load explicitly configured key files (production); missing files are an error."""
        if not signing_key_path:
            raise KeyConfigError(
                f"{signing_key_setting} is not set: give the path of the Ed25519 private key "
                "(PEM) that signs certificates."
            )
        return cls(
            _load_private_key(Path(signing_key_path), signing_key_setting),
            [_load_public_key(Path(p), verification_keys_setting) for p in verification_key_paths],
        )

    @property
    def kids(self) -> list[str]:
        """Key ids that verify, the signing key first."""
        return list(self._public_keys)

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """Return the public key with this id, if the ring holds it."""
        return self._public_keys.get(kid)

    def sign(self, payload: bytes) -> tuple[str, str]:
        """Sign payload bytes; return the key id and the base64url signature."""
        return self.signing_kid, _b64url(self.signing_key.sign(payload))

    def verify(self, payload: bytes, kid: str, signature: str) -> bool:
        """Check a signature made by any key in the ring; never raises on bad input."""
        public_key = self._public_keys.get(kid)
        raw = _b64url_decode(signature)
        if public_key is None or raw is None or len(raw) != 64:
            return False
        try:
            public_key.verify(raw, payload)
        except InvalidSignature:
            return False
        return True

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Return the public keys as a JWK Set, ready to publish."""
        return {"keys": [public_jwk(key) for key in self._public_keys.values()]}


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """Return the OKP/Ed25519 JWK of a public key, with kid, use and alg."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(_raw(public_key)),
        "kid": key_id(public_key),
        "use": "sig",
        "alg": ALGORITHM,
    }


class RsaKey:
    """The RSA key that signs RS256 Open Badges JWTs; identified by its RFC 7638 thumbprint."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        if private_key.key_size < RSA_KEY_BITS:
            raise KeyConfigError(
                f"The RSA key has {private_key.key_size} bits; at least {RSA_KEY_BITS} are needed.")
        self.private_key = private_key
        self.kid = _thumbprint(_rsa_members(private_key.public_key()))

    @classmethod
    def from_directory(cls, directory: Path, *, create: bool = False) -> RsaKey:
        """Load the development RSA key (``rsa-<kid>.pem``), making one when asked."""
        directory = Path(directory)
        if create:
            with key_directory_lock(directory):
                if not _rsa_key_files(directory):
                    generate_rsa_key_file(directory)
        files = _rsa_key_files(directory)
        if len(files) != 1:
            raise KeyConfigError(
                f"Expected one RSA key ({_RSA_FILE_PREFIX}<kid>{_PRIVATE_SUFFIX}) in {directory}, "
                f"found {len(files)}.")
        return cls.from_path(files[0], "KEYS_DIR")

    @classmethod
    def from_path(cls, path: str | Path, setting: str) -> RsaKey:
        """Load a configured RSA private key (PEM); a missing or wrong file names the setting."""
        if not path:
            raise KeyConfigError(
                f"{setting} is not set: give the path of the RSA private key (PEM, "
                f"{RSA_KEY_BITS} bits or more) that signs RS256 Open Badges.")
        path = Path(path)
        pem = _read_key_file(path, setting)
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyConfigError(
                f"{setting}: {path} is not an unencrypted PEM private key ({exc}).") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyConfigError(f"{setting}: {path} holds a {type(key).__name__}, not RSA.")
        try:
            return cls(key)
        except KeyConfigError as exc:
            raise KeyConfigError(f"{setting}: {path}: {exc}") from exc

    def public_jwk(self) -> dict[str, str]:
        """The RSA public key as a JWK, with kid, use and alg."""
        return {**_rsa_members(self.private_key.public_key()), "kid": self.kid, "use": "sig",
                "alg": RSA_ALGORITHM}


def generate_rsa_key_file(directory: Path) -> Path:
    """Create a new RSA private key file readable only by its owner; return its path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    kid = _thumbprint(_rsa_members(private_key.public_key()))
    path = directory / f"{_RSA_FILE_PREFIX}{kid}{_PRIVATE_SUFFIX}"
    _write_private(path, private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path


def _rsa_key_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.glob(f"{_RSA_FILE_PREFIX}*{_PRIVATE_SUFFIX}")
                  if not path.name.endswith(_PUBLIC_SUFFIX))


def _rsa_members(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64url(_unsigned(numbers.n)), "e": _b64url(_unsigned(numbers.e))}


def _unsigned(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def _thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no spaces; base64url."""
    text = json.dumps(dict(members), separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(text.encode()).digest())


def generate_key_file(directory: Path) -> Path:
    """Create a new private key file readable only by its owner; return its path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_key = Ed25519PrivateKey.generate()
    path = directory / f"{_FILE_PREFIX}{key_id(private_key.public_key())}{_PRIVATE_SUFFIX}"
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    return path


def rotate_key_directory(directory: Path) -> str:
    """Start signing with a new key; keep the old one as verify-only. Return the new kid."""
    directory = Path(directory)
    with key_directory_lock(directory):
        old = KeyRing.from_directory(directory)
        old_public = old.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (directory / f"{_FILE_PREFIX}{old.signing_kid}{_PUBLIC_SUFFIX}").write_bytes(old_public)
        new_path = generate_key_file(directory)
        for path in _private_key_files(directory):
            if path != new_path:
                path.unlink()
    return KeyRing.from_directory(directory).signing_kid


def _private_key_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.glob(f"{_FILE_PREFIX}*{_PRIVATE_SUFFIX}")
        if not path.name.endswith(_PUBLIC_SUFFIX)
    )


@contextmanager
def key_directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on a key folder (created if missing) while keys change."""
    # Several workers may start at once on a fresh checkout; only one may create a key.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _load_private_key(path: Path, setting: str) -> Ed25519PrivateKey:
    pem = _read_key_file(path, setting)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(
            f"{setting}: {path} is not an unencrypted PEM private key ({exc})."
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigError(f"{setting}: {path} holds a {type(key).__name__}, not Ed25519.")
    return key


def _load_public_key(path: Path, setting: str) -> Ed25519PublicKey:
    pem = _read_key_file(path, setting)
    try:
        if b"PRIVATE KEY" in pem:
            key: Any = serialization.load_pem_private_key(pem, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"{setting}: {path} is not a PEM key ({exc}).") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyConfigError(f"{setting}: {path} holds a {type(key).__name__}, not Ed25519.")
    return key


def _read_key_file(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyConfigError(f"{setting}: key file {path} does not exist.") from None
    except OSError as exc:
        raise KeyConfigError(f"{setting}: cannot read key file {path}: {exc}.") from exc


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes | None:
    """Decode unpadded base64url, accepting only the one canonical spelling."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64url(data) == text else None
