"""The key and certificate of our SAML service provider: one per installation.

Identity providers that encrypt assertions encrypt them to the certificate in our SP metadata,
so the key must be the same on every app server and stay the same across restarts: a key
derived per organisation would change with the secret key, and one generated per host would
differ between hosts. Production names its files (`SAML_SP_KEY_PATH`, `SAML_SP_CERT_PATH`, on
every host); otherwise a self-signed pair is generated once into the key folder, like the other
development keys. SAML trusts the certificate through the metadata, so self-signed is the norm.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_FILE = "saml-sp-key.pem"
CERT_FILE = "saml-sp-cert.pem"
#: XML Encryption's key transport (RSA-OAEP) needs an RSA key
KEY_SIZE = 2048
VALIDITY = timedelta(days=3650)
COMMON_NAME = "OKR Academy SAML service provider"


class SamlKeyError(RuntimeError):
    """The configured key or certificate file is missing or unreadable (operator output)."""


def sp_key_pair(key_path: str | None, cert_path: str | None, keys_dir: str | Path,
                now: datetime) -> tuple[Path, Path]:
    """The paths of the SP's key and certificate: the configured ones, else the generated ones
    (created on first use under `keys_dir`)."""
    if key_path or cert_path:
        return _configured(key_path, cert_path)
    directory = Path(keys_dir)
    key_file, cert_file = directory / KEY_FILE, directory / CERT_FILE
    if key_file.is_file() and cert_file.is_file():
        return key_file, cert_file
    with _locked(directory):
        if not (key_file.is_file() and cert_file.is_file()):
            _generate(key_file, cert_file, now)
    return key_file, cert_file


def _configured(key_path: str | None, cert_path: str | None) -> tuple[Path, Path]:
    if not (key_path and cert_path):
        raise SamlKeyError("Set both SAML_SP_KEY_PATH and SAML_SP_CERT_PATH, or neither.")
    paths = Path(key_path), Path(cert_path)
    for path in paths:
        if not path.is_file():
            raise SamlKeyError(f"{path} does not exist or is not a file.")
    return paths


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the key folder's lock: several workers may start at once on a fresh installation."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _generate(key_file: Path, cert_file: Path, now: datetime) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write(key_file, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), private=True)
    _write(cert_file, certificate.public_bytes(serialization.Encoding.PEM), private=False)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write through a temporary file, so no reader ever sees half a key."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
