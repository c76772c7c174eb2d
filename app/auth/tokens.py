"""The signed tokens in account mails: a password reset link and an address confirmation link.

Both are itsdangerous tokens signed with the application's secret key, each with its own salt,
and carry the moment they were signed. They hold no secret and open nothing by themselves:

- a password reset token names the account and a fingerprint of its current password hash, so
  it dies once the password changes (it is single-use) and after PASSWORD_RESET_MAX_AGE;
- an address token names the account, the address to confirm, the account's address when it
  was signed and the password fingerprint, so it dies once the account's address changes (it
  confirmed a change, or another one was made), once the password changes (whoever asked for a
  change of address with a stolen password loses it when the owner changes the password), and
  after EMAIL_TOKEN_MAX_AGE.

Every function takes `now`: the moment a token is signed, or the moment it is read, so the
validity can be reasoned about (and tested) without the wall clock.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from app.models import User

RESET_SALT = "password-reset"
EMAIL_SALT = "verify-email"
#: a token of ours is well under this; anything longer is not read at all
MAX_TOKEN_LENGTH = 1000


class _SignerAt(TimestampSigner):
    """A timestamp signer whose clock is the `now` it was given."""

    def __init__(self, *args, now: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._now = int(now)

    def get_timestamp(self) -> int:
        return self._now


def _serializer(secret: str, salt: str, now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt, signer=_SignerAt,
                                  signer_kwargs={"now": now.timestamp()})


def _load(secret: str, salt: str, token: str, now: datetime, max_age: int) -> list | None:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = _serializer(secret, salt, now).loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):  # forged, expired, signed "in the future"
        return None
    return data if isinstance(data, list) else None


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: it changes whenever the password does."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def password_reset_token(secret: str, user: User, now: datetime) -> str:
    return _serializer(secret, RESET_SALT, now).dumps(
        [user.id, password_fingerprint(user.password_hash)])


def read_password_reset_token(secret: str, token: str, now: datetime,
                              max_age: int) -> tuple[int, str] | None:
    """(user id, password fingerprint) of a genuine token younger than `max_age`, else None."""
    data = _load(secret, RESET_SALT, token, now, max_age)
    if data is None or len(data) != 2:
        return None
    user_id, fingerprint = data
    if type(user_id) is not int or not isinstance(fingerprint, str):
        return None
    return user_id, fingerprint


def email_token(secret: str, user: User, address: str, now: datetime) -> str:
    """A token confirming that `address` belongs to `user` (its own address, or a new one)."""
    return _serializer(secret, EMAIL_SALT, now).dumps(
        [user.id, address, user.email, password_fingerprint(user.password_hash)])


def read_email_token(secret: str, token: str, now: datetime,
                     max_age: int) -> tuple[int, str, str, str] | None:
    """(user id, address to confirm, the account's address and password fingerprint when
    signed) of a genuine token younger than `max_age`, else None."""
    data = _load(secret, EMAIL_SALT, token, now, max_age)
    if data is None or len(data) != 4 or type(data[0]) is not int \
            or not all(isinstance(part, str) for part in data[1:]):
        return None
    user_id, address, signed_for, fingerprint = data
    return user_id, address, signed_for, fingerprint
