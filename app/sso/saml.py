"""SAML 2.0 sign-on, our side (the service provider), built on pysaml2 and xmlsec1.

Every organisation has its own service provider: its entity id is the URL of its SP metadata
and its assertion consumer service (ACS) is /sso/<org>/saml/acs, both under PUBLIC_BASE_URL so
they do not depend on the host a request names. `start` gives the address of the identity
provider with our AuthnRequest (HTTP-Redirect binding) and the request's id, which the caller
keeps for the answer. `consume` checks the answer (HTTP-POST binding) and returns `Claims`:

- the assertion itself must be signed by a certificate of the provider's metadata, even when
  the whole response is signed too ("signed assertions required": a signed response around an
  unsigned assertion is refused);
- its issuer is the provider, its audience our entity id, the response's Destination and the
  assertion's Recipient our ACS, its NotBefore/NotOnOrAfter hold within a small clock skew;
- its id was never used before (the replay cache `saml_assertions_seen`, kept until the
  assertion expires), and it answers the request this browser started (InResponseTo).

Each failure raises `SamlRefused` with a reason for the audit log and a sentence for the person.
"""
from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import StatusError, UnsolicitedResponse
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from saml2.sigver import SignatureError, SigverError
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Organisation
from app.models.sign_on import SamlAssertionSeen
from app.sso.claims import Claims
from app.sso.saml_claims import claims_from
from app.sso.saml_keys import sp_key_pair
from app.sso.saml_metadata import SamlMetadataError, read_idp
from app.sso.saml_refusals import SamlRefused

log = logging.getLogger(__name__)
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"


@dataclass(frozen=True)
class ServiceProvider:
    """Our service provider for one organisation."""

    entity_id: str
    acs_url: str
    key_file: Path
    cert_file: Path
    #: seconds of difference allowed between the identity provider's clock and ours
    clock_skew_seconds: int = 90
    xmlsec_binary: str | None = None
    display_name: str = "OKR Academy"


@dataclass(frozen=True)
class SamlStart:
    """Where to send the browser, and the AuthnRequest's id to expect in the answer."""

    redirect_url: str
    request_id: str


def service_provider(config: Mapping, entity_id: str, acs_url: str,
                     now: datetime) -> ServiceProvider:
    """Our service provider at these URLs, with the installation's key pair (see saml_keys)."""
    key_file, cert_file = sp_key_pair(config.get("SAML_SP_KEY_PATH"),
                                      config.get("SAML_SP_CERT_PATH"), config["KEYS_DIR"], now)
    return ServiceProvider(entity_id=entity_id, acs_url=acs_url, key_file=key_file,
                           cert_file=cert_file,
                           clock_skew_seconds=int(config["SAML_CLOCK_SKEW_SECONDS"]))


def sp_metadata(sp: ServiceProvider) -> str:
    """Our SP metadata (XML), served at the entity id's URL for the identity provider."""
    return str(entity_descriptor(_config(sp, None)))


def start(sp: ServiceProvider, idp_metadata: str) -> SamlStart:
    """An AuthnRequest to the identity provider over HTTP-Redirect (unsigned: see README)."""
    idp = _idp(idp_metadata)
    client = Saml2Client(config=_config(sp, idp_metadata))
    request_id, info = client.prepare_for_authenticate(
        entityid=idp.entity_id, relay_state="", binding=BINDING_HTTP_REDIRECT,
        response_binding=BINDING_HTTP_POST)
    return SamlStart(redirect_url=dict(info["headers"])["Location"], request_id=request_id)


def consume(session: Session, organisation: Organisation, sp: ServiceProvider,
            idp_metadata: str, saml_response: str, request_id: str | None,
            now: datetime) -> Claims:
    """The claims of a SAMLResponse posted to our ACS, once every check passed.

    :param request_id: the id of the AuthnRequest this browser started, if any
    :raises SamlRefused: for every refusal (nothing is written then)
    """
    idp = _idp(idp_metadata)
    client = Saml2Client(config=_config(sp, idp_metadata))
    try:
        answer = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST)
    except Exception as error:  # pysaml2 raises bare Exceptions for some failed checks
        raise _refusal(error) from None
    assertion = _checked(answer, sp, idp.entity_id)
    _remember(session, organisation, assertion.id, _expiry(assertion, sp, now), now)
    _check_in_response_to(answer, assertion, request_id)
    return claims_from(answer.name_id, answer.ava or {})


def is_unsolicited(saml_response: str) -> bool:
    """True when the (not yet checked) answer names no request: the provider started the
    sign-in (an app tile on its dashboard). Such an answer signs nobody in; the caller starts
    a sign-on of its own instead, which the provider answers at once."""
    try:
        root = fromstring(base64.b64decode(saml_response, validate=True), forbid_dtd=True)
    except (ValueError, binascii.Error, ParseError, DefusedXmlException):
        return False
    return root.tag == f"{{{PROTOCOL_NS}}}Response" and not root.get("InResponseTo")


def _idp(idp_metadata: str):
    try:
        return read_idp(idp_metadata)
    except SamlMetadataError as error:
        raise SamlRefused("metadata-unusable", str(error)) from None


def _config(sp: ServiceProvider, idp_metadata: str | None) -> SPConfig:
    settings = {
        "entityid": sp.entity_id,
        "name": sp.display_name,
        # we sign nothing (no key_file: loading an RSA key costs ~0.3 s per request here);
        # identity providers may encrypt assertions to the certificate in our metadata
        "encryption_keypairs": [{"key_file": str(sp.key_file), "cert_file": str(sp.cert_file)}],
        "accepted_time_diff": sp.clock_skew_seconds,
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
            # InResponseTo is checked by `consume` after the replay cache, so that a replayed
            # assertion is told apart from an unknown one
            "allow_unsolicited": True,
            "authn_requests_signed": False,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        }},
        "metadata": {"inline": [idp_metadata]} if idp_metadata else {},
    }
    if sp.xmlsec_binary:
        settings["xmlsec_binary"] = sp.xmlsec_binary
    config = SPConfig()
    config.load(settings)
    return config


def _refusal(error: Exception) -> SamlRefused:
    """The reason behind one of pysaml2's exceptions (it has no codes: types and messages)."""
    detail = f"{type(error).__name__}: {error}"[:300]
    message = str(error)
    if isinstance(error, SignatureError) and "Signature missing" in message:
        reason = "unsigned-assertion"
    elif isinstance(error, SigverError):
        reason = "bad-signature"
    elif isinstance(error, (ResponseLifetimeExceed, ToEarly)):
        reason = "expired-assertion"
    elif "AudienceRestrictions" in message:
        reason = "wrong-audience"
    elif "recipient" in message:
        reason = "wrong-recipient"
    elif isinstance(error, StatusError):
        reason = "idp-error"
    elif isinstance(error, UnsolicitedResponse):
        reason = "unknown-request"
    else:
        log.info("SAML response refused: %s", detail)
        reason = "invalid-response"
    return SamlRefused(reason, detail)


def _checked(answer, sp: ServiceProvider, idp_entity_id: str):
    """The answer's one assertion, after the checks pysaml2 leaves to us."""
    if answer is None or answer.response is None:
        raise SamlRefused("invalid-response", "no response")
    destination = answer.response.destination
    if destination and destination != sp.acs_url:
        raise SamlRefused("wrong-recipient", f"Destination {destination[:200]}")
    assertion = answer.assertion
    if assertion is None or not assertion.id:
        raise SamlRefused("invalid-response", "no assertion")
    if assertion.signature is None:  # pysaml2 refuses this already; the rule is ours
        raise SamlRefused("unsigned-assertion", "assertion without signature")
    issuer = (assertion.issuer.text or "").strip() if assertion.issuer is not None else ""
    if issuer != idp_entity_id:
        raise SamlRefused("wrong-issuer", f"Issuer {issuer[:200]}")
    return assertion


def _expiry(assertion, sp: ServiceProvider, now: datetime) -> datetime:
    """Until when the assertion could be accepted: its earliest NotOnOrAfter plus the skew."""
    times = [assertion.conditions.not_on_or_after] if assertion.conditions is not None else []
    times += [confirmation.subject_confirmation_data.not_on_or_after
              for confirmation in assertion.subject.subject_confirmation
              if confirmation.subject_confirmation_data is not None]
    times = [value for value in times if value]
    if not times:
        raise SamlRefused("invalid-response", "no NotOnOrAfter")
    earliest = min(datetime(*str_to_time(value)[:6], tzinfo=UTC) for value in times)
    return earliest + timedelta(seconds=sp.clock_skew_seconds)


def _remember(session: Session, organisation: Organisation, assertion_id: str,
              expires_at: datetime, now: datetime) -> None:
    """Record the assertion as used; SamlRefused when it was used before (here or in a
    concurrent request: the unique index decides)."""
    assertion_id = assertion_id[:255]  # the column's size; IDs are far shorter in practice
    session.execute(delete(SamlAssertionSeen).where(SamlAssertionSeen.expires_at < now))
    seen = session.scalar(select(SamlAssertionSeen.id)
                          .where(SamlAssertionSeen.assertion_id == assertion_id))
    if seen is not None:
        raise SamlRefused("replayed-assertion", f"assertion {assertion_id[:100]}")
    try:
        with session.begin_nested():
            session.add(SamlAssertionSeen(assertion_id=assertion_id,
                                          organisation_id=organisation.id,
                                          expires_at=expires_at))
    except IntegrityError:
        raise SamlRefused("replayed-assertion", f"assertion {assertion_id[:100]}") from None


def _check_in_response_to(answer, assertion, request_id: str | None) -> None:
    """The answer and each bearer confirmation must name the request this browser started."""
    in_response_to = answer.response.in_response_to
    if not request_id or in_response_to != request_id:
        raise SamlRefused("unknown-request", f"InResponseTo {str(in_response_to)[:100]}")
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is None or data.in_response_to != request_id:
            raise SamlRefused("unknown-request", "confirmation InResponseTo differs")
