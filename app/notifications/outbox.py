"""The transactional outbox: a notification is a row written with the change that causes it.

A rolled-back change leaves no row, so nothing is sent; a committed row is delivered by a job
(enqueued after the commit), retried with a growing delay, and found again by the periodic
sweep when its job was lost (the queue was down, a consumer died). A job *claims* a row before
sending it, for a lease: two jobs never send the same row at once, and a row whose sender died
is sent again once the lease has run out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from app.jobs import after_commit
from app.models import User
from app.models.base import UTCDateTime
from app.models.notifications import (
    ESSENTIAL, FAILED, OPTIONAL_CATEGORIES, PENDING, SENDING, SENT, SKIPPED, STATUSES, Notification,
)

DELIVER_JOB = "mail.deliver"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a notification is retried."""

    max_attempts: int = 8
    first_delay_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    #: how long a job may hold a notification it is sending before another may take it
    lease_seconds: float = 300.0

    @classmethod
    def from_config(cls, config) -> RetryPolicy:
        return cls(int(config["MAIL_MAX_ATTEMPTS"]), float(config["MAIL_RETRY_SECONDS"]),
                   float(config["MAIL_RETRY_MAX_SECONDS"]), float(config["MAIL_LEASE_SECONDS"]))

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the attempt numbered `attempts` failed (doubling each time)."""
        return min(self.first_delay_seconds * 2 ** max(attempts - 1, 0), self.max_delay_seconds)


#: one statement for both databases (SQLite 3.35+ and PostgreSQL), written as text because the
#: dialects' INSERT … ON CONFLICT constructs are compiled again on every call, which cost more
#: than the insert itself; an existing key inserts nothing and returns no id
_INSERT = text(
    "INSERT INTO notifications (kind, category, recipient, user_id, context, idempotency_key, "
    "status, attempts, next_attempt_at, created_at) "
    "VALUES (:kind, :category, :recipient, :user_id, :context, :key, :status, 0, :now, :now) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
).bindparams(bindparam("context", type_=JSON), bindparam("now", type_=UTCDateTime))


def queue(session: Session, *, kind: str, to: str, key: str, now: datetime,
          user: User | None = None, context: dict | None = None,
          category: str = ESSENTIAL) -> int | None:
    """Write a notification in the caller's transaction; its id, or None when nothing is written.

    Nothing is written when a notification with the same `key` exists (each cause mails once),
    or when `user` turned the optional `category` off. Delivery is enqueued after the commit.
    """
    if category != ESSENTIAL:
        if category not in OPTIONAL_CATEGORIES:
            raise ValueError(f"unknown mail category {category!r}")
        if user is not None and not user.wants_mail(category):
            return None
    notification_id = session.execute(_INSERT, dict(
        kind=kind, category=category, recipient=to, user_id=user.id if user else None,
        context=context or {}, key=key, status=PENDING, now=now)).scalar()
    if notification_id is not None:
        after_commit(session, DELIVER_JOB, notification_id=notification_id)
    return notification_id


def claim(session: Session, notification_id: int, now: datetime, policy: RetryPolicy) -> bool:
    """Take the notification for sending, if it is due and nobody holds it; counts an attempt."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id,
               or_((Notification.status == PENDING)
                   & (or_(Notification.next_attempt_at.is_(None),
                          Notification.next_attempt_at <= now)),
                   (Notification.status == SENDING) & (Notification.claimed_until < now)))
        .values(status=SENDING, attempts=Notification.attempts + 1,
                claimed_until=now + timedelta(seconds=policy.lease_seconds))
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def mark_sent(session: Session, notification: Notification, now: datetime) -> None:
    notification.status = SENT
    notification.sent_at = now
    notification.claimed_until = None
    notification.last_error = None


def mark_skipped(session: Session, notification: Notification, why: str) -> None:
    """Not sent, on purpose: the recipient turned the category off, or the account is gone."""
    notification.status = SKIPPED
    notification.claimed_until = None
    notification.last_error = why


def mark_failed_attempt(session: Session, notification: Notification, error: str,
                        now: datetime, policy: RetryPolicy, *, permanent: bool = False
                        ) -> float | None:
    """Record a failed attempt: the delay before the next one, or None when it is given up."""
    notification.last_error = error[:2000]
    notification.claimed_until = None
    if permanent or notification.attempts >= policy.max_attempts:
        notification.status = FAILED
        notification.next_attempt_at = None
        return None
    delay = policy.delay_after(notification.attempts)
    notification.status = PENDING
    notification.next_attempt_at = now + timedelta(seconds=delay)
    return delay


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Notifications whose job may have been lost: due and pending, or held past their lease."""
    return list(session.scalars(
        select(Notification.id)
        .where(or_((Notification.status == PENDING) & (Notification.next_attempt_at <= now),
                   (Notification.status == SENDING) & (Notification.claimed_until < now)))
        .order_by(Notification.id).limit(limit)))


def retry(session: Session, notification_ids: list[int] | None, now: datetime) -> int:
    """Give failed notifications (these, or all) a fresh round of attempts; how many."""
    stmt = select(Notification).where(Notification.status == FAILED)
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    retried = list(session.scalars(stmt))
    for notification in retried:
        notification.status = PENDING
        notification.attempts = 0
        notification.next_attempt_at = now
        after_commit(session, DELIVER_JOB, notification_id=notification.id)
    return len(retried)


def counts(session: Session) -> dict[str, int]:
    """How many notifications are in each status."""
    found = dict(session.execute(select(Notification.status, func.count())
                                 .group_by(Notification.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def recent(session: Session, status: str | None = None, limit: int = 100) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status in STATUSES:
        stmt = stmt.where(Notification.status == status)
    return list(session.scalars(stmt))
