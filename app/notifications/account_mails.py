"""The mails about an account: password reset, address verification and changes.

Queueing (called by the receivers and the "send the link again" view) writes plain facts only;
each builder signs its link's token when the mail is written (see :mod:`app.auth.tokens`), and
writes nothing when the cause is gone (the account was deactivated, the address confirmed or
changed meanwhile). Every key carries a 10-minute bucket where a person can ask again, so a
flood of requests mails an account at most once per bucket.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.addresses import address_taken
from app.auth.tokens import email_token, password_reset_token
from app.clock import utcnow
from app.models import User
from app.models.notifications import Notification
from app.notifications.kinds import Links, Mail, mail_kind
from app.notifications.outbox import queue

#: the window in which a second request for the same mail writes nothing
BUCKET_SECONDS = 10 * 60


def bucket(now: datetime) -> int:
    """The number of the 10-minute window `now` falls in."""
    return int(now.timestamp()) // BUCKET_SECONDS


def _digest(address: str) -> str:
    """A short stand-in for an address in an idempotency key (keys are at most 200 characters)."""
    return hashlib.sha256(address.encode("utf-8")).hexdigest()[:16]


# --- queueing ---------------------------------------------------------------------------------

def queue_password_reset(session: Session, user: User, now: datetime,
                         valid_seconds: int) -> int | None:
    return queue(session, kind="password_reset", to=user.email, user=user, now=now,
                 key=f"password-reset:{user.id}:{bucket(now)}",
                 context={"valid_minutes": max(1, valid_seconds // 60)})


def queue_verification(session: Session, user: User, now: datetime, valid_seconds: int, *,
                       again: bool = False) -> int | None:
    """The link confirming the account's own address (none once it is confirmed); `again` when
    the user asks for it once more (at most once per 10 minutes)."""
    if user.email_verified or not user.is_active:
        return None
    key = f"verify-email:{user.id}:{_digest(user.email)}"
    if again:
        key += f":{bucket(now)}"
    return queue(session, kind="verify_email", to=user.email, user=user, now=now, key=key,
                 context={"address": user.email, "change": False,
                          "valid_days": max(1, valid_seconds // 86400)})


def queue_email_change(session: Session, user: User, new_email: str, now: datetime,
                       valid_seconds: int) -> None:
    """A change of address was asked for: the old address is told, and the new one gets the link
    that confirms it, unless another account uses it (whoever asked is not told which)."""
    window = f"{user.id}:{_digest(new_email)}:{bucket(now)}"
    queue(session, kind="email_change_notice", to=user.email, user=user, now=now,
          key=f"email-change-notice:{window}", context={"new_email": new_email})
    if not address_taken(session, new_email):
        queue(session, kind="verify_email", to=new_email, user=user, now=now,
              key=f"email-change:{window}",
              context={"address": new_email, "change": True,
                       "valid_days": max(1, valid_seconds // 86400)})


def queue_account_exists(session: Session, user: User, now: datetime) -> int | None:
    """Someone registered with the address of this account: its owner is told."""
    if not user.is_active:
        return None
    return queue(session, kind="account_exists", to=user.email, user=user, now=now,
                 key=f"account-exists:{user.id}:{bucket(now)}")


# --- the mails --------------------------------------------------------------------------------

def _owner(notification: Notification) -> User | None:
    """The active account the mail is about, or None when it is gone or deactivated."""
    user = notification.user
    return user if user is not None and user.is_active else None


@mail_kind("password_reset")
def password_reset(session: Session, notification: Notification, links: Links) -> Mail | None:
    user = _owner(notification)
    if user is None or user.email != notification.recipient:
        return None  # the address changed since: the link goes to the account's address only
    token = password_reset_token(links.secret_key, user, utcnow())
    return Mail(_("Reset your OKR Academy password"), {
        "reset_url": links.url("auth.reset_password", token=token),
        "forgot_url": links.url("auth.forgot_password"),
        "valid_minutes": notification.context.get("valid_minutes", 60),
    })


@mail_kind("verify_email")
def verify_email(session: Session, notification: Notification, links: Links) -> Mail | None:
    user = _owner(notification)
    address = notification.context.get("address") or ""
    change = bool(notification.context.get("change"))
    if user is None or address != notification.recipient:
        return None
    if change and (address == user.email or address_taken(session, address)):
        return None  # confirmed already, or another account took the address meanwhile
    if not change and (address != user.email or user.email_verified):
        return None  # the address changed, or was confirmed meanwhile
    token = email_token(links.secret_key, user, address, utcnow())
    subject = (_("Confirm your new email address for OKR Academy") if change
               else _("Confirm your email address for OKR Academy"))
    return Mail(subject, {
        "confirm_url": links.url("auth.verify_email", token=token),
        "address": address, "change": change, "old_address": user.email,
        "valid_days": notification.context.get("valid_days", 3),
    })


@mail_kind("account_exists")
def account_exists(session: Session, notification: Notification, links: Links) -> Mail | None:
    user = _owner(notification)
    if user is None or user.email != notification.recipient:
        return None
    return Mail(_("Someone tried to register with your address"), {
        "login_url": links.url("auth.login"),
        "forgot_url": links.url("auth.forgot_password"),
    })


@mail_kind("email_change_notice")
def email_change_notice(session: Session, notification: Notification, links: Links
                        ) -> Mail | None:
    if notification.user is None:
        return None
    return Mail(_("A change of your OKR Academy address was requested"), {
        "new_email": notification.context.get("new_email"),
        "old_email": notification.recipient,
        "account_url": links.url("auth.account"),
    })
