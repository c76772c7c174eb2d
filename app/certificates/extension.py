"""The certificate issuer as a Flask extension: one per application, built on first use.

The edges (views, commands, event receivers) ask :func:`current_issuer` or :func:`issuer_for`
and hand the issuer to services as an argument; services never look it up themselves.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from app.certificates.issuer import CertificateIssuer, IssuerSettings, has_harfbuzz_subset

EXTENSION_KEY = "certificates"

log = logging.getLogger(__name__)


class _IssuerSlot:
    """Builds the app's issuer on first use, from the settings of that moment."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._issuer: CertificateIssuer | None = None
        self._lock = threading.Lock()

    def get(self) -> CertificateIssuer:
        if self._issuer is None:
            with self._lock:
                if self._issuer is None:
                    self._issuer = CertificateIssuer(IssuerSettings.from_config(self._app.config))
        return self._issuer


def init_certificates(app: Flask) -> None:
    """Attach the issuer to the app; in production, refuse to start without usable keys."""
    if EXTENSION_KEY in app.extensions:
        return
    slot = _IssuerSlot(app)
    app.extensions[EXTENSION_KEY] = slot
    if app.config.get("ENV_NAME") == "production":
        slot.get().check_configuration()
    if not has_harfbuzz_subset():
        log.warning("libharfbuzz-subset0 is not installed: certificate PDFs render about five "
                    "times slower. Install the system package libharfbuzz-subset0.")


def issuer_for(app: Flask) -> CertificateIssuer:
    """The issuer of an application."""
    slot = app.extensions.get(EXTENSION_KEY)
    if slot is None:
        raise RuntimeError("Certificates are not set up on this app: call init_certificates(app).")
    return slot.get()


def current_issuer() -> CertificateIssuer:
    """The issuer of the application handling the current request or command."""
    return issuer_for(current_app._get_current_object())
