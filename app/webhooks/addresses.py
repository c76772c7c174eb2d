"""Which URLs an endpoint may have: public https addresses only (no SSRF).

A webhook makes the server send requests to an address someone typed in, so an address inside
the network (a private range, link-local such as the cloud metadata service at 169.254.169.254,
loopback, multicast, reserved) would let them reach what only the server can reach. The rule is
checked twice: when the URL is saved (every address its name resolves to), and at each
delivery, on the very address the connection is made to (a name may resolve elsewhere later).
Loopback over plain http is let through only when WEBHOOK_ALLOW_LOOPBACK says so (development,
tests).
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from app.webhooks.errors import EndpointRefused

MAX_URL_LENGTH = 2000

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), as text."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_allowed(address: str, allow_loopback: bool) -> bool:
    """True for a globally routable unicast address (or loopback, when allowed)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> str:
    """The URL, trimmed, when an endpoint may have it.

    :raises EndpointRefused: not https (plain http only for loopback, when allowed), with a
        user name or password, without a host, too long, not found, or resolving to an
        address that is not public
    """
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise EndpointRefused(_l("The URL is too long (at most %(max)d characters).",
                                 max=MAX_URL_LENGTH))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused(_l("This is not a URL that can receive webhooks."))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EndpointRefused(_l("Enter a full URL that starts with https://."))
    if parts.username is not None or parts.password is not None:
        raise EndpointRefused(_l("The URL must not contain a user name or password; check "
                                 "the messages with their signature instead."))
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = addresses_of(parts.hostname, port, allow_loopback=allow_loopback,
                             resolver=resolver)
    loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if parts.scheme == "http" and not (allow_loopback and loopback):
        raise EndpointRefused(_l("Enter a full URL that starts with https://."))
    return url


def addresses_of(host: str, port: int, *, allow_loopback: bool,
                 resolver: Resolver = resolve) -> list[str]:
    """The addresses of `host`, each of them allowed.

    :raises EndpointRefused: the host is not found, or one of its addresses is not public
    """
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            addresses = []
    if not addresses:
        raise EndpointRefused(_l("The host %(host)s cannot be found.", host=host))
    refused = [address for address in addresses if not address_allowed(address, allow_loopback)]
    if refused:
        raise EndpointRefused(_l("%(host)s is an address inside a private network (%(address)s); "
                                 "webhooks go to public addresses only.",
                                 host=host, address=refused[0]))
    return addresses
