"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread of the test process.

It keeps each message it accepts (the raw bytes and the envelope) and can be told to behave
like the servers mail meets in the wild: require AUTH, speak STARTTLS or implicit TLS with a
certificate of a throwaway CA, refuse a recipient (550) or the data (451), or *hold* the reply
to DATA until the test releases it. A message whose connection closed before the server's 250
was sent is not kept: the client never learnt it was accepted, so by SMTP it was not
(RFC 5321 §4.1.1.4, §6.1). Stopping the server frees its port; starting it again listens on
the same port.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.mailbox import parse

HOST = "127.0.0.1"
#: aiosmtpd logs a deprecation of its own at each login
logging.getLogger("mail.log").setLevel(logging.ERROR)
#: how long a test waits for the server (never reached when all is well)
PATIENCE = 15.0


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope, the bytes, how the client connected."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return parse(self.raw)


class PrivateCa:
    """A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and
    localhost, written as PEM files into `folder` (`ca_file` is what a client trusts)."""

    def __init__(self, folder: Path, name: str = "Test Mail CA") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(minutes=5))
              .not_valid_after(now + timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=True,
                                           crl_sign=True, encipher_only=False,
                                           decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                  .issuer_name(ca_name).public_key(key.public_key())
                  .serial_number(x509.random_serial_number())
                  .not_valid_before(now - timedelta(minutes=5))
                  .not_valid_after(now + timedelta(days=1))
                  .add_extension(x509.SubjectAlternativeName([
                      x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
                      critical=False)
                  .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                 critical=True)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                 critical=False)
                  .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                      ca_key.public_key()), critical=False)
                  .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        self.ca_file = folder / "ca.pem"
        self.cert_file = folder / "server.pem"
        self.key_file = folder / "server-key.pem"
        self.ca_file.write_bytes(ca.public_bytes(pem))
        self.cert_file.write_bytes(server.public_bytes(pem))
        self.key_file.write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An SMTP server on 127.0.0.1:`port` (a free one unless given).

    :param username: with `password`, AUTH is required (the client logs in with them); None
        accepts mail without AUTH
    :param tls: None (plain), "starttls" (STARTTLS required before MAIL) or "implicit" (TLS from
        the first byte, as on port 465); both need `ca`
    """

    def __init__(self, *, port: int | None = None, username: str | None = "mailer",
                 password: str = "s3cret", tls: str | None = None,
                 ca: PrivateCa | None = None) -> None:
        if tls not in (None, "starttls", "implicit"):
            raise ValueError(f"tls must be None, 'starttls' or 'implicit', not {tls!r}")
        if tls and ca is None:
            raise ValueError("TLS needs a PrivateCa")
        self.port = port or free_port()
        self.username, self.password, self.tls, self.ca = username, password, tls, ca
        #: address (lower case) -> the reply to RCPT TO, e.g. "550 5.1.1 No such user"
        self.refused_recipients: dict[str, str] = {}
        #: the reply to every DATA instead of accepting it, e.g. "451 4.3.0 Try again later"
        self.data_reply: str | None = None
        #: set while a held DATA waits for :meth:`release`
        self.data_waiting = threading.Event()
        self._holding = False
        self._released = threading.Event()
        self._received: list[Received] = []
        self._abandoned: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- what it received ------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def abandoned(self) -> list[Received]:
        """Messages read in full whose connection closed while their DATA was held: not
        accepted (the client never got the 250), kept here only for the tests to look at."""
        with self._lock:
            return list(self._abandoned)

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed as a mail client reads them, oldest first."""
        return [received.message for received in self.received]

    def wait_for(self, count: int, timeout: float = PATIENCE) -> list[EmailMessage]:
        """The messages once at least `count` arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} message(s) arrived within "
                                     f"{timeout:.0f} s, expected {count}")
            time.sleep(0.02)
        return self.messages

    # --- how it behaves ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The MAIL_URL of this server (user and password URL-encoded)."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        login = ""
        if self.username is not None:
            login = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        query = "?tls=required" if self.tls == "starttls" else ""
        return f"{scheme}://{login}{HOST}:{self.port}{query}"

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        self.refused_recipients[address.lower()] = reply

    def hold(self) -> None:
        """Hold every reply to DATA (the message is read, the 250 waits) until :meth:`release`."""
        self._released.clear()
        self.data_waiting.clear()
        self._holding = True

    def release(self) -> None:
        """Answer the held DATA (and every later one) at once."""
        self._released.set()

    # --- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        if self._controller is not None:
            return self
        options: dict = dict(hostname=HOST, port=self.port, server_hostname="localhost",
                             ready_timeout=PATIENCE)
        if self.username is not None:
            options.update(auth_required=True, authenticator=self._authenticate)
        if self.tls == "starttls":
            options.update(tls_context=self.ca.server_context(), require_starttls=True)
        elif self.tls == "implicit":
            options.update(ssl_context=self.ca.server_context())
        controller = _Controller(_Handler(self), auth_without_tls=self.tls != "starttls",
                                 **options)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening and close the connections: the port refuses until :meth:`start`."""
        controller, self._controller = self._controller, None
        if controller is not None:
            self.release()  # a held DATA must not keep the server's loop waiting
            controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    # --- the protocol's hooks ---------------------------------------------------------------

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.username.encode()
              and auth_data.password == self.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _keep(self, server: SMTP, session: Session, envelope: Envelope, *,
              accepted: bool = True) -> None:
        transport = server.transport
        login = session.auth_data.login.decode() if session.authenticated else None
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                            bytes(envelope.original_content or b""),
                            tls=transport is not None
                            and transport.get_extra_info("ssl_object") is not None,
                            login=login)
        with self._lock:
            (self._received if accepted else self._abandoned).append(received)


class _Controller(Controller):
    """AUTH waits for STARTTLS on a STARTTLS server; a plain one takes it without TLS (in these
    tests only), and so does an implicit-TLS one, which aiosmtpd cannot tell is TLS."""

    def __init__(self, handler, *, auth_without_tls: bool, **options) -> None:
        super().__init__(handler, **options)
        self.auth_without_tls = auth_without_tls

    def factory(self) -> SMTP:
        server = SMTP(self.handler, **self.SMTP_kwargs)
        if self.auth_without_tls:
            server._auth_require_tls = False
        return server


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.owner.refused_recipients.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        owner = self.owner
        if owner.data_reply:
            return owner.data_reply
        if owner._holding and not owner._released.is_set():
            owner.data_waiting.set()
            try:
                while not owner._released.is_set():
                    await asyncio.sleep(0.01)
            except asyncio.CancelledError:  # the client hung up (or the server stops)
                owner._keep(server, session, envelope, accepted=False)
                raise
        if server.transport is None or server.transport.is_closing():
            owner._keep(server, session, envelope, accepted=False)
            return "421 4.4.2 Connection closed before the message was accepted"
        owner._keep(server, session, envelope)
        return "250 2.0.0 Message accepted for delivery"
