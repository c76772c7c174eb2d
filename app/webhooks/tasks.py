"""The webhook jobs: deliver one message, and sweep for deliveries whose job was lost.

Jobs are edges: they read the app's settings and the clock and call the services. The job
runner (app.jobs) commits what a job leaves in the session when it returns.
"""
from __future__ import annotations

import logging

from flask import current_app

from app.clock import utcnow
from app.extensions import db
from app.jobs import job_queue, jobs
from app.models import WebhookDelivery
from app.webhooks import outbox
from app.webhooks.delivery import Attempt, post

log = logging.getLogger(__name__)


@jobs.task(outbox.DELIVER_JOB)
def deliver(delivery_id: int) -> None:
    """Send one delivery, once: claim it, POST it signed, record the outcome."""
    settings = outbox.DeliverySettings.from_config(current_app.config)
    if not outbox.claim(db.session, delivery_id, utcnow(), settings.lease):
        return  # delivered already, being sent by another job, not due, or its endpoint is off
    db.session.commit()  # the claim holds while the message is sent
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    try:
        attempt = post(endpoint.url, delivery.event_id, delivery.payload,
                       outbox.signing_secrets(endpoint, utcnow()),
                       timeout=settings.timeout_seconds, allow_loopback=settings.allow_loopback)
    except Exception as error:  # a fault of ours: kept as a failed attempt, retried, given up
        log.exception("Sending webhook delivery %s failed", delivery_id)
        attempt = Attempt(error=f"{type(error).__name__}: {error}"[:500])
    delay = outbox.record_attempt(db.session, delivery, attempt, utcnow(), settings)
    db.session.commit()
    if delay is not None:
        job_queue().enqueue(outbox.DELIVER_JOB, delay=delay, delivery_id=delivery_id)


@jobs.periodic("webhooks.sweep", minute="*")
def sweep() -> None:
    """Enqueue every delivery whose job may have been lost (see :func:`outbox.due`)."""
    queue = job_queue()
    for delivery_id in outbox.due(db.session, utcnow()):
        queue.enqueue(outbox.DELIVER_JOB, delivery_id=delivery_id)
