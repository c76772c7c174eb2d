"""The issuer: the keys, template renderer and PDF signer that issue certificates.

One :class:`CertificateIssuer` per application, built on first use from the app's
settings (see :mod:`app.certificates.extension`). Development generates its keys into ``KEYS_DIR`` the first time a certificate
is issued (or the JWKS is asked for); production reads the configured key files and
refuses to start when one is missing or unreadable, naming the setting to fix.

WeasyPrint and pyHanko are imported only when the first certificate is rendered, so app
start-up and most requests never pay for them.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import ctypes.util
import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.certificates import pki
from app.certificates.archive import embedded_credential
from app.certificates.pdf import CertificateFacts, CertificateRenderer, PdfSigner
from app.certificates.signing import KeyConfigError, KeyRing, RsaKey

SIGNING_KEY_SETTING = "SIGNING_KEY_PATH"
VERIFY_KEYS_SETTING = "VERIFY_KEY_PATHS"
PDF_KEY_SETTING = "PDF_SIGNING_KEY_PATH"
PDF_CERT_SETTING = "PDF_SIGNING_CERT_PATH"
PDF_CHAIN_SETTING = "PDF_SIGNING_CHAIN_PATH"
RSA_KEY_SETTING = "BADGE_RSA_KEY_PATH"
SUBJECT_SECRET_SETTING = "BADGE_SUBJECT_SECRET"  # nosec B105: the setting's name, not a secret

#: the certificate engine names settings its own way; messages name ours
_ENGINE_SETTING_NAMES = {
    pki.KEY_SETTING: PDF_KEY_SETTING,
    pki.CERT_SETTING: PDF_CERT_SETTING,
    pki.CHAIN_SETTING: PDF_CHAIN_SETTING,
}
T = TypeVar("T")
_PATH_LIST = re.compile(rf"[,{re.escape(os.pathsep)}]")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuerSettings:
    """The settings issuance reads, taken from the app config."""

    keys_dir: Path
    templates_dir: Path
    signing_key_path: str
    verify_key_paths: tuple[str, ...]
    pdf_key_path: str
    pdf_cert_path: str
    pdf_chain_paths: tuple[str, ...]
    public_base_url: str
    issuer_name: str
    production: bool
    rsa_key_path: str = ""
    #: keys the holders' subject ids and email salts (app.certificates.badge.holder_identity)
    subject_secret: str = ""
    #: the languages certificates are printed in (the interface's)
    languages: tuple[str, ...] = ("en",)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> IssuerSettings:
        """Read the settings; list settings take paths separated by commas or the path separator."""
        return cls(
            keys_dir=Path(config["KEYS_DIR"]),
            templates_dir=Path(config["CERTIFICATES_DIR"]),
            signing_key_path=config.get(SIGNING_KEY_SETTING) or "",
            verify_key_paths=_path_list(config.get(VERIFY_KEYS_SETTING)),
            pdf_key_path=config.get(PDF_KEY_SETTING) or "",
            pdf_cert_path=config.get(PDF_CERT_SETTING) or "",
            pdf_chain_paths=_path_list(config.get(PDF_CHAIN_SETTING)),
            public_base_url=str(config["PUBLIC_BASE_URL"]).rstrip("/"),
            issuer_name=config["ISSUER_NAME"],
            production=config.get("ENV_NAME") == "production",
            rsa_key_path=config.get(RSA_KEY_SETTING) or "",
            subject_secret=str(config.get(SUBJECT_SECRET_SETTING) or config.get("SECRET_KEY")
                               or ""),
            languages=tuple(config.get("LANGUAGES") or ("en",)),
        )

    @property
    def configured_signing_key(self) -> bool:
        """True when the Ed25519 keys come from settings, not the development key folder."""
        return self.production or bool(self.signing_key_path)

    @property
    def configured_pdf_key(self) -> bool:
        """True when the PDF signing key comes from settings, not the development PKI."""
        return self.production or bool(self.pdf_key_path)


class CertificateIssuer:
    """Signs payloads, renders and PDF-signs certificates, and publishes the public keys."""

    def __init__(self, settings: IssuerSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._keyring: KeyRing | None = None
        self._rsa_key: RsaKey | None = None
        self._pdf_config: pki.PdfSigningConfig | None = None
        self._signer: PdfSigner | None = None

    @property
    def name(self) -> str:
        """The issuer's name, printed on certificates."""
        return self.settings.issuer_name

    @property
    def url(self) -> str:
        """The issuer's public URL, part of every signed payload."""
        return self.settings.public_base_url

    def verify_url(self, code: str) -> str:
        """The public verification page of a certificate (what its QR code opens)."""
        return f"{self.url}/verify/{code}"

    @property
    def keyring(self) -> KeyRing:
        """The Ed25519 keys: one that signs, any older ones kept to verify."""
        if self._keyring is None:
            with self._lock:
                if self._keyring is None:
                    self._keyring = self._load_keyring()
        return self._keyring

    @property
    def rsa_key(self) -> RsaKey:
        """The RSA key of RS256 Open Badges JWTs (made on first use in development)."""
        if self._rsa_key is None:
            with self._lock:
                if self._rsa_key is None:
                    self._rsa_key = self._load_rsa_key()
        return self._rsa_key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """Every public key a verifier may need: the Ed25519 ring, then the RSA key."""
        return {"keys": [*self.keyring.jwks()["keys"], self.rsa_key.public_jwk()]}

    def public_jwk(self, kid: str) -> dict[str, str] | None:
        """The one public key with this id, as a JWK; None if we hold no such key."""
        return next((jwk for jwk in self.jwks()["keys"] if jwk["kid"] == kid), None)

    @property
    def pdf_signing_config(self) -> pki.PdfSigningConfig:
        """Key, certificate and chain of the PDF signature."""
        if self._pdf_config is None:
            with self._lock:
                if self._pdf_config is None:
                    self._pdf_config = self._load_pdf_config()
        return self._pdf_config

    @property
    def signer(self) -> PdfSigner:
        """The PAdES signer (pyHanko is imported when it first signs)."""
        if self._signer is None:
            config = self.pdf_signing_config
            with self._lock:
                if self._signer is None:
                    self._signer = PdfSigner(config, signer_name=self.name,
                                             reason=f"Certificate issued by {self.name}")
        return self._signer

    def render_and_sign(self, facts: CertificateFacts, template: str | None = None) -> bytes:
        """Render a certificate PDF from its template and sign it: the bytes to store."""
        unsigned = shared_renderer(self.settings.templates_dir).render(facts, template)
        return outside_event_loop(self.signer.sign, unsigned)

    def root_ca_pem(self) -> bytes | None:
        """The root CA certificate our PDF signatures chain to, for HR to trust, if known."""
        chain = self.pdf_signing_config.chain_paths
        return chain[-1].read_bytes() if chain else None

    def trust_roots(self) -> list[bytes]:
        """PEM certificates a PDF check should accept as roots."""
        root = self.root_ca_pem()
        return [root] if root else []

    def check_configuration(self) -> None:
        """Load every configured key now, raising KeyConfigError that names the setting."""
        keyring, pdf_config, rsa_key = self.keyring, self.pdf_signing_config, self.rsa_key
        log.info("Certificates are signed with key %s (RS256 badges: %s) and PDF certificate %s.",
                 keyring.signing_kid, rsa_key.kid, pdf_config.cert_path)

    def _load_keyring(self) -> KeyRing:
        settings = self.settings
        if settings.configured_signing_key:
            return KeyRing.from_paths(
                settings.signing_key_path, settings.verify_key_paths,
                signing_key_setting=SIGNING_KEY_SETTING,
                verification_keys_setting=VERIFY_KEYS_SETTING,
            )
        return KeyRing.from_directory(settings.keys_dir, create=True)

    def _load_rsa_key(self) -> RsaKey:
        settings = self.settings
        if settings.production or settings.rsa_key_path:
            return RsaKey.from_path(settings.rsa_key_path, RSA_KEY_SETTING)
        return RsaKey.from_directory(settings.keys_dir, create=True)

    def _load_pdf_config(self) -> pki.PdfSigningConfig:
        settings = self.settings
        if not settings.configured_pdf_key:
            return pki.ensure_dev_pki(settings.keys_dir)
        try:
            return pki.load_pki(settings.pdf_key_path, settings.pdf_cert_path,
                                settings.pdf_chain_paths)
        except KeyConfigError as error:
            raise KeyConfigError(_our_setting_names(str(error))) from error


# --- one renderer per template folder and process -------------------------------------------

_renderers: dict[Path, _LockedRenderer] = {}
_renderers_lock = threading.Lock()
# WeasyPrint's font configuration cleans up in __del__, which fails once the interpreter
# has torn its modules down; release the renderers while everything still exists.
atexit.register(_renderers.clear)


class _LockedRenderer:
    """A renderer shared by every issuer of the process; it renders one PDF at a time."""

    def __init__(self, templates_dir: Path) -> None:
        self._renderer = CertificateRenderer(templates_dir, credential=embedded_credential)
        self._lock = threading.Lock()

    def render(self, facts: CertificateFacts, template: str | None = None) -> bytes:
        with self._lock:
            return self._renderer.render(facts, template)


def shared_renderer(templates_dir: Path) -> _LockedRenderer:
    """The process's renderer for a template folder; parsed fonts and CSS are reused."""
    key = Path(templates_dir).resolve()
    with _renderers_lock:
        if key not in _renderers:
            _renderers[key] = _LockedRenderer(key)
        return _renderers[key]


@functools.cache
def has_harfbuzz_subset() -> bool:
    """True when WeasyPrint can subset fonts with HarfBuzz (the fast path)."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


def outside_event_loop(function: Callable[..., T], *args: Any) -> T:
    """Call `function` from a thread with no running asyncio event loop.

    pyHanko's synchronous API calls asyncio.run(), which refuses to start inside a running
    loop (a worker embedding an async framework, or Playwright's sync API in the same
    process); such callers get the work done on a short-lived thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def _path_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in _PATH_LIST.split(value or "") if part.strip())


def _our_setting_names(message: str) -> str:
    for engine_name, setting in _ENGINE_SETTING_NAMES.items():
        message = re.sub(rf"\b{engine_name}\b", setting, message)
    return message
