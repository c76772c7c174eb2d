"""The administrators' view of the mail outbox: the notifications listed, failed ones retried."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.audit import record
from app.domain import DomainError
from app.models import User
from app.models.notifications import FAILED, STATUSES, Notification
from app.notifications import outbox

#: how many failed notifications an audit entry names one by one
AUDITED_IDS = 100


class NothingToRetry(DomainError):
    """No failed notification was there to retry (retried or sent meanwhile)."""

    status_code = 409


def notification_listing(status: str | None) -> Select:
    """The notifications, newest first, only those in `status` when it is one."""
    stmt = select(Notification).order_by(Notification.id.desc())
    if status in STATUSES:
        stmt = stmt.where(Notification.status == status)
    return stmt


def retry_failed(session: Session, actor: User, notification_id: int | None,
                 now: datetime) -> int:
    """Give one failed notification (or, with None, every failed one) a fresh round of
    attempts; its delivery is enqueued after the commit. How many; NothingToRetry for none."""
    ids = None if notification_id is None else [notification_id]
    named = ids or list(session.scalars(  # the first ones, for the record
        select(Notification.id).where(Notification.status == FAILED)
        .order_by(Notification.id).limit(AUDITED_IDS)))
    count = outbox.retry(session, ids, now)
    if count == 0:
        raise NothingToRetry(_l("There is no failed mail to retry: it was retried or sent "
                                "meanwhile.") if ids else _l("There is no failed mail to retry."))
    summary = (f"Notification #{notification_id} queued again" if ids else
               f"{count} failed notification{'s' if count != 1 else ''} queued again")
    record(session, actor, "mail.retry", "notification", notification_id or "failed", summary,
           count=count, ids=named)
    return count
