"""Signed webhooks: an organisation's endpoints and the log of what was delivered to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import UTCDateTime

#: the events an endpoint may subscribe to (Standard Webhooks `type`)
EVENT_TYPES = ("certificate.issued", "certificate.revoked", "certificate.suspended",
               "certificate.reinstated", "certificate.expiring", "learner.completed")
#: what HR's "send a test event" delivers, to one endpoint, whatever it subscribed to
TEST_EVENT = "webhook.test"

#: why an endpoint is off: it failed without a break for too long, or HR turned it off
DISABLED_FAILING, DISABLED_BY_HAND = "failing", "by_hand"

#: a delivery waits for its next attempt, is being sent by a job, arrived (2xx), or was given
#: up on after the last attempt of the retry schedule
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
DELIVERY_STATUSES = (PENDING, SENDING, DELIVERED, FAILED)


class WebhookEndpoint(db.Model):
    """A URL of an organisation's system that is told, signed, what happened to its people."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: the subscribed types, a subset of EVENT_TYPES
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    #: the Standard Webhooks signing secret ("whsec_" and base64), shown to HR
    secret: Mapped[str] = mapped_column(String(100))
    #: the secret before the last rotation, still signing beside the new one until the time
    #: given, so that a receiver can switch without losing a message
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: DISABLED_FAILING or DISABLED_BY_HAND
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    #: the first failed attempt since the last success (None: not failing)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation = relationship("Organisation")

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.event_types or [])


class WebhookDelivery(db.Model):
    """One message to one endpoint (the delivery log): written in the transaction of the event,
    sent by a job, retried on the schedule until it arrives or is given up on."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # one message per cause and endpoint: an event announced twice is delivered once
        UniqueConstraint("endpoint_id", "cause"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_log", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    #: the Standard Webhooks `webhook-id`: the same on every attempt and redelivery
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    cause: Mapped[str] = mapped_column(String(200))
    #: the exact JSON body signed and sent, so every attempt sends the same bytes
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: while a job sends it, until when the job holds it (a job that died lets go then)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column()
    #: why the last attempt failed (connection refused, timeout, status), short
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: the first characters of the receiver's last answer; never the whole body
    last_response: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()
