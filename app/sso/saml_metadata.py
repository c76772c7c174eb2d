"""An identity provider's SAML metadata: checked when it is pasted, read from its URL.

The settings page shows every problem at once (`validate_idp_metadata`); starting or finishing
a sign-on needs metadata that passed (`read_idp`). XML is parsed with defusedxml (no entities,
no external references) and held to a size limit; a metadata URL is read over https (plain http
only on the loopback address when the setting allows it), with a timeout and the same limit.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from cryptography import x509
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from flask_babel import lazy_gettext as _l

from app.domain import DomainError
from app.models import SignOnConnection

log = logging.getLogger(__name__)

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#: no identity provider's metadata comes near this; federation aggregates (thousands of
#: providers) are not what an organisation pastes
MAX_METADATA_BYTES = 1024 * 1024
LOOPBACK_HOSTS = frozenset({"localhost"})


class SamlMetadataError(DomainError):
    """The identity provider's metadata cannot be used; the message says why."""


@dataclass(frozen=True)
class IdentityProvider:
    """What our service provider needs from the identity provider's metadata."""

    entity_id: str
    sso_redirect_url: str
    signing_certificates: tuple[str, ...]


def validate_idp_metadata(xml: str) -> list:
    """Every problem of pasted metadata, as sentences for the settings page; [] when usable."""
    problems: list = []
    root = _parse(xml, problems)
    if root is None:
        return problems
    descriptors = _idp_entities(root)
    if len(descriptors) != 1:
        problems.append(_l("The metadata must describe exactly one identity provider "
                           "(an IDPSSODescriptor); it describes %(count)d.",
                           count=len(descriptors)))
        return problems
    entity, descriptor = descriptors[0]
    if not entity.get("entityID", "").strip():
        problems.append(_l("The identity provider has no entityID."))
    if not _signing_certificates(descriptor):
        problems.append(_l("The metadata has no signing certificate (a KeyDescriptor with an "
                           "X509Certificate), so no answer could be checked."))
    if not _redirect_sso_url(descriptor):
        problems.append(_l("The metadata has no single sign-on address for the HTTP-Redirect "
                           "binding (a SingleSignOnService with that binding)."))
    return problems


def validate_metadata(xml: str) -> None:
    """Raise SamlMetadataError with the first problem of pasted metadata, if any."""
    problems = validate_idp_metadata(xml)
    if problems:
        raise SamlMetadataError(problems[0])


def read_idp(xml: str) -> IdentityProvider:
    """The identity provider of metadata that passed `validate_idp_metadata`."""
    validate_metadata(xml)
    entity, descriptor = _idp_entities(_parse(xml, []))[0]
    return IdentityProvider(entity_id=entity.get("entityID").strip(),
                            sso_redirect_url=_redirect_sso_url(descriptor),
                            signing_certificates=_signing_certificates(descriptor))


def current_idp_metadata(connection: SignOnConnection, now: datetime, *, max_age: timedelta,
                         timeout: float, allow_loopback_http: bool) -> str:
    """The provider's metadata: read from its URL when one is set (again once the copy is older
    than `max_age`; the old copy serves while the URL does not answer), else the pasted XML.

    The copy is stored on the connection (its `updated_at` says when it was read).
    """
    url, copy = connection.saml_idp_metadata_url, connection.saml_idp_metadata
    if url and (not copy or connection.updated_at <= now - max_age):
        try:
            copy = fetch_idp_metadata(url, timeout=timeout,
                                      allow_loopback_http=allow_loopback_http)
        except SamlMetadataError as error:
            if not copy:
                raise
            log.warning("Metadata of %s not read again, the old copy serves: %s", url, error)
        connection.saml_idp_metadata, connection.updated_at = copy, now
    if not copy:
        raise SamlMetadataError(_l("No metadata of the identity provider is set."))
    return copy


def fetch_idp_metadata(url: str, *, timeout: float, allow_loopback_http: bool) -> str:
    """Read metadata from the identity provider's URL; SamlMetadataError says what went wrong.

    Redirects are not followed (each hop would need the same checks), and the body is read
    only up to the size limit.
    """
    check_metadata_url(url, allow_loopback_http)
    try:
        with requests.get(url, timeout=timeout, stream=True, allow_redirects=False,
                          headers={"Accept": "application/samlmetadata+xml, application/xml, "
                                             "text/xml"}) as response:
            if response.status_code != 200:
                raise SamlMetadataError(_l("The metadata URL answered with status %(status)d.",
                                           status=response.status_code))
            body = _read_limited(response)
    except requests.RequestException:
        raise SamlMetadataError(_l("The metadata URL could not be read (no answer in time, "
                                   "or the connection failed).")) from None
    try:
        xml = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SamlMetadataError(_l("The metadata URL did not answer with UTF-8 XML.")) from None
    validate_metadata(xml)
    return xml


def check_metadata_url(url: str, allow_loopback_http: bool) -> str:
    """`url` when it may be read: https, or http on the loopback address when allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and allow_loopback_http and _is_loopback(parts.hostname or ""):
        return url
    raise SamlMetadataError(_l("The metadata URL must start with https://."))


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_limited(response: requests.Response) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body.extend(chunk)
        if len(body) > MAX_METADATA_BYTES:
            raise SamlMetadataError(_l("The metadata is larger than %(size)d KiB.",
                                       size=MAX_METADATA_BYTES // 1024))
    return bytes(body)


def _parse(xml: str, problems: list):
    if len((xml or "").encode("utf-8")) > MAX_METADATA_BYTES:
        problems.append(_l("The metadata is larger than %(size)d KiB.",
                           size=MAX_METADATA_BYTES // 1024))
        return None
    try:
        return fromstring((xml or "").strip().encode("utf-8"), forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        problems.append(_l("The metadata is not well-formed XML (or uses DTDs or entities, "
                           "which are not accepted)."))
        return None


def _idp_entities(root) -> list[tuple]:
    """(EntityDescriptor, its SAML 2.0 IDPSSODescriptor) element pairs of the document."""
    entities = [root] if root.tag == f"{MD}EntityDescriptor" else \
        list(root.iter(f"{MD}EntityDescriptor")) if root.tag == f"{MD}EntitiesDescriptor" else []
    return [(entity, descriptor) for entity in entities
            for descriptor in entity.findall(f"{MD}IDPSSODescriptor")
            if SAML2_PROTOCOL in descriptor.get("protocolSupportEnumeration", "").split()]


def _signing_certificates(descriptor) -> tuple[str, ...]:
    """The descriptor's certificates usable for signing (use="signing" or no use), as base64."""
    found = []
    for key in descriptor.findall(f"{MD}KeyDescriptor"):
        if key.get("use", "signing") != "signing":
            continue
        for element in key.iter(f"{DS}X509Certificate"):
            text = "".join((element.text or "").split())
            if _is_certificate(text):
                found.append(text)
    return tuple(found)


def _is_certificate(text: str) -> bool:
    try:
        x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        return False
    return True


def _redirect_sso_url(descriptor) -> str:
    for service in descriptor.findall(f"{MD}SingleSignOnService"):
        location = (service.get("Location") or "").strip()
        if service.get("Binding") == BINDING_REDIRECT and location.startswith(("https://",
                                                                                "http://")):
            return location
    return ""
