"""From a notification to a MIME message: both parts from templates, CSS inlined, stable ids.

The Message-ID and Date come from the notification, not the moment of sending, so every attempt
at one notification produces the same message: a receiving system that saw it once (a retry
after a consumer died mid-send) can tell it is the same mail.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import css_inline

from app.models.notifications import ESSENTIAL, Notification
from app.notifications.kinds import Mail

Render = Callable[..., str]

#: headers up to RFC 5322's 998 characters stay on one line: folding at 78 would split a long
#: subject and encode a long List-Unsubscribe URL, which mail clients then do not recognise
HEADERS_UNFOLDED = policy.default.clone(max_line_length=998)


def message_id(notification: Notification, domain: str) -> str:
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:12]
    stamp = notification.created_at.strftime("%Y%m%dT%H%M%SZ")
    return f"<{stamp}.{notification.id}.{digest}@{domain}>"


def compose(notification: Notification, mail: Mail, *, render: Render, sender: tuple[str, str],
            domain: str, context: dict) -> EmailMessage:
    """The message for `notification`; `context` is what every mail's layout needs (links to
    the site, the preferences and, for an optional mail, its one-click unsubscribe)."""
    facts = {**context, **mail.context, "subject": mail.subject}
    message = EmailMessage(policy=HEADERS_UNFOLDED)
    message["Subject"] = mail.subject
    message["From"] = formataddr(sender)
    message["To"] = notification.recipient
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id(notification, domain)
    message["Auto-Submitted"] = "auto-generated"
    if notification.category != ESSENTIAL and context.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render(f"mail/{notification.kind}.txt", **facts))
    html = render(f"mail/{notification.kind}.html", **facts)
    message.add_alternative(css_inline.inline(html), subtype="html")
    for attachment in mail.attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)
    return message
