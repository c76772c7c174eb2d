"""Why a SAML answer was refused: a reason for the audit log, a sentence for the person."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.sso.claims import SignOnRefused

#: every reason a SAML sign-on is refused, with what the person reads
REFUSALS = {
    "unsigned-assertion": _l("Your company's sign-in service sent an assertion without a "
                             "signature, so it cannot be trusted. Ask your IT department to "
                             "sign assertions for this application."),
    "bad-signature": _l("The answer of your company's sign-in service does not carry a valid "
                        "signature of that service (it was changed on the way, or the "
                        "service's certificate changed). Please try again."),
    "wrong-issuer": _l("The answer did not come from your organisation's sign-in service."),
    "wrong-audience": _l("Your company's sign-in service sent an answer meant for another "
                         "application. Ask your IT department to check the entity ID (audience) "
                         "set for OKR Academy."),
    "wrong-recipient": _l("Your company's sign-in service sent an answer addressed to another "
                          "address. Ask your IT department to check the ACS URL set for OKR "
                          "Academy."),
    "expired-assertion": _l("The answer of your company's sign-in service has expired (or is "
                            "not valid yet). Please sign in again."),
    "replayed-assertion": _l("This answer of your company's sign-in service was used already. "
                             "Please sign in again."),
    "unknown-request": _l("This answer does not belong to a sign-in started in this browser, "
                          "or that sign-in took too long. Please sign in again."),
    "idp-error": _l("Your company's sign-in service did not sign you in. Please try again, or "
                    "ask your IT department."),
    "invalid-response": _l("The answer of your company's sign-in service could not be read. "
                           "Please try again, or ask your IT department."),
    "no-email": _l("Your company's sign-in service did not send your email address. Ask your "
                   "IT department to send it as the NameID or as an \"email\" attribute."),
    "metadata-unusable": _l("Sign-on for this organisation is not set up correctly: the "
                            "identity provider's metadata cannot be used. Ask your "
                            "administrator."),
}


class SamlRefused(SignOnRefused):
    """A SAML answer was refused; `detail` is the technical reason, for the audit log only."""

    protocol = "saml"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, REFUSALS[reason])
        self.detail = detail
