"""Logins that can be ended: what the session and remember cookies carry.

Each login is a `LoginSession` row and a random secret. The cookies carry "<row id>.<secret>"
(the row keeps only the secret's SHA-256), so every login has its own remember token, and
ending a user's logins (logout, a password change, deactivation, "sign out everywhere") makes
their cookies worthless at once, on every worker.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from app.models import LoginSession, User

#: a login id is "<digits>.<43 url-safe characters>"; anything longer is not one
MAX_LOGIN_ID = 80


def start_login(session: Session, user: User, now: datetime, lifetime: timedelta) -> str:
    """Open a login for `user` lasting `lifetime`; return its id and set it on the user.

    Every way in (the login form, a password reset) opens its login here, so this is where the
    account's last login is stamped. The user's ended and expired logins are deleted on the way:
    they open nothing any more.
    """
    session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id,
        or_(LoginSession.ended_at.is_not(None), LoginSession.expires_at <= now)))
    secret = secrets.token_urlsafe(32)
    login = LoginSession(user_id=user.id, token_hash=_digest(secret), created_at=now,
                         expires_at=now + lifetime)
    session.add(login)
    session.flush()
    user.login_id = f"{login.id}.{secret}"
    user.last_login_at = now
    return user.login_id


def user_for_login(session: Session, login_id: str | None, now: datetime) -> User | None:
    """The user of a live login (not ended, not expired, account active), else None."""
    row_id, secret = _parse(login_id)
    if row_id is None:
        return None
    login = session.scalar(
        select(LoginSession).where(LoginSession.id == row_id)
        .options(joinedload(LoginSession.user).joinedload(User.role_grants)))
    if login is None or login.ended_at is not None or now >= login.expires_at \
            or not hmac.compare_digest(login.token_hash, _digest(secret)):
        return None
    user = login.user
    user.login_id = login_id
    return user


def end_all_logins(session: Session, user: User, now: datetime, *,
                   keep: str | None = None) -> int:
    """End every login of the user except `keep` (the one making the change); the count ended."""
    keep_id, _ = _parse(keep)
    statement = update(LoginSession).where(LoginSession.user_id == user.id,
                                           LoginSession.ended_at.is_(None),
                                           LoginSession.expires_at > now)
    if keep_id is not None:
        statement = statement.where(LoginSession.id != keep_id)
    return session.execute(statement.values(ended_at=now)).rowcount


def _parse(login_id: str | None) -> tuple[int | None, str]:
    text = login_id or ""
    head, _, secret = text.partition(".")
    if len(text) > MAX_LOGIN_ID or not head.isascii() or not head.isdigit() or not secret \
            or len(head) > 10:
        return None, ""
    return int(head), secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
