"""The mail jobs: deliver one notification, sweep the outbox, remind before certificates expire.

Jobs are edges: they read the app's settings and call the services with the session and the
clock. The job runner (app.jobs) commits what a job leaves in the session when it returns.
"""
from __future__ import annotations

import logging

from flask import current_app

from app.certificates.services import announce_expiring
from app.clock import utcnow
from app.extensions import db
from app.jobs import job_queue, jobs
from app.models.notifications import Notification
from app.notifications import outbox
from app.notifications.extension import send, write_message
from app.notifications.transports import DeliveryError

log = logging.getLogger(__name__)

#: how far ahead the daily job looks; the reminders go 90, 30 and 7 days before expiry
REMINDER_HORIZON_DAYS = 90


@jobs.task(outbox.DELIVER_JOB)
def deliver(notification_id: int) -> None:
    """Send one notification, once: claim it, send it, record the outcome."""
    policy = outbox.RetryPolicy.from_config(current_app.config)
    if not outbox.claim(db.session, notification_id, utcnow(), policy):
        return  # sent already, sent by another job right now, or not due yet
    db.session.commit()  # the claim holds while the message is sent
    notification = db.session.get(Notification, notification_id)
    try:
        message = write_message(db.session, notification)
        if message is None:
            outbox.mark_skipped(db.session, notification, "nothing to send any more")
            return
        send(message)
    except DeliveryError as error:
        delay = outbox.mark_failed_attempt(db.session, notification, str(error), utcnow(),
                                           policy, permanent=error.permanent)
    except Exception as error:  # a fault in writing the mail: kept, retried, then failed
        log.exception("Writing notification %s failed", notification_id)
        delay = outbox.mark_failed_attempt(db.session, notification,
                                           f"{type(error).__name__}: {error}", utcnow(), policy)
    else:
        outbox.mark_sent(db.session, notification, utcnow())
        return
    db.session.commit()
    if delay is not None:
        job_queue().enqueue(outbox.DELIVER_JOB, delay=delay, notification_id=notification_id)


@jobs.periodic("mail.sweep", minute="*")
def sweep() -> None:
    """Enqueue every notification whose job may have been lost (see :func:`outbox.due`)."""
    queue = job_queue()
    for notification_id in outbox.due(db.session, utcnow()):
        queue.enqueue(outbox.DELIVER_JOB, notification_id=notification_id)


@jobs.periodic("certificates.expiry_reminders", minute="15", hour="6")
def expiry_reminders() -> None:
    """Once a day: announce the certificates expiring within 90 days (mailed once per step)."""
    announce_expiring(db.session, utcnow(), REMINDER_HORIZON_DAYS)
