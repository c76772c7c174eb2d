"""X.509 material for the PDF signature: a private root CA and the leaf that signs PDFs.

PDF readers only call a signature trusted when the signing certificate chains to a root
the reader trusts, never for a self-signed end-entity certificate. Development therefore
generates a small hierarchy: ``root-ca.pem`` (published for HR to import) and
``signing-cert.pem`` / ``signing-key.pem`` issued by it. Production configures the paths
of key, certificate and chain issued by the organisation's own CA.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from app.certificates.signing import KeyConfigError, key_directory_lock
from app.clock import utcnow

ROOT_CA_FILE = "root-ca.pem"
ROOT_KEY_FILE = "root-ca-key.pem"
SIGNING_CERT_FILE = "signing-cert.pem"
SIGNING_KEY_FILE = "signing-key.pem"

ROOT_CA_NAME = "OKR Academy Development Root CA"
SIGNING_NAME = "OKR Academy Certificate Signing (development)"
ORGANISATION = "OKR Academy"

KEY_SETTING = "PDF_SIGNING_KEY"
CERT_SETTING = "PDF_SIGNING_CERT"
CHAIN_SETTING = "PDF_SIGNING_CHAIN"

ROOT_VALIDITY = timedelta(days=3650)
LEAF_VALIDITY = timedelta(days=825)
LEAF_RENEWAL_MARGIN = timedelta(days=30)

# RFC 9336 id-kp-documentSigning, and the Microsoft document-signing purpose that
# Adobe Acrobat recognises.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")


@dataclass(frozen=True, slots=True)
class PdfSigningConfig:
    """Where the PDF signer finds its key, its certificate and the chain up to the root."""

    key_path: Path
    cert_path: Path
    chain_paths: tuple[Path, ...]
    key_passphrase: bytes | None = None

    def chain_pem(self) -> list[bytes]:
        """Return the PEM bytes of every chain certificate (issuers of the signing cert)."""
        return [path.read_bytes() for path in self.chain_paths]


def ensure_dev_pki(directory: Path) -> PdfSigningConfig:
    """Create (once) a development root CA and signing certificate; return their paths."""
    directory = Path(directory)
    with key_directory_lock(directory):
        root_key, root_cert = _ensure_root(directory)
        if _leaf_needs_issuing(directory):
            _issue_leaf(directory, root_key, root_cert)
    return PdfSigningConfig(
        key_path=directory / SIGNING_KEY_FILE,
        cert_path=directory / SIGNING_CERT_FILE,
        chain_paths=(directory / ROOT_CA_FILE,),
    )


def load_pki(
    key_path: str | Path | None,
    cert_path: str | Path | None,
    chain_paths: Sequence[str | Path] = (),
    key_passphrase: bytes | None = None,
    *,
    now: datetime | None = None,
) -> PdfSigningConfig:
    """Check configured signing material (production) and return it, or explain the problem."""
    key_file = _required_path(key_path, KEY_SETTING, "the PDF signing private key (PEM)")
    cert_file = _required_path(cert_path, CERT_SETTING, "the PDF signing certificate (PEM)")
    chain_files = tuple(
        _required_path(path, CHAIN_SETTING, "a chain certificate") for path in chain_paths
    )
    key = _load_key(key_file, key_passphrase)
    cert = _load_cert(cert_file, CERT_SETTING)
    for chain_file in chain_files:
        _load_cert(chain_file, CHAIN_SETTING)
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise KeyConfigError(
            f"{KEY_SETTING} and {CERT_SETTING} do not belong together: "
            f"{key_file} is not the key of {cert_file}."
        )
    moment = now or utcnow()
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise KeyConfigError(
            f"{CERT_SETTING}: {cert_file} is valid from {cert.not_valid_before_utc:%Y-%m-%d} "
            f"to {cert.not_valid_after_utc:%Y-%m-%d}, not today; renew it."
        )
    return PdfSigningConfig(key_file, cert_file, chain_files, key_passphrase)


def load_trust_roots(paths: Sequence[str | Path]) -> list[x509.Certificate]:
    """Load root CA certificates (PEM or DER) that PDF signatures must chain to."""
    return [_load_cert(Path(path), "PDF_TRUST_ROOTS") for path in paths]


def _ensure_root(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_file, cert_file = directory / ROOT_KEY_FILE, directory / ROOT_CA_FILE
    if key_file.exists() and cert_file.exists():
        return _load_key(key_file, None), _load_cert(cert_file, CHAIN_SETTING)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(ROOT_CA_NAME)
    now = utcnow()
    cert = (
        _builder(name, name, key.public_key(), now, now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_file, _key_pem(key))
    _write_public(cert_file, cert)
    # A new root invalidates any leaf issued by a previous one.
    (directory / SIGNING_CERT_FILE).unlink(missing_ok=True)
    return key, cert


def _leaf_needs_issuing(directory: Path) -> bool:
    cert_file, key_file = directory / SIGNING_CERT_FILE, directory / SIGNING_KEY_FILE
    if not (cert_file.exists() and key_file.exists()):
        return True
    cert = _load_cert(cert_file, CERT_SETTING)
    return cert.not_valid_after_utc - utcnow() < LEAF_RENEWAL_MARGIN


def _issue_leaf(
    directory: Path, root_key: ec.EllipticCurvePrivateKey, root_cert: x509.Certificate
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = utcnow()
    cert = (
        _builder(_name(SIGNING_NAME), root_cert.subject, key.public_key(), now, now + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [DOCUMENT_SIGNING, MS_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    key_file = directory / SIGNING_KEY_FILE
    key_file.unlink(missing_ok=True)
    _write_private(key_file, _key_pem(key))
    _write_public(directory / SIGNING_CERT_FILE, cert)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before - timedelta(minutes=5))
        .not_valid_after(not_after)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        ]
    )


def _required_path(value: str | Path | None, setting: str, what: str) -> Path:
    if not value:
        raise KeyConfigError(f"{setting} is not set: give the path of {what}.")
    path = Path(value)
    if not path.is_file():
        raise KeyConfigError(f"{setting}: {path} does not exist or is not a file.")
    return path


def _load_key(path: Path, passphrase: bytes | None) -> ec.EllipticCurvePrivateKey:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=passphrase)
        else:
            key = serialization.load_der_private_key(data, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"{KEY_SETTING}: cannot read the private key {path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyConfigError(
            f"{KEY_SETTING}: {path} holds a {type(key).__name__}; use an EC P-256 key."
        )
    return key


def _load_cert(path: Path, setting: str) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyConfigError(f"{setting}: cannot read {path}: {exc}") from exc
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise KeyConfigError(f"{setting}: {path} is not an X.509 certificate: {exc}") from exc


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)


def _write_public(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
