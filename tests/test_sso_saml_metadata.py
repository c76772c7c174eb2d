"""SAML pieces that need no identity provider running: the IdP metadata the settings page
checks, the claims read from an assertion, and our service provider's key pair."""
from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings, strategies as st
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT, NameID

from app.sso.saml_claims import claims_from
from app.sso.saml_keys import CERT_FILE, KEY_FILE, SamlKeyError, sp_key_pair
from app.sso.saml_metadata import (
    SamlMetadataError, check_metadata_url, read_idp, validate_idp_metadata, validate_metadata,
)
from app.sso.saml_refusals import SamlRefused

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@pytest.fixture(scope="module")
def certificate() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(certificate: str = "", *, binding: str = REDIRECT, use: str = "signing",
             entity_id: str = "https://idp.example/saml", idps: int = 1) -> str:
    use_attribute = f' use="{use}"' if use else ""
    key = (f'<md:KeyDescriptor{use_attribute}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
           f"{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
           if certificate else "")
    descriptor = (
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'{key}<md:SingleSignOnService Binding="{binding}" Location="https://idp.example/sso"/>'
        "</md:IDPSSODescriptor>")
    namespaces = ('xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                  'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"')
    if idps == 1:
        return f'<md:EntityDescriptor {namespaces} entityID="{entity_id}">{descriptor}' \
               "</md:EntityDescriptor>"
    entities = "".join(f'<md:EntityDescriptor entityID="{entity_id}/{n}">{descriptor}'
                       "</md:EntityDescriptor>" for n in range(idps))
    return f"<md:EntitiesDescriptor {namespaces}>{entities}</md:EntitiesDescriptor>"


def test_usable_metadata_has_no_problem_and_gives_the_provider(certificate):
    xml = metadata(certificate)
    assert validate_idp_metadata(xml) == []
    idp = read_idp(xml)
    assert (idp.entity_id, idp.sso_redirect_url) == ("https://idp.example/saml",
                                                      "https://idp.example/sso")
    assert idp.signing_certificates == (certificate,)
    assert validate_idp_metadata(metadata(certificate, use="")) == []  # no use: both


@pytest.mark.parametrize("xml, words", [
    ("not xml at all", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     "<d>&b;</d>", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
     "not well-formed"),
    ("<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'>"
     "<md:SPSSODescriptor protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol'/>"
     "</md:EntityDescriptor>", "exactly one identity provider"),
    ("<x>" + " " * (1024 * 1024) + "</x>", "larger than"),
])
def test_unusable_xml_is_explained(xml, words):
    problems = [str(problem) for problem in validate_idp_metadata(xml)]
    assert len(problems) == 1 and words in problems[0]
    with pytest.raises(SamlMetadataError):
        validate_metadata(xml)


def test_every_missing_piece_is_named(certificate):
    assert [str(p) for p in validate_idp_metadata(metadata())] == [
        "The metadata has no signing certificate (a KeyDescriptor with an X509Certificate), so "
        "no answer could be checked."]
    assert "HTTP-Redirect" in str(validate_idp_metadata(metadata(certificate, binding=POST))[0])
    assert "no signing certificate" in str(
        validate_idp_metadata(metadata(certificate, use="encryption"))[0])
    assert "no signing certificate" in str(validate_idp_metadata(metadata("bm90IGEgY2VydA=="))[0])
    assert "entityID" in str(validate_idp_metadata(metadata(certificate, entity_id=" "))[0])
    assert "it describes 2" in str(validate_idp_metadata(metadata(certificate, idps=2))[0])


@pytest.mark.parametrize("url, loopback, ok", [
    ("https://idp.example/metadata", False, True),
    ("http://idp.example/metadata", True, False),
    ("http://127.0.0.1:8080/metadata", True, True),
    ("http://[::1]:8080/metadata", True, True),
    ("http://localhost/metadata", True, True),
    ("http://127.0.0.1:8080/metadata", False, False),
    ("file:///etc/passwd", True, False),
    ("ftp://idp.example/metadata", False, False),
])
def test_metadata_urls_are_https_or_loopback_when_allowed(url, loopback, ok):
    if ok:
        assert check_metadata_url(url, loopback) == url
    else:
        with pytest.raises(SamlMetadataError):
            check_metadata_url(url, loopback)


# --- claims -----------------------------------------------------------------------------------

ENTRA = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def email_name_id(text: str) -> NameID:
    return NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=text)


def test_email_from_an_email_name_id_and_the_name_from_display_name():
    claims = claims_from(email_name_id("ada@acme.test"),
                         {"displayName": ["Ada King"], "givenName": ["Ada"], "sn": ["Lovelace"]})
    assert (claims.protocol, claims.subject, claims.email, claims.email_verified, claims.name) \
        == ("saml", "ada@acme.test", "ada@acme.test", True, "Ada King")


def test_entra_claims_with_a_persistent_name_id():
    claims = claims_from(NameID(format=NAMEID_FORMAT_PERSISTENT, text="a1b2"),
                         {f"{ENTRA}emailaddress": ["grace@acme.test"],
                          f"{ENTRA}name": ["grace@acme.test"],  # Entra's UPN: not a name
                          f"{ENTRA}givenname": ["Grace"], f"{ENTRA}surname": ["Hopper"]})
    assert (claims.subject, claims.email, claims.name) == ("a1b2", "grace@acme.test",
                                                           "Grace Hopper")
    only_upn = claims_from(NameID(format=NAMEID_FORMAT_PERSISTENT, text="a1b2"),
                           {f"{ENTRA}emailaddress": ["g@acme.test"],
                            f"{ENTRA}name": ["g@acme.test"]})
    assert only_upn.name is None  # the account falls back to the address's local part


def test_no_email_anywhere_is_refused():
    with pytest.raises(SamlRefused) as refused:
        claims_from(NameID(format=NAMEID_FORMAT_PERSISTENT, text="a1b2"), {"name": ["Ada"]})
    assert refused.value.reason == "no-email"
    with pytest.raises(SamlRefused):
        claims_from(None, {"email": ["ada@acme.test"]})  # no subject


ATTRIBUTE_STYLES = {  # how providers name the email attribute
    "email": "email", "mail": "mail", "okta": "Email", "oid": "mail",
    "entra": f"{ENTRA}emailaddress", "urn": "urn:custom:EmailAddress",
}


@settings(max_examples=60, deadline=None)
@given(style=st.sampled_from(sorted(ATTRIBUTE_STYLES)), name_id_is_email=st.booleans(),
       given_name=st.sampled_from(["", "Ada"]), surname=st.sampled_from(["", "Lovelace"]),
       display=st.sampled_from(["", "Countess Lovelace"]))
def test_email_and_name_whatever_the_attribute_names(style, name_id_is_email, given_name,
                                                     surname, display):
    attributes = {ATTRIBUTE_STYLES[style]: ["attr@acme.test"]}
    for key, value in (("givenName", given_name), ("sn", surname), ("displayName", display)):
        if value:
            attributes[key] = [value]
    name_id = email_name_id("nameid@acme.test") if name_id_is_email else \
        NameID(format=NAMEID_FORMAT_PERSISTENT, text="opaque-id")
    claims = claims_from(name_id, attributes)
    assert claims.email == ("nameid@acme.test" if name_id_is_email else "attr@acme.test")
    expected = display or " ".join(part for part in (given_name, surname) if part) or None
    assert claims.name == expected


# --- our key pair -----------------------------------------------------------------------------

def test_the_key_pair_is_made_once_private_and_kept(tmp_path):
    now = datetime.now(UTC)
    key_file, cert_file = sp_key_pair(None, None, tmp_path / "keys", now)
    assert (key_file.name, cert_file.name) == (KEY_FILE, CERT_FILE)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = cert_file.read_bytes()
    assert sp_key_pair(None, None, tmp_path / "keys", now) == (key_file, cert_file)
    assert cert_file.read_bytes() == first
    certificate = x509.load_pem_x509_certificate(first)
    assert certificate.not_valid_after_utc > now + timedelta(days=3000)


def test_configured_files_are_used_and_must_both_exist(tmp_path):
    key_file, cert_file = sp_key_pair(None, None, tmp_path, datetime.now(UTC))
    assert sp_key_pair(str(key_file), str(cert_file), "/nowhere", datetime.now(UTC)) == (
        key_file, cert_file)
    with pytest.raises(SamlKeyError):
        sp_key_pair(str(key_file), "", "/nowhere", datetime.now(UTC))
    with pytest.raises(SamlKeyError):
        sp_key_pair(str(key_file), str(tmp_path / "missing.pem"), "/nowhere", datetime.now(UTC))
