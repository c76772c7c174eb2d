"""The certificate error family: rules of issuance, finding and status changes."""
from __future__ import annotations

from app.domain import DomainError


class CertificateError(DomainError):
    """A certificate rule was broken; the message is a sentence for people."""


class NotEligible(CertificateError):
    """The learner has not met the course's certification rule."""

    status_code = 409

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons

    def __str__(self) -> str:
        # joined when shown: a reason may be a lazy string, translated for whoever reads it
        return " ".join(str(reason) for reason in self.reasons)


class CertificateNotFound(CertificateError):
    """No certificate has this code, or the code is malformed or mistyped."""

    status_code = 404


class StatusChangeRefused(CertificateError):
    """The certificate's status does not allow this change (e.g. revoked already)."""

    status_code = 409
