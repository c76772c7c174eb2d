"""The outbox of mails, and HR's invitations into an organisation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db
from app.models.base import UTCDateTime

#: a notification waits for a job, is being sent by one, was sent, was given up on, or was not
#: sent because the recipient turned its kind off (or the account is gone) meanwhile
PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
STATUSES = (PENDING, SENDING, SENT, FAILED, SKIPPED)

#: mails a learner can turn off; every other mail (reset, verification, certificate status,
#: invitations) is essential and always sent
OPTIONAL_CATEGORIES = ("reminders", "nudges", "digests")
ESSENTIAL = "essential"


class Notification(db.Model):
    """One mail to one address, written in the transaction of the event that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the mail says (a template under templates/mail/)
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(16), default=ESSENTIAL)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: the plain facts the template needs (ids, codes, numbers); no secrets: links that carry a
    #: token are signed when the mail is written
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    #: one notification per cause: a second event with the same key writes nothing
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: while a job sends it, until when the job holds it (a job that died lets go then)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class Invitation(db.Model):
    """HR invited an address into the organisation; accepted when someone joins through it."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last time the mail was sent (a second invitation sends it again)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation = relationship("Organisation")
    user = relationship("User", foreign_keys=[user_id])
