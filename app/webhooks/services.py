"""An organisation's webhook endpoints: adding, changing, turning on and off, secrets, test
events, redelivery, and the delivery log. Every change is audited.

Functions take the session, the acting user, plain data and `now`; they flush and never commit.
"""
from __future__ import annotations

import base64
import secrets as random
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.audit import record
from app.jobs import after_commit
from app.models import Organisation, User, WebhookDelivery, WebhookEndpoint
from app.models.webhooks import (
    DELIVERY_STATUSES, DISABLED_BY_HAND, EVENT_TYPES, PENDING, SENDING, TEST_EVENT,
)
from app.paging import Page
from app.webhooks import payloads
from app.webhooks.addresses import Resolver, check_url, resolve
from app.webhooks.errors import EndpointRefused, WebhookError, WebhookNotFound
from app.webhooks.outbox import DELIVER_JOB, write_event

#: how long the secret before a rotation keeps signing beside the new one
ROTATION_OVERLAP = timedelta(hours=24)
DESCRIPTION_MAX = 200
LOG_PAGE_SIZE = 25


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(random.token_bytes(32)).decode("ascii")


def _checked(url: str, description: str, event_types: list[str], allow_loopback: bool,
             resolver: Resolver) -> tuple[str, str, list[str]]:
    chosen = [name for name in EVENT_TYPES if name in set(event_types)]
    if not chosen or len(chosen) != len(set(event_types)):
        raise EndpointRefused(_l("Choose at least one of the events listed."))
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise EndpointRefused(_l("The description is too long (at most %(max)d characters).",
                                 max=DESCRIPTION_MAX))
    return check_url(url, allow_loopback=allow_loopback, resolver=resolver), description, chosen


def create_endpoint(session, actor: User, organisation: Organisation, *, url: str,
                    description: str, event_types: list[str], now: datetime,
                    allow_loopback: bool = False, resolver: Resolver = resolve
                    ) -> WebhookEndpoint:
    """Add an endpoint, on, with a new secret.

    :raises EndpointRefused: the URL is not a public https address, or no event is chosen
    """
    url, description, chosen = _checked(url, description, event_types, allow_loopback, resolver)
    endpoint = WebhookEndpoint(organisation_id=organisation.id, url=url, description=description,
                               event_types=chosen, secret=new_secret(), enabled=True,
                               created_at=now, created_by_id=actor.id)
    session.add(endpoint)
    session.flush()
    record(session, actor, "webhook.create", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {url} added for {organisation.slug}", events=chosen,
           organisation_id=organisation.id)
    return endpoint


def update_endpoint(session, actor: User, endpoint: WebhookEndpoint, *, url: str,
                    description: str, event_types: list[str], allow_loopback: bool = False,
                    resolver: Resolver = resolve) -> WebhookEndpoint:
    """Change the URL, description or events; the secret and the log stay."""
    url, description, chosen = _checked(url, description, event_types, allow_loopback, resolver)
    before = {"url": endpoint.url, "events": endpoint.event_types}
    endpoint.url, endpoint.description, endpoint.event_types = url, description, chosen
    session.flush()
    record(session, actor, "webhook.update", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {url} changed", before=before, events=chosen,
           organisation_id=endpoint.organisation_id)
    return endpoint


def delete_endpoint(session, actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log; nothing more is sent to it."""
    record(session, actor, "webhook.delete", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {endpoint.url} deleted", organisation_id=endpoint.organisation_id)
    session.delete(endpoint)
    session.flush()


def rotate_secret(session, actor: User, endpoint: WebhookEndpoint, now: datetime) -> str:
    """A new secret; the one it replaces signs beside it for ROTATION_OVERLAP."""
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    session.flush()
    record(session, actor, "webhook.rotate_secret", "webhook_endpoint", endpoint.id,
           f"Signing secret of webhook endpoint {endpoint.url} rotated",
           organisation_id=endpoint.organisation_id)
    return endpoint.secret


def turn_on(session, actor: User, endpoint: WebhookEndpoint, now: datetime) -> int:
    """Turn an endpoint on again; the deliveries that waited for it go now. How many."""
    if endpoint.enabled:
        return 0
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
    endpoint.failing_since = None
    waiting = list(session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == PENDING)))
    for delivery in waiting:
        delivery.next_attempt_at = now
        after_commit(session, DELIVER_JOB, delivery_id=delivery.id)
    session.flush()
    record(session, actor, "webhook.enable", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {endpoint.url} turned on", waiting=len(waiting),
           organisation_id=endpoint.organisation_id)
    return len(waiting)


def turn_off(session, actor: User, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Stop sending to the endpoint; its deliveries wait until it is turned on."""
    if not endpoint.enabled:
        return
    endpoint.enabled, endpoint.disabled_at = False, now
    endpoint.disabled_reason = DISABLED_BY_HAND
    session.flush()
    record(session, actor, "webhook.disable", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {endpoint.url} turned off", organisation_id=endpoint.organisation_id)


def send_test_event(session, actor: User, endpoint: WebhookEndpoint, now: datetime) -> int:
    """Deliver a `webhook.test` message to this endpoint alone; the delivery's id."""
    if not endpoint.enabled:
        raise WebhookError(_l("Turn the endpoint on before sending it a test event."))
    data = {"organisation": {"slug": endpoint.organisation.slug,
                             "name": endpoint.organisation.name},
            "endpoint_id": endpoint.id, "sent_by": payloads.holder(actor),
            "message": "This is a test event from OKR Academy."}
    [delivery_id] = write_event(session, endpoint.organisation_id, TEST_EVENT, data,
                                cause=f"test:{random.token_hex(8)}", now=now,
                                endpoints=[endpoint])
    record(session, actor, "webhook.test", "webhook_endpoint", endpoint.id,
           f"Test event sent to webhook endpoint {endpoint.url}",
           organisation_id=endpoint.organisation_id)
    return delivery_id


def redeliver(session, actor: User, delivery: WebhookDelivery, now: datetime) -> None:
    """Send a delivery again (same webhook-id and body), with a fresh round of attempts."""
    if not delivery.endpoint.enabled:
        raise WebhookError(_l("Turn the endpoint on before redelivering to it."))
    if delivery.status == SENDING:
        raise WebhookError(_l("This message is being sent right now."))
    delivery.status, delivery.attempts, delivery.next_attempt_at = PENDING, 0, now
    delivery.claimed_until = None
    after_commit(session, DELIVER_JOB, delivery_id=delivery.id)
    session.flush()
    record(session, actor, "webhook.redeliver", "webhook_delivery", delivery.id,
           f"Message {delivery.event_id} redelivered to {delivery.endpoint.url}",
           organisation_id=delivery.endpoint.organisation_id)


# --- reading ---------------------------------------------------------------------------------

def endpoints_of(session, organisation: Organisation) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.organisation_id == organisation.id).order_by(WebhookEndpoint.id)))


def find_endpoint(session, organisation: Organisation, endpoint_id: int) -> WebhookEndpoint:
    """The organisation's endpoint; another organisation's is not found."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id != organisation.id:
        raise WebhookNotFound(_l("There is no such webhook endpoint in this organisation."))
    return endpoint


def find_delivery(session, organisation: Organisation, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint.organisation_id != organisation.id:
        raise WebhookNotFound(_l("There is no such webhook message in this organisation."))
    return delivery


def delivery_log(session, organisation: Organisation, *, status: str = "",
                 endpoint_id: int | None = None, page: int = 1,
                 per_page: int = LOG_PAGE_SIZE) -> Page:
    """The organisation's deliveries, newest first, optionally of one status or endpoint."""
    stmt = select(WebhookDelivery).join(WebhookEndpoint).where(
        WebhookEndpoint.organisation_id == organisation.id)
    if status in DELIVERY_STATUSES:
        stmt = stmt.where(WebhookDelivery.status == status)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    total = session.scalar(stmt.with_only_columns(func.count(WebhookDelivery.id)))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = list(session.scalars(stmt.order_by(WebhookDelivery.id.desc())
                                 .limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, pages, total)
