"""The mail area's edge: links outside requests, the transport, and writing one notification."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.models import User
from app.models.notifications import ESSENTIAL, Notification
from app.notifications.kinds import KINDS, Builder
from app.notifications.messages import compose
from app.notifications.preferences import unsubscribe_token
from app.notifications.transports import transport_for


class SiteLinks:
    """Absolute links to the site at PUBLIC_BASE_URL, built without a request."""

    def __init__(self, app: Flask) -> None:
        self.base_url = app.config["PUBLIC_BASE_URL"].rstrip("/")
        self.secret_key = app.secret_key  # signs the tokens that links in account mails carry
        parts = urlsplit(self.base_url)
        self._urls = app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                      url_scheme=parts.scheme or "https")

    def url(self, endpoint: str, **values) -> str:
        return self._urls.build(endpoint, values, force_external=True)


def sender(app: Flask) -> tuple[str, str]:
    name, address = parseaddr(app.config["MAIL_FROM"])
    return name or app.config["ISSUER_NAME"], address


def mail_language(app: Flask, user: User | None) -> str:
    """The language a mail to `user` is written in: the account's own, else the default."""
    chosen = user.locale if user is not None else None
    return chosen if chosen in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]


def write_message(session: Session, notification: Notification) -> EmailMessage | None:
    """The message a notification sends, in its recipient's language, or None when there is
    nothing to send any more."""
    app = current_app._get_current_object()
    user = notification.user
    if user is not None and notification.category != ESSENTIAL \
            and not user.wants_mail(notification.category):
        return None  # turned off since the notification was written
    kind = KINDS.get(notification.kind)
    if kind is None:
        raise LookupError(f"no mail kind {notification.kind!r}")
    with force_locale(mail_language(app, user)):
        return _written(app, session, notification, kind.build)


def _written(app: Flask, session: Session, notification: Notification, build: Builder
             ) -> EmailMessage | None:
    """The subject, both parts and the headers, in the language the caller chose."""
    user = notification.user
    links = SiteLinks(app)
    mail = build(session, notification, links)
    if mail is None:
        return None
    context = {"site_url": links.base_url, "site_name": app.config["ISSUER_NAME"],
               "preferences_url": links.url("auth.account") + "#mail",
               "recipient_name": user.name if user else None, "unsubscribe_url": None,
               "essential": notification.category == ESSENTIAL}
    if user is not None and notification.category != ESSENTIAL:
        token = unsubscribe_token(app.secret_key, user, notification.category)
        context["unsubscribe_url"] = links.url("notifications.unsubscribe", token=token)
    from_address = sender(app)
    domain = from_address[1].rpartition("@")[2] or "localhost"
    return compose(notification, mail, render=render_template, sender=from_address,
                   domain=domain, context=context)


def send(message: EmailMessage) -> None:
    transport_for(current_app.config).send(message)
