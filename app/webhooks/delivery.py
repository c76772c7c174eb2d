"""One attempt at a delivery: sign the message (Standard Webhooks) and POST it.

Signing uses `standardwebhooks`, the specification's reference implementation, which is also
what receivers verify with: the bytes signed (`id.timestamp.body`), the secret's encoding and
the header format are theirs, not a copy of ours that could drift. After a rotation the
message carries two signatures (new and previous secret, space-separated, as the specification
allows), so a receiver still holding the old secret keeps verifying.

The request: one POST, a timeout, no redirect followed (a 3xx is a failed attempt), and only
the first bytes of the answer read. The connection is made to an address checked by
:mod:`app.webhooks.addresses` at this moment, so a name that resolves elsewhere since it was
saved cannot lead into the private network; TLS still verifies the certificate of the name.
"""
from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from math import floor
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from app.webhooks.addresses import addresses_of
from app.webhooks.errors import EndpointRefused

USER_AGENT = "OKR-Academy-Webhooks/1"
#: how much of an answer is read, and how much of it the log keeps
READ_BYTES = 1024
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Attempt:
    """What one attempt found: the status code (None when no answer came) or why it failed."""

    status_code: int | None = None
    excerpt: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status_code is not None \
            and 200 <= self.status_code < 300


def signed_headers(event_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed with each secret."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in secrets)
    return {"webhook-id": event_id, "webhook-timestamp": str(floor(at.timestamp())),
            "webhook-signature": signatures}


def post(url: str, event_id: str, body: str, secrets: list[str], *, timeout: float,
         allow_loopback: bool) -> Attempt:
    """Sign and send the message once; the outcome, never an exception for a network fault.

    The signature's timestamp is the moment of sending, read here: receivers refuse a message
    whose timestamp is more than a few minutes from their own clock.
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        address = addresses_of(parts.hostname or "", port, allow_loopback=allow_loopback)[0]
    except EndpointRefused as refusal:
        return Attempt(error=str(refusal))
    headers = signed_headers(event_id, body, secrets, datetime.now(UTC))
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    connection_class = _PinnedHTTPS if https else _PinnedHTTP
    connection = connection_class(parts.hostname, port, address=address, timeout=timeout)
    try:
        connection.request("POST", _target(parts), body=body.encode("utf-8"), headers=headers)
        response = connection.getresponse()
        excerpt = response.read(READ_BYTES).decode("utf-8", "replace")[:EXCERPT_CHARS]
    except (OSError, http.client.HTTPException) as error:
        return Attempt(error=_describe(error))
    finally:
        connection.close()
    if 300 <= response.status < 400:
        location = (response.getheader("Location") or "")[:200]
        return Attempt(response.status, excerpt,
                       f"HTTP {response.status}: redirect to {location} not followed")
    if not 200 <= response.status < 300:
        return Attempt(response.status, excerpt, f"HTTP {response.status}")
    return Attempt(response.status, excerpt)


def _target(parts) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "Timeout: no answer in time"
    return f"{type(error).__name__}: {error}"[:500]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a checked address, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    """HTTPS to a checked address; the certificate is verified for the host name."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
