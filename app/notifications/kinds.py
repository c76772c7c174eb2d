"""The kinds of mail: for each, how its facts are read when the mail is written.

A kind is declared with :func:`mail_kind` by the area that owns its facts (certificates and
accounts here, HR's invitations and digests in ``app.hr.mails``). Its builder takes the session,
the notification and a :class:`Links` and returns a :class:`Mail`, or None when the cause is
gone (the account was deleted, the invitation accepted meanwhile): then nothing is sent.
Templates are ``templates/mail/<kind>.html`` and ``.txt``, both extending the mail layout.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from app.models.notifications import Notification


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Mail:
    """What one mail says: its subject, the templates' context, its attachments."""

    subject: str
    context: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


class Links(Protocol):
    """Absolute links into the site, built outside any request."""

    base_url: str
    #: the application's secret key: a builder signs the tokens its links carry with it
    secret_key: str

    def url(self, endpoint: str, **values) -> str: ...


Builder = Callable[[Session, Notification, Links], "Mail | None"]


@dataclass(frozen=True)
class MailKind:
    name: str
    build: Builder


KINDS: dict[str, MailKind] = {}


def mail_kind(name: str) -> Callable[[Builder], Builder]:
    """Declare the builder of the mail kind `name`."""
    def declare(build: Builder) -> Builder:
        KINDS[name] = MailKind(name, build)
        return build
    return declare
