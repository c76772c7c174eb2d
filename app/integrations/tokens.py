"""Organisation API tokens: issued once, kept as a hash, checked in constant time, revocable.

A token is "okrt_" and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a
slow password hash (argon2) protects guessable secrets, and a 256-bit random secret cannot be
guessed, so a fast hash loses nothing, while argon2's ~50 ms and 64 MiB on every API request
would make each call costly and the API easy to flood.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import record
from app.domain import DomainError
from app.models import TOKEN_SCOPES, Organisation, OrganisationToken, User

TOKEN_PREFIX = "okrt_"  # nosec B105: the public start of every token, not a secret
#: the characters shown (and looked up first) to tell tokens apart
VISIBLE_LENGTH = len(TOKEN_PREFIX) + 8
#: anything longer than a token is not one
MAX_TOKEN_LENGTH = 100
NAME_MAX = 80
#: last_used_at is written at most this often per token, not on every request
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(DomainError):
    """A token cannot be issued or revoked as asked."""

    status_code = 400


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the row, and the secret that is shown this once and never again."""

    token: OrganisationToken
    secret: str


def issue(session: Session, actor: User | None, organisation: Organisation, name: str,
          scopes: list[str] | tuple[str, ...], now: datetime) -> IssuedToken:
    """Issue a token of `organisation` for `scopes`; the plaintext is in the result only."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise TokenError(_l("Give the token a name of 1 to %(max)d characters.", max=NAME_MAX))
    chosen = [scope for scope in TOKEN_SCOPES if scope in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise TokenError(_l("Choose at least one of the scopes offered."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = OrganisationToken(organisation_id=organisation.id, name=name, scopes=" ".join(chosen),
                              prefix=secret[:VISIBLE_LENGTH], token_hash=_digest(secret),
                              created_by_id=actor.id if actor else None, created_at=now)
    session.add(token)
    session.flush()
    record(session, actor, "token.issue", "organisation", organisation.id,
           f"API token {token.prefix}… issued for {organisation.name}", token=token.id,
           name=name, scopes=chosen)
    return IssuedToken(token, secret)


def authenticate(session: Session, bearer: str | None, scope: str,
                 now: datetime) -> OrganisationToken | None:
    """The live token `bearer` is, when it carries `scope`; None for anything else.

    Unknown, malformed, revoked and wrong-scope tokens are all refused alike. The row is found
    by the visible prefix and the hash compared in constant time.
    """
    text = (bearer or "").strip()
    if not text.startswith(TOKEN_PREFIX) or len(text) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(text)
    found = None
    for candidate in session.scalars(select(OrganisationToken).where(
            OrganisationToken.prefix == text[:VISIBLE_LENGTH])):
        if hmac.compare_digest(candidate.token_hash, digest):
            found = candidate
    if found is None or found.is_revoked or scope not in found.scope_list:
        return None
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_GRANULARITY:
        found.last_used_at = now
    return found


def revoke(session: Session, actor: User | None, token: OrganisationToken,
           now: datetime) -> bool:
    """Revoke the token (it stops working at once); False when it was revoked already."""
    revoked = session.execute(
        update(OrganisationToken)
        .where(OrganisationToken.id == token.id, OrganisationToken.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount
    if not revoked:
        return False
    session.refresh(token)
    record(session, actor, "token.revoke", "organisation", token.organisation_id,
           f"API token {token.prefix}… revoked", token=token.id, name=token.name)
    return True


def tokens_of(session: Session, organisation: Organisation) -> list[OrganisationToken]:
    """The organisation's tokens, live ones first, newest first."""
    return list(session.scalars(
        select(OrganisationToken).where(OrganisationToken.organisation_id == organisation.id)
        .order_by(OrganisationToken.revoked_at.is_not(None), OrganisationToken.id.desc())))


def token_of(session: Session, organisation: Organisation,
             token_id: int) -> OrganisationToken | None:
    """The organisation's token with this id, else None (another organisation's too)."""
    return session.scalar(select(OrganisationToken).where(
        OrganisationToken.id == token_id, OrganisationToken.organisation_id == organisation.id))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
