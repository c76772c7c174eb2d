"""Revocation and suspension anyone can check: W3C Bitstring Status List v1.0.

Every certificate holds a fixed entry (``Certificate.status_list_index``, given at issuance and
never reused). Two public status lists, one per purpose, each carry one bit per entry: bit set
in ``revocation`` = revoked, bit set in ``suspension`` = suspended now (reinstating clears it).
:func:`credential_status` gives a certificate's two entries; an Open Badges credential names
its revocation entry in ``credentialStatus`` (OB 3.0 allows one: :func:`open_badge_status`),
so a verifier holding only the credential can fetch the list and read its bit, without the
issuer learning which credential anyone asked about.

A list is computed from the certificates table on request (one query, reading the index only),
so it is current by construction after every revocation, suspension and reinstatement.

Encoding (the specification's and the reference library's): the bitstring is at least 16 KB
(131,072 entries), entry 0 is the left-most (most significant) bit of the first byte; it is
GZIP-compressed, then base64url-encoded without padding and prefixed with "u" (multibase).

The list is a ``BitstringStatusListCredential``. Its validity is stated per hour
(``validFrom`` = the start of the hour it was computed in, ``validUntil`` one day later), so
the same statuses give the same bytes all hour long (a stable ETag, answers 304) and a copy
stops being valid a day after it was served. ``ttl`` asks verifiers to fetch again after
five minutes, as the HTTP caching headers do.

It is served two ways, both signed by the issuer's Ed25519 key: to a client that asks for
``application/vc+jwt``, a VC-JWT (W3C VC-JOSE-COSE: the payload is the credential itself,
header ``typ: vc+jwt``, checkable with our JWKS); to everyone else, the credential as JSON
with an embedded Data Integrity proof (``eddsa-rdfc-2022``, checkable with our did:web
document), which is what the Bitstring Status List libraries dereference and read.
"""
from __future__ import annotations

import base64
import binascii
import functools
import gzip
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.certificates import data_integrity
from app.certificates.badge import VC_CONTEXT, epoch, quiet_algorithm_notice
from app.certificates.did import did_web
from app.certificates.signing import ALGORITHM, KeyRing
from app.models import Certificate
from app.models.certificates import REVOKED, SUSPENDED

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer

REVOCATION, SUSPENSION = "revocation", "suspension"
#: each purpose and the certificate status that sets its bit
PURPOSES = {REVOCATION: REVOKED, SUSPENSION: SUSPENDED}
#: the specification's minimum size: 16 KB of bits; lists grow by whole blocks of this size
BLOCK_ENTRIES = 16 * 1024 * 8
#: where the lists are published, under the issuer's URL
LIST_PATH = "/credentials/status/"
#: VC-JOSE-COSE: a credential secured as a JWT is served as application/vc+jwt, typ vc+jwt
JWT_MEDIA_TYPE = "application/vc+jwt"
JWT_TYPE = "vc+jwt"
#: how long verifiers and caches may keep a list before fetching it again
TTL = timedelta(minutes=5)
#: a list states its validity from the start of the hour it was made in, for a day
VALIDITY_STEP = timedelta(hours=1)
VALIDITY = timedelta(days=1)
_MULTIBASE_BASE64URL = "u"
#: a decoded list larger than this is refused (10 million entries)
_MAX_BYTES = 10_000_000 // 8


class StatusListError(ValueError):
    """An encoded status list is malformed."""


# --- what a credential says about its status ------------------------------------------------

def list_url(issuer_url: str, purpose: str) -> str:
    """The stable public URL of a status list."""
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown status purpose {purpose!r}.")
    return f"{issuer_url.rstrip('/')}{LIST_PATH}{purpose}"


def credential_status(certificate: Certificate, issuer_url: str) -> list[dict[str, str]]:
    """The two ``credentialStatus`` entries of a certificate's credential (revocation, then
    suspension): where a verifier reads its bit."""
    index = certificate.status_list_index
    entries = []
    for purpose in PURPOSES:
        url = list_url(issuer_url, purpose)
        entries.append({
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": url,
        })
    return entries


def open_badge_status(certificate: Certificate, issuer_url: str) -> dict[str, str]:
    """The one ``credentialStatus`` an Open Badges 3.0 credential may carry (OB 3.0 gives it
    cardinality 0..1, and its JSON schema an object, not a list): the revocation entry.

    The suspension list is published all the same; a suspended certificate's badge is not
    handed out, and the verification page and API state the suspension.
    """
    return credential_status(certificate, issuer_url)[0]


# --- entries ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatusList:
    """One purpose's list: how many entries it has, and which are set."""

    purpose: str
    length: int
    indexes: frozenset[int]

    def encoded(self) -> str:
        """The ``encodedList`` value."""
        return encode(self.indexes, self.length)


def load(session: Session, purpose: str) -> StatusList:
    """The list of a purpose as the certificates table has it now, in one query.

    The query reads the highest entry given (the list covers every certificate) and the entries
    whose certificate has the purpose's status, from the index on (status, status_list_index).
    """
    status = PURPOSES[purpose]
    top = select(func.max(Certificate.status_list_index).label("top")).subquery()
    rows = session.execute(
        select(top.c.top, Certificate.status_list_index).select_from(top)
        .outerjoin(Certificate, Certificate.status == status)).all()
    highest = rows[0][0] if rows else None
    indexes = frozenset(index for _, index in rows if index is not None)
    return StatusList(purpose, list_length(highest), indexes)


def list_length(highest_index: int | None) -> int:
    """Entries a list needs to cover every index up to `highest_index`: whole 16 KB blocks."""
    needed = 0 if highest_index is None else highest_index + 1
    blocks = max(1, -(-needed // BLOCK_ENTRIES))
    return blocks * BLOCK_ENTRIES


# --- encoding -----------------------------------------------------------------------------------

def encode(indexes: Iterable[int], length: int) -> str:
    """Set the given entries in a bitstring of `length` entries; return the encodedList.

    :raises ValueError: the length is not a positive multiple of 8, or an index is outside it
    """
    if length <= 0 or length % 8:
        raise ValueError("A status list length must be a positive multiple of 8.")
    bits = bytearray(length // 8)
    for index in indexes:
        if not 0 <= index < length:
            raise ValueError(f"Entry {index} is outside a list of {length} entries.")
        bits[index >> 3] |= 0x80 >> (index & 7)
    # mtime 0: the same statuses always give the same bytes (and the same ETag)
    compressed = gzip.compress(bytes(bits), compresslevel=6, mtime=0)
    return _MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode(encoded: str) -> bytes:
    """The bitstring of an encodedList.

    :raises StatusListError: no multibase "u" prefix, not base64url, not GZIP, or too large
    """
    if not isinstance(encoded, str) or not encoded.startswith(_MULTIBASE_BASE64URL):
        raise StatusListError('An encoded status list starts with "u" (multibase base64url).')
    text = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = decompressor.decompress(compressed, _MAX_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise StatusListError(f"The status list is not base64url GZIP data ({exc}).") from exc
    if len(bits) > _MAX_BYTES:
        raise StatusListError("The status list is larger than any we publish.")
    if not decompressor.eof:
        raise StatusListError("The status list is truncated.")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """The entry's bit in a decoded bitstring.

    :raises IndexError: the index is outside the list (the specification's RANGE_ERROR)
    """
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"Entry {index} is outside a list of {len(bits) * 8} entries.")
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def set_entries(bits: bytes) -> set[int]:
    """Every entry whose bit is set in a decoded bitstring."""
    return {position * 8 + bit for position, byte in enumerate(bits) if byte
            for bit in range(8) if byte & (0x80 >> bit)}


# --- the published credential -------------------------------------------------------------------

def status_list_credential(status_list: StatusList, *, issuer_url: str, issuer_name: str,
                           now: datetime) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` of a list (unsigned JSON)."""
    url = list_url(issuer_url, status_list.purpose)
    valid_from = _start_of_step(now)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "name": f"{issuer_name}: certificate {status_list.purpose} list",
        # the same issuer as the credentials that point here (verifiers compare the two)
        "issuer": {"id": did_web(issuer_url), "name": issuer_name},
        "validFrom": _timestamp(valid_from),
        "validUntil": _timestamp(valid_from + VALIDITY),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": status_list.encoded(),
            "ttl": int(TTL.total_seconds() * 1000),
        },
    }


def sign(credential: dict[str, Any], keyring: KeyRing) -> str:
    """Secure a credential as a VC-JWT (VC-JOSE-COSE: the payload is the credential itself,
    typ vc+jwt), EdDSA with the ring's signing key, which the published JWKS holds."""
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(keyring.signing_key)
    header = {"alg": ALGORITHM, "kid": keyring.signing_kid, "typ": JWT_TYPE, "cty": "vc"}
    claims = {**credential, "iss": credential["issuer"]["id"], "jti": credential["id"],
              "nbf": epoch(credential["validFrom"]), "exp": epoch(credential["validUntil"])}
    with quiet_algorithm_notice():
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def published(session: Session, purpose: str, issuer: CertificateIssuer, now: datetime, *,
              as_jwt: bool) -> bytes:
    """The bytes served at a list's URL: the VC-JWT, or the credential as JSON with its
    embedded Data Integrity proof (eddsa-rdfc-2022), both by the issuer's Ed25519 key."""
    credential = status_list_credential(load(session, purpose), issuer_url=issuer.url,
                                        issuer_name=issuer.name, now=now)
    unsigned = json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    return _secured(unsigned, issuer.keyring, issuer.url, as_jwt)


@functools.lru_cache(maxsize=32)
def _secured(unsigned: str, keyring: KeyRing, issuer_url: str, as_jwt: bool) -> bytes:
    # Both proofs are deterministic (Ed25519), so a list whose statuses did not change is
    # signed once per process and hour, not once per request.
    credential = json.loads(unsigned)
    if as_jwt:
        return sign(credential, keyring).encode("ascii")
    proved = data_integrity.add_proof(credential, keyring, issuer_url,
                                      created=credential["validFrom"])
    return json.dumps(proved, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _start_of_step(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    steps = (now - datetime(1970, 1, 1, tzinfo=UTC)) // VALIDITY_STEP
    return datetime(1970, 1, 1, tzinfo=UTC) + steps * VALIDITY_STEP


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
