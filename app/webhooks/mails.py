"""The mail HR get when one of their organisation's webhook endpoints was turned off because it
kept failing (written by :func:`app.webhooks.outbox.disable_failing`)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.models import WebhookEndpoint
from app.models.notifications import Notification
from app.models.webhooks import DISABLED_FAILING
from app.notifications.kinds import Links, Mail, mail_kind
from app.webhooks.outbox import DISABLED_MAIL


@mail_kind(DISABLED_MAIL)
def webhook_disabled(session: Session, notification: Notification, links: Links) -> Mail | None:
    """Nothing when the endpoint is gone or on again, or the recipient left HR meanwhile."""
    endpoint = session.get(WebhookEndpoint, notification.context.get("endpoint_id"))
    recipient = notification.user
    if endpoint is None or endpoint.enabled or endpoint.disabled_reason != DISABLED_FAILING \
            or recipient is None or recipient.organisation_id != endpoint.organisation_id \
            or not recipient.has_role("hr"):
        return None
    organisation = endpoint.organisation
    facts = {"organisation_name": organisation.name, "url": endpoint.url,
             "description": endpoint.description, "failing_since": endpoint.failing_since,
             "endpoint_url": links.url("webhooks.endpoint", org_slug=organisation.slug,
                                       endpoint_id=endpoint.id)}
    return Mail(_("Webhook endpoint turned off: %(url)s", url=endpoint.url), facts)
