"""The webhook outbox: a delivery is a row written in the transaction of the event it tells.

As for mail (:mod:`app.notifications.outbox`): a rolled-back change leaves no row; a committed
one is enqueued after the commit, claimed by one job at a time for a lease, retried on the
Standard Webhooks schedule, and found again by the periodic sweep when its job was lost. An
endpoint that fails without one success for WEBHOOK_DISABLE_AFTER_SECONDS is turned off and
the HR people of its organisation get a mail; its deliveries wait, and go once it is turned on
again. Functions flush and never commit.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from app.audit import record
from app.jobs import after_commit
from app.models import Organisation, User, UserRole, WebhookDelivery, WebhookEndpoint
from app.models.base import UTCDateTime
from app.models.webhooks import DELIVERED, DISABLED_FAILING, FAILED, PENDING, SENDING
from app.notifications.outbox import queue as queue_mail
from app.webhooks.delivery import Attempt

DELIVER_JOB = "webhooks.deliver"
DISABLED_MAIL = "webhook_disabled"
#: the waits before each retry (Standard Webhooks' suggestion): 5 s, 5 min, 30 min, 2 h, 5 h,
#: 10 h, 10 h; a delivery is given up on after the first attempt and these seven
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(frozen=True)
class DeliverySettings:
    timeout_seconds: float = 5.0
    disable_after: timedelta = timedelta(days=1)
    lease: timedelta = timedelta(seconds=60)
    allow_loopback: bool = False

    @classmethod
    def from_config(cls, config) -> DeliverySettings:
        return cls(float(config["WEBHOOK_TIMEOUT_SECONDS"]),
                   timedelta(seconds=float(config["WEBHOOK_DISABLE_AFTER_SECONDS"])),
                   timedelta(seconds=float(config["WEBHOOK_LEASE_SECONDS"])),
                   bool(config["WEBHOOK_ALLOW_LOOPBACK"]))


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def message_body(event_type: str, data: dict, now: datetime) -> str:
    """The Standard Webhooks payload: type, timestamp (ISO 8601, UTC) and data, as JSON."""
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": stamp, "data": data},
                      ensure_ascii=False, separators=(",", ":"))


#: one statement for SQLite 3.35+ and PostgreSQL; a cause delivered already inserts nothing
_INSERT = text(
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, cause, payload, status, "
    "attempts, next_attempt_at, created_at) VALUES (:endpoint_id, :event_id, :event_type, "
    ":cause, :payload, :status, 0, :now, :now) "
    "ON CONFLICT (endpoint_id, cause) DO NOTHING RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime))


def write_event(session: Session, organisation_id: int, event_type: str, data: dict, *,
                cause: str, now: datetime, endpoints: list[WebhookEndpoint] | None = None
                ) -> list[int]:
    """One delivery per enabled endpoint of the organisation subscribed to `event_type` (or to
    each of `endpoints`), in the caller's transaction; the ids written.

    :param cause: what makes this event unique: announced again, it is not delivered again
    """
    if endpoints is None:
        endpoints = [endpoint for endpoint in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == organisation_id,
                                          WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.id)) if endpoint.subscribes_to(event_type)]
    if not endpoints:
        return []
    event_id, body = new_event_id(), message_body(event_type, data, now)
    written = []
    for endpoint in endpoints:
        delivery_id = session.execute(_INSERT, dict(
            endpoint_id=endpoint.id, event_id=event_id, event_type=event_type, cause=cause,
            payload=body, status=PENDING, now=now)).scalar()
        if delivery_id is not None:
            after_commit(session, DELIVER_JOB, delivery_id=delivery_id)
            written.append(delivery_id)
    return written


def _enabled_endpoints():
    return select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))


def claim(session: Session, delivery_id: int, now: datetime, lease: timedelta) -> bool:
    """Take the delivery for sending if it is due, its endpoint is on and nobody holds it."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id,
               WebhookDelivery.endpoint_id.in_(_enabled_endpoints()),
               or_((WebhookDelivery.status == PENDING) & (WebhookDelivery.next_attempt_at <= now),
                   (WebhookDelivery.status == SENDING) & (WebhookDelivery.claimed_until < now)))
        .values(status=SENDING, attempts=WebhookDelivery.attempts + 1, claimed_until=now + lease)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Deliveries of endpoints that are on whose job may have been lost: due and pending, or
    held past their lease."""
    return list(session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id.in_(_enabled_endpoints()),
               or_((WebhookDelivery.status == PENDING) & (WebhookDelivery.next_attempt_at <= now),
                   (WebhookDelivery.status == SENDING) & (WebhookDelivery.claimed_until < now)))
        .order_by(WebhookDelivery.id).limit(limit)))


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while it still signs after a rotation."""
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until \
            and now < endpoint.previous_secret_until:
        secrets.append(endpoint.previous_secret)
    return secrets


def record_attempt(session: Session, delivery: WebhookDelivery, attempt: Attempt,
                   now: datetime, settings: DeliverySettings) -> float | None:
    """Keep what the attempt found; the seconds before the next one, or None (delivered, or
    given up on). A failure that makes the endpoint fail for too long turns it off."""
    endpoint = delivery.endpoint
    delivery.claimed_until = None
    delivery.last_attempt_at = now
    delivery.last_status_code = attempt.status_code
    delivery.last_response = attempt.excerpt or None
    delivery.last_error = attempt.error
    if attempt.delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        endpoint.failing_since = None
        return None
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.enabled and now - endpoint.failing_since >= settings.disable_after:
        disable_failing(session, endpoint, now)
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = FAILED, None
        return None
    delay = RETRY_DELAYS[max(delivery.attempts - 1, 0)]
    delivery.status, delivery.next_attempt_at = PENDING, now + timedelta(seconds=delay)
    return delay if endpoint.enabled else None


def disable_failing(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Turn off an endpoint that kept failing; tell the organisation's HR people by mail."""
    endpoint.enabled, endpoint.disabled_at = False, now
    endpoint.disabled_reason = DISABLED_FAILING
    record(session, None, "webhook.disable", "webhook_endpoint", endpoint.id,
           f"Webhook endpoint {endpoint.url} turned off: failing since "
           f"{endpoint.failing_since.isoformat()}", organisation_id=endpoint.organisation_id)
    for person in hr_people(session, endpoint.organisation):
        queue_mail(session, kind=DISABLED_MAIL, to=person.email, user=person, now=now,
                   key=f"webhook-disabled:{endpoint.id}:{now.isoformat()}",
                   context={"endpoint_id": endpoint.id})


def hr_people(session: Session, organisation: Organisation) -> list[User]:
    """The organisation's active HR accounts."""
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation.id, UserRole.role == "hr",
               User.is_active_account.is_(True)).order_by(User.id)))
