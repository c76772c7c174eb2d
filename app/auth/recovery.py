"""A forgotten password: the reset link by mail, the new password, and the command line's reset.

Asking for a link answers the same whether or not the address has an account (the caller shows
one sentence for both); only an active account is sent `events.password_reset_requested`, whose
receiver mails the link. The link (see :mod:`app.auth.tokens`) works once, for a limited time.
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.auth.logins import end_all_logins
from app.auth.passwords import hash_password, password_problems, sentences
from app.auth.services import AccountError, PasswordPolicy, find_user_by_email
from app.auth.tokens import password_fingerprint, read_password_reset_token
from app.models import User


def request_password_reset(session: Session, email: str, now: datetime) -> None:
    """Announce a reset request for the active account using `email`; nothing otherwise."""
    user = find_user_by_email(session, email)
    if user is not None and user.is_active:
        events.password_reset_requested.send(None, session=session, user=user, now=now)


def user_for_reset_token(session: Session, secret: str, token: str, now: datetime,
                         max_age: int) -> User | None:
    """The active account a genuine, unexpired and unused reset token names, else None."""
    found = read_password_reset_token(secret, token, now, max_age)
    if found is None:
        return None
    user = session.get(User, found[0])
    if user is None or not user.is_active or not hmac.compare_digest(
            password_fingerprint(user.password_hash), found[1]):
        return None  # gone, deactivated, or the password changed since: the link was used
    return user


def reset_password(session: Session, user: User, new: str, policy: PasswordPolicy,
                   now: datetime) -> int:
    """Set a new password from a reset link; every login of the user ends (the caller opens a
    new one). The mailbox answered, so the address counts as verified. The count ended."""
    ended = _replace_password(session, user, new, policy, now)
    if user.email_verified_at is None:
        user.email_verified_at = now
    record(session, user, "user.password_reset", "user", user.id,
           "Password reset from a mailed link", logins_ended=ended)
    events.password_changed.send(None, session=session, user=user, now=now)
    return ended


def set_password(session: Session, actor: User | None, user: User, new: str,
                 policy: PasswordPolicy, now: datetime) -> int:
    """Set the password without the current one (the command line); every login ends."""
    ended = _replace_password(session, user, new, policy, now)
    record(session, actor, "user.set_password", "user", user.id,
           f"Password of {user.email} set", logins_ended=ended)
    events.password_changed.send(None, session=session, user=user, now=now)
    return ended


def _replace_password(session: Session, user: User, new: str, policy: PasswordPolicy,
                      now: datetime) -> int:
    problems = password_problems(new, min_length=policy.min_length, email=user.email,
                                 name=user.name)
    if problems:
        raise AccountError(sentences(problems), "password")
    user.password_hash = hash_password(new, policy.hasher)
    return end_all_logins(session, user, now)
