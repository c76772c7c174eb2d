"""The person a checked SAML assertion names: email, name and subject, as `Claims`.

Identity providers name the same attributes differently: Okta and Google send what the admin
typed ("email", "firstName"), Microsoft Entra ID sends claim URIs
(".../claims/emailaddress", ".../claims/givenname"), and pysaml2 turns the standard OIDs into
"mail", "givenName", "sn", "displayName". An attribute is matched on the last part of its name,
lower case, so all of these are understood.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from app.sso.claims import Claims
from app.sso.saml_refusals import SamlRefused

EMAIL_NAMES = ("email", "emailaddress", "mail")
DISPLAY_NAMES = ("displayname",)
GIVEN_NAMES = ("givenname", "given_name", "firstname", "first_name")
SURNAMES = ("surname", "sn", "familyname", "family_name", "lastname", "last_name")
#: "name" is the full name at Okta or Google, but Entra ID sends the user principal name in it
FALLBACK_NAMES = ("name", "cn", "commonname", "fullname")
MAX_VALUE = 320


def claims_from(name_id, attributes: Mapping[str, Sequence[str]]) -> Claims:
    """The claims of an assertion's NameID and attributes; SamlRefused("no-email") without an
    email address."""
    values = _by_short_name(attributes)
    subject = ((name_id.text or "") if name_id is not None else "").strip()[:MAX_VALUE]
    email = _email(name_id, subject, values)
    if not email or not subject:
        raise SamlRefused("no-email", "no emailAddress NameID and no email attribute")
    return Claims(protocol="saml", subject=subject, email=email, email_verified=True,
                  name=_name(values))


def _by_short_name(attributes: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The first non-empty value of each attribute, keyed by the last part of its name."""
    found: dict[str, str] = {}
    for name, raw in attributes.items():
        short = name.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
        value = next((str(item).strip() for item in (raw if isinstance(raw, list | tuple)
                                                      else [raw]) if str(item).strip()), "")
        if value and short not in found:
            found[short] = value[:MAX_VALUE]
    return found


def _email(name_id, subject: str, values: dict[str, str]) -> str:
    if name_id is not None and name_id.format == NAMEID_FORMAT_EMAILADDRESS and "@" in subject:
        return subject
    return next((values[key] for key in EMAIL_NAMES if "@" in values.get(key, "")), "")


def _name(values: dict[str, str]) -> str | None:
    display = next((values[key] for key in DISPLAY_NAMES if key in values), "")
    if display:
        return display
    given = next((values[key] for key in GIVEN_NAMES if key in values), "")
    surname = next((values[key] for key in SURNAMES if key in values), "")
    if given or surname:
        return f"{given} {surname}".strip()
    fallback = next((values[key] for key in FALLBACK_NAMES if key in values), "")
    return fallback if fallback and "@" not in fallback else None
