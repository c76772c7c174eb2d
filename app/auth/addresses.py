"""An account's address: confirming it is the owner's, and changing it.

A self-registered account starts unverified; the mail sent on registration carries a link that
confirms the address (see :mod:`app.auth.tokens`). A change of address waits until the new
address is confirmed the same way: asking for it needs the current password, says nothing about
whether the new address has an account, and changes nothing yet. Both confirmations send
`events.email_verified` (certificates held back for an unverified address are issued then).
"""
from __future__ import annotations

import hmac
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.auth.passwords import check_password
from app.auth.services import AccountError, EmailTaken, PasswordPolicy, normalise_email
from app.auth.tokens import password_fingerprint, read_email_token
from app.models import User

#: enough to refuse what cannot be an address; the mail sent to it is the real check
ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def user_for_email_token(session: Session, secret: str, token: str, now: datetime,
                         max_age: int) -> tuple[User, str] | None:
    """(account, address to confirm) for a genuine, unexpired token, else None.

    A token dies once the account's address changes (the change it asked for was applied, or
    another one was: the link has nothing left to confirm) or its password does.
    """
    found = read_email_token(secret, token, now, max_age)
    if found is None:
        return None
    user_id, address, signed_for, fingerprint = found
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.email != signed_for or not hmac.compare_digest(
            password_fingerprint(user.password_hash), fingerprint):
        return None
    return user, normalise_email(address)


def verify_email(session: Session, user: User, address: str, now: datetime) -> bool:
    """Confirm `address` for the user: their own address becomes verified, a new one replaces
    it (EmailTaken when another account took it meanwhile). False when there was nothing to do
    (the address was confirmed already)."""
    address = normalise_email(address)
    if address == user.email:
        if user.email_verified:
            return False
        user.email_verified_at = now
        record(session, user, "user.email_verified", "user", user.id,
               f"Address {address} confirmed")
    else:
        old = user.email
        _take_address(session, user, address)
        user.email_verified_at = now
        record(session, user, "user.email_change", "user", user.id,
               f"Address changed from {old} to {address}", old=old, new=address)
    events.email_verified.send(None, session=session, user=user, now=now)
    return True


def _take_address(session: Session, user: User, address: str) -> None:
    """Give the user the address; the unique index turns a simultaneous taker into EmailTaken."""
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise EmailTaken()
    try:
        with session.begin_nested():
            user.email = address
            session.flush()
    except IntegrityError:
        raise EmailTaken() from None


def request_email_change(session: Session, user: User, new_email: str, password: str,
                         policy: PasswordPolicy, now: datetime) -> str:
    """Ask to move the account to `new_email`; nothing changes until it is confirmed.

    The current password is required. Whether the new address has an account is not told: the
    receiver mails the confirmation link only when it is free, and confirming checks again.
    The old address is told of the request. Returns the new address, normalised.
    """
    if not check_password(user.password_hash, password, policy.hasher):
        raise AccountError("Your current password is not correct.", "current_password")
    new = normalise_email(new_email)
    if len(new) > 254 or not ADDRESS.match(new):
        raise AccountError("Enter a valid email address.", "new_email")
    if new == user.email:
        raise AccountError("This is your address already.", "new_email")
    record(session, user, "user.email_change_request", "user", user.id,
           "Address change requested", new=new)
    events.email_change_requested.send(None, session=session, user=user, new_email=new, now=now)
    return new


def address_taken(session: Session, address: str) -> bool:
    return session.scalar(select(User.id).where(User.email == normalise_email(address))) \
        is not None
