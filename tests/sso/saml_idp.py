"""A SAML 2.0 identity provider for the tests: pysaml2's own IdP (`saml2.server.Server`) in a
small WSGI app on 127.0.0.1.

    python tests/sso/saml_idp.py --port 0 --dir /tmp/idp   # prints "listening <port>"

It makes its own key and self-signed certificate in --dir and serves:

- GET /metadata: its IdP metadata (signing certificate, HTTP-Redirect SSO endpoint);
- POST /service-providers: a service provider's metadata to trust (as an admin pastes it);
- GET /idp-initiated?sp=...&acs=...&email=...: an answer nobody asked for (a dashboard tile);
- GET /huge-metadata: 2 MiB, more than a service provider should read;
- GET /sso/redirect?SAMLRequest=...&RelayState=...&email=...&name=...&mode=...: reads the
  AuthnRequest, signs the person in without a form (the test names them) and answers with the
  HTTP-POST binding's auto-submitting form to the request's ACS URL.

`mode` makes the answers the service provider must refuse:
normal (assertion signed), signed-both (response and assertion signed), unsigned-assertion
(the response signed, its assertion not), unsigned (nothing signed), wrong-audience,
expired (issued 20 minutes ago, valid 5), tampered (signed, then the email changed),
wrong-recipient (Recipient and Destination elsewhere); encrypted is a good answer whose signed
assertion is encrypted to the service provider's certificate.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, class_name
from saml2.authn_context import PASSWORD
from saml2.attribute_converter import ac_factory
from saml2.config import IdPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import pre_signature_part, signed_instance_factory

MODES = ("normal", "encrypted", "signed-both", "unsigned-assertion", "unsigned", "wrong-audience",
         "expired", "tampered", "wrong-recipient")
URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


def make_key_pair(directory: Path) -> tuple[Path, Path]:
    """The IdP's RSA key and self-signed certificate (made once per directory)."""
    key_file, cert_file = directory / "idp-key.pem", directory / "idp-cert.pem"
    if key_file.exists():
        return key_file, cert_file
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def make_server_config(base_url: str, key_file: Path, cert_file: Path) -> IdPConfig:
    config = IdPConfig()
    config.load({
        "entityid": f"{base_url}/metadata",
        "key_file": str(key_file), "cert_file": str(cert_file),
        "service": {"idp": {
            "name": "Test IdP",
            "endpoints": {"single_sign_on_service": [(f"{base_url}/sso/redirect",
                                                      BINDING_HTTP_REDIRECT)]},
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": URI}},
            "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        }},
        "metadata": {},
    })
    return config


class TestIdentityProvider:
    """pysaml2's Server, answering every AuthnRequest for the person the query names."""

    def __init__(self, base_url: str, directory: Path) -> None:
        key_file, cert_file = make_key_pair(directory)
        self.server = Server(config=make_server_config(base_url, key_file, cert_file))
        self.metadata = str(entity_descriptor(self.server.config))

    def trust_service_provider(self, sp_metadata: str) -> None:
        """Load a service provider's metadata, as an admin pastes it into a real IdP."""
        if self.server.metadata is None:
            self.server.metadata = MetadataStore(ac_factory(), self.server.config)
        self.server.metadata.load("inline", sp_metadata)

    def answer(self, query: dict[str, str]) -> str:
        """The auto-submitting HTML form carrying the SAMLResponse to the request's ACS."""
        request = self.server.parse_authn_request(query["SAMLRequest"],
                                                  BINDING_HTTP_REDIRECT).message
        mode = query.get("mode", "normal")
        acs = request.assertion_consumer_service_url
        xml = self.response_xml(request.id, acs, request.issuer.text, query, mode)
        destination = "https://elsewhere.example/acs" if mode == "wrong-recipient" else acs
        info = self.server.apply_binding(BINDING_HTTP_POST, xml, destination,
                                         query.get("RelayState", ""), response=True)
        # the form posts to the request's ACS whatever the Destination inside says
        return info["data"].replace(f'action="{destination}"', f'action="{acs}"')

    def unsolicited(self, query: dict[str, str]) -> str:
        """An answer nobody asked for (an app tile on the IdP's dashboard): no InResponseTo."""
        xml = self.response_xml(None, query["acs"], query["sp"], query, "normal")
        info = self.server.apply_binding(BINDING_HTTP_POST, xml, query["acs"], "",
                                         response=True)
        return info["data"]

    def response_xml(self, request_id: str | None, acs: str, sp_entity_id: str,
                     query: dict[str, str], mode: str) -> str:
        email = query.get("email", "ada@acme.test")
        given, _, surname = query.get("name", "Ada Lovelace").partition(" ")
        identity = {"givenName": [given], "sn": [surname], "mail": [email]}
        if query.get("attributes") == "entra":
            claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
            identity = {f"{claims}emailaddress": [email], f"{claims}givenname": [given],
                        f"{claims}surname": [surname], f"{claims}name": [email]}
        name_id = NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email)
        if query.get("nameid") == "persistent":
            name_id = NameID(format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                             text="00u1abcd")
        authn = {"class_ref": PASSWORD, "authn_auth": "http://127.0.0.1/test-idp"}
        if mode == "encrypted":  # signed, then encrypted to the SP's certificate in its metadata
            return str(self.server.create_authn_response(
                identity, in_response_to=request_id, destination=acs,
                sp_entity_id=sp_entity_id, name_id=name_id, authn=authn, sign_response=True,
                sign_assertion=True, encrypt_assertion=True,
                encrypt_assertion_self_contained=True))
        response = self.server.create_authn_response(
            identity, in_response_to=request_id, destination=acs,
            sp_entity_id=sp_entity_id, name_id=name_id, authn=authn,
            sign_response=False, sign_assertion=False)
        response = factory_response(response)
        self.adjust(response, mode)
        return self.sign(response, mode, email)

    def adjust(self, response, mode: str) -> None:
        """Change what the mode says, before signing."""
        assertion = response.assertion
        if mode == "wrong-audience":
            restriction = assertion.conditions.audience_restriction[0]
            restriction.audience[0].text = "https://another-service.example/saml"
        if mode == "wrong-recipient":
            response.destination = "https://elsewhere.example/acs"
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.recipient = response.destination
        if mode == "expired":
            issued = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
            stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
            response.issue_instant = assertion.issue_instant = stamp(issued)
            assertion.conditions.not_before = stamp(issued)
            assertion.conditions.not_on_or_after = stamp(issued + dt.timedelta(minutes=5))
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.not_on_or_after = stamp(
                    issued + dt.timedelta(minutes=5))

    def sign(self, response, mode: str, email: str) -> str:
        """Sign the assertion and/or the response as the mode says; tamper after signing."""
        to_sign = []
        sec = self.server.sec
        if mode not in ("unsigned-assertion", "unsigned"):
            response.assertion.signature = pre_signature_part(response.assertion.id, sec.my_cert, 1)
            to_sign.append((class_name(response.assertion), response.assertion.id))
        if mode in ("signed-both", "unsigned-assertion"):
            response.signature = pre_signature_part(response.id, sec.my_cert, 2)
            to_sign.append((class_name(response), response.id))
        xml = signed_instance_factory(response, sec, to_sign) if to_sign else str(response)
        if isinstance(xml, bytes):
            xml = xml.decode("utf-8")
        if mode == "tampered":
            xml = xml.replace(email, email.replace("@", ".admin@"), 1)
        return xml


def factory_response(response):
    """create_authn_response gives the Response as a string when nothing is signed."""
    return response_from_string(response) if isinstance(response, str | bytes) else response


def make_app(idp: TestIdentityProvider):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = {key: values[0]
                 for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/service-providers" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            idp.trust_service_provider(environ["wsgi.input"].read(length).decode("utf-8"))
            start_response("204 No Content", [])
            return [b""]
        if path == "/huge-metadata":  # larger than any metadata the service provider reads
            start_response("200 OK", [("Content-Type", "application/xml")])
            return [b"<x>" + b" " * (2 * 1024 * 1024) + b"</x>"]
        if path == "/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [idp.metadata.encode("utf-8")]
        if path in ("/sso/redirect", "/idp-initiated") and ("SAMLRequest" in query
                                                            or "acs" in query):
            try:
                body = idp.answer(query) if "SAMLRequest" in query else idp.unsolicited(query)
            except Exception as error:  # the test reads the reason in the body
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [f"{type(error).__name__}: {error}".encode()]
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body.encode("utf-8")]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def exit_with_parent(parent: int) -> None:
    """Stop when the test run that started us is gone, even if it could not stop us."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", type=Path, required=True)
    options = parser.parse_args(argv)
    httpd = make_server("127.0.0.1", options.port, lambda e, s: None, WSGIServer, QuietHandler)
    base_url = f"http://127.0.0.1:{httpd.server_port}"
    httpd.set_app(make_app(TestIdentityProvider(base_url, options.dir)))
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print(f"listening {httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
