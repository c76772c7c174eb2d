"""`flask jobs …` (the consumer and the queue) and `flask mail test`."""
from __future__ import annotations

import logging
import uuid

import click
from flask.cli import AppGroup

from app.clock import utcnow
from app.extensions import db
from app.jobs import job_queue
from app.models.notifications import FAILED, SENT, Notification
from app.notifications import outbox
from app.notifications.tasks import deliver

jobs_group = AppGroup("jobs", help="Run and inspect the background jobs.")
mail_group = AppGroup("mail", help="Check the mail settings.")


@jobs_group.command("run")
@click.option("--workers", default=2, show_default=True, help="Jobs run at once (threads).")
def run_consumer(workers: int) -> None:
    """Run a consumer: deliver mails and run the periodic jobs until stopped (Ctrl-C, SIGTERM)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s [jobs] %(message)s")
    queue = job_queue()
    queue.enqueue("mail.sweep")  # what waited while no consumer ran
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                          scheduler_interval=1, check_worker_health=True)
    consumer.run()


@jobs_group.command("status")
def status() -> None:
    """Jobs queued and scheduled, notifications by status, and the failed ones."""
    huey = job_queue().huey
    click.echo(f"jobs queued: {huey.pending_count()}")
    click.echo(f"jobs scheduled: {huey.scheduled_count()}")
    for name, count in outbox.counts(db.session).items():
        click.echo(f"notifications {name}: {count}")
    for notification in outbox.recent(db.session, FAILED, limit=20):
        click.echo(f"  failed #{notification.id} {notification.kind} to "
                   f"{notification.recipient}: {notification.last_error}")


@jobs_group.command("retry-failed")
def retry_failed() -> None:
    """Give every failed notification a new round of attempts."""
    count = outbox.retry(db.session, None, utcnow())
    db.session.commit()
    click.echo(f"{count} failed notification(s) queued again.")


@jobs_group.command("sweep")
def sweep_now() -> None:
    """Queue every notification that is due now (the consumer does so every minute)."""
    due = outbox.due(db.session, utcnow())
    for notification_id in due:
        job_queue().enqueue(outbox.DELIVER_JOB, notification_id=notification_id)
    click.echo(f"{len(due)} notification(s) queued.")


@mail_group.command("test")
@click.argument("address")
def send_test(address: str) -> None:
    """Send a test mail to ADDRESS now, through the configured transport, and report."""
    notification_id = outbox.queue(db.session, kind="test", to=address.strip(),
                                   key=f"test:{uuid.uuid4()}", now=utcnow())
    db.session.commit()
    deliver(notification_id=notification_id)
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    if notification.status != SENT:
        raise click.ClickException(f"Not sent ({notification.status}): {notification.last_error}")
    click.echo(f"Sent to {address} (notification #{notification_id}).")
