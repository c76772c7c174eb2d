"""What an identity provider told us about the person signing in, once checked.

The OpenID Connect and SAML modules each turn a provider's answer into `Claims` (after checking
its signature, audience, time and replay) or raise `SignOnRefused`; `app.sso.accounts` turns
claims into an account of the organisation and a login.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.domain import DomainError


@dataclass(frozen=True)
class Claims:
    """A person vouched for by the organisation's identity provider."""

    #: "oidc" or "saml"
    protocol: str
    #: the provider's stable identifier for the person (`sub`, or the SAML NameID)
    subject: str
    email: str
    #: whether the provider says the address was verified (SAML assertions count as verified)
    email_verified: bool
    #: the person's full name as the provider knows it, for the certificate (None if not sent)
    name: str | None = None


class SignOnRefused(DomainError):
    """The identity provider's answer was refused; nobody is signed in and no account is made.

    `reason` is a short code for the audit log ("wrong-audience", "replayed-assertion", ...);
    the message is a sentence for the person, marked for translation by the raiser.
    """

    status_code = 403

    def __init__(self, reason: str, message) -> None:
        super().__init__(message)
        self.reason = reason
