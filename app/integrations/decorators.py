"""The bearer token of an API request: read from the Authorization header, checked for a scope,
and the key its rate limit is counted under."""
from __future__ import annotations

from flask import request

from app.clock import utcnow
from app.extensions import client_address, db
from app.integrations import tokens
from app.models import OrganisationToken


def presented_token() -> str | None:
    """The token after "Bearer " in the Authorization header, if any."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def request_token(scope: str) -> OrganisationToken | None:
    """The request's live token carrying `scope`, else None."""
    return tokens.authenticate(db.session, presented_token(), scope, utcnow())


def token_key() -> str:
    """Rate limits count per token (its visible prefix), or per client without one."""
    presented = presented_token() or ""
    if presented.startswith(tokens.TOKEN_PREFIX):
        return "token:" + presented[:tokens.VISIBLE_LENGTH]
    return "client:" + client_address()
