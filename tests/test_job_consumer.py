"""Real consumers: `flask jobs run` in processes of their own, killed and restarted, delivering
to the real SMTP server of tests/smtp_server.py.

The test process writes notifications with an app of its own on the same database and queue,
as the web processes do. On SQLite both are files in the test's folder (SqliteHuey); when
TEST_JOBS_URL names a Redis server (the PostgreSQL run of .ci/run) the queue is there, under a
name of the test's own, and the database is a PostgreSQL database made for the test. Each
consumer is started in a session of its own and stopped by its process id.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.jobs import job_queue
from app.models.notifications import PENDING, SENDING, SENT, Notification
from app.notifications import outbox
from app.notifications.messages import message_id
from config import TestConfig, normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
#: the longest a test waits for something that takes a second or two when all is well
PATIENCE = 12.0
LEASE_SECONDS = 2.0
RETRY_SECONDS = 0.5
#: the settings of the suite that must not reach a consumer
SUITE_ONLY = ("DATABASE_URL", "TEST_DATABASE_URL", "JOBS_URL", "JOBS_QUEUE_NAME", "MAIL_URL",
              "MAIL_FOLDER", "INSTANCE_PATH", "KEYS_DIR", "OKR_ACADEMY_ENV", "SECRET_KEY",
              "FLASK_APP", "TEST_JOBS_URL")


def _postgres_server() -> str | None:
    """The suite's PostgreSQL server (no database name), or None on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql")):
        return None
    return normalise_database_url(url).split("?", 1)[0].rsplit("/", 1)[0]


@dataclass
class Stack:
    """The database and queue a test shares with its consumers, and the consumers it runs."""

    folder: Path
    env: dict[str, str]
    app: Flask
    consumers: list[subprocess.Popen] = field(default_factory=list)

    def start_consumer(self) -> subprocess.Popen:
        log = (self.folder / f"consumer-{len(self.consumers) + 1}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "run", "--workers", "2"], cwd=ROOT,
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.consumers.append(process)
        return process

    def stop(self, process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.folder.glob("consumer-*.log")))

    def queue_mail(self, to: str) -> int:
        """Write a notification as a web process does: committed, its delivery enqueued."""
        with self.app.app_context():
            notification_id = outbox.queue(db.session, kind="test", to=to,
                                           key=f"consumer-test:{uuid.uuid4()}", now=utcnow())
            db.session.commit()
            return notification_id

    def notification(self, notification_id: int) -> Notification:
        """The row as it is now, read in a short transaction of its own."""
        with self.app.app_context():
            try:
                notification = db.session.get(Notification, notification_id)
                db.session.expunge(notification)
                return notification
            finally:
                db.session.remove()

    def message_id(self, notification_id: int) -> str:
        with self.app.app_context():
            try:
                return message_id(db.session.get(Notification, notification_id), "okr.academy")
            finally:
                db.session.remove()

    def wait_until(self, what: str, check: Callable[[], object], timeout: float = PATIENCE):
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not within {timeout:.0f} s\n{self.logs()}")
            time.sleep(0.05)


@pytest.fixture
def stack(tmp_path, smtp_server) -> Iterator[Stack]:
    jobs_url = os.environ.get("TEST_JOBS_URL") or f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    queue_name = f"okr-consumer-test-{uuid.uuid4().hex[:10]}"
    server = _postgres_server()
    if server:
        name = f"okr_consumer_test_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        database_url = f"{server}/{name}"
    else:
        database_url = f"sqlite:///{tmp_path / 'academy.sqlite3'}"
    env = {name: value for name, value in os.environ.items() if name not in SUITE_ONLY}
    env.update(OKR_ACADEMY_ENV="development", FLASK_APP="app", DATABASE_URL=database_url,
               INSTANCE_PATH=str(tmp_path), SECRET_KEY="consumer-test-secret-key-" + "x" * 24,
               MAIL_URL=smtp_server.url, MAIL_RETRY_SECONDS=str(RETRY_SECONDS),
               MAIL_LEASE_SECONDS=str(LEASE_SECONDS), MAIL_TIMEOUT_SECONDS="20",
               JOBS_URL=jobs_url, JOBS_QUEUE_NAME=queue_name, PYTHONUNBUFFERED="1")
    app = create_app(TestConfig, overrides={
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "JOBS_URL": jobs_url,
        "JOBS_QUEUE_NAME": queue_name, "INSTANCE_PATH": str(tmp_path),
        "KEYS_DIR": str(tmp_path / "keys"), "MAIL_URL": smtp_server.url,
        "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        db.create_all()
        db.session.remove()
    stack = Stack(tmp_path, env, app)
    try:
        yield stack
    finally:
        for process in stack.consumers:
            stack.stop(process, signal.SIGKILL)
        with app.app_context():
            job_queue(app).huey.flush()  # the test's queue name only
            db.session.remove()
            db.engine.dispose()
        if server:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_the_consumer_delivers_what_another_process_queued(stack, smtp_server):
    expected = "RedisHuey" if os.environ.get("TEST_JOBS_URL") else "SqliteHuey"
    assert type(job_queue(stack.app).huey).__name__ == expected
    before = stack.queue_mail("early@example.com")  # waits for the consumer to start
    stack.start_consumer()
    after = stack.queue_mail("later@example.com")  # reaches a running consumer
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["early@example.com", "later@example.com"]
    for notification_id in (before, after):
        notification = stack.wait_until(
            "recorded as sent", lambda n=notification_id: (
                found := stack.notification(n)).status == SENT and found)
        assert notification.attempts == 1
    assert {m["Message-ID"] for m in messages} == {stack.message_id(before),
                                                   stack.message_id(after)}


def test_a_consumer_killed_mid_send_is_replaced_and_the_mail_goes_once(stack, smtp_server):
    smtp_server.hold()
    notification_id = stack.queue_mail("held@example.com")
    consumer = stack.start_consumer()
    if not smtp_server.data_waiting.wait(PATIENCE):
        pytest.fail(f"the consumer never reached DATA\n{stack.logs()}")
    os.killpg(consumer.pid, signal.SIGKILL)
    consumer.wait(5)
    smtp_server.release()
    # the server read the whole message, but the client died before the 250: not accepted
    [abandoned] = stack.wait_until("the server saw the connection close",
                                   lambda: smtp_server.abandoned)
    assert smtp_server.received == []
    dead = stack.notification(notification_id)
    assert (dead.status, dead.attempts) == (SENDING, 1)

    # the claim holds until its lease runs out; then the next consumer's sweep takes it
    stack.wait_until("the lease ran out", lambda: dead.claimed_until < utcnow(),
                     timeout=LEASE_SECONDS + 2)
    stack.start_consumer()
    [message] = smtp_server.wait_for(1)
    notification = stack.wait_until("recorded as sent", lambda: (
        found := stack.notification(notification_id)).status == SENT and found)
    assert notification.attempts == 2
    assert message["Message-ID"] == abandoned.message["Message-ID"] \
        == stack.message_id(notification_id)
    time.sleep(RETRY_SECONDS)  # anything sent twice would have arrived by now
    assert [r.message["Message-ID"] for r in smtp_server.received] == [message["Message-ID"]]


def test_a_consumer_retries_while_smtp_is_down_and_delivers_once_it_is_back(stack, smtp_server):
    smtp_server.stop()
    notification_id = stack.queue_mail("patient@example.com")
    stack.start_consumer()
    retry_at: dict[int, object] = {}  # attempt -> when the next one is due

    def three_refused() -> bool:
        found = stack.notification(notification_id)
        if found.status == PENDING and found.attempts:
            assert "ConnectionRefused" in found.last_error
            retry_at.setdefault(found.attempts, found.next_attempt_at)
        return len(retry_at) >= 3
    stack.wait_until("three attempts refused", three_refused)
    assert sorted(retry_at)[:3] == [1, 2, 3]
    # each retry waits twice as long as the one before (0.5, 1, 2 s): the moments the retries
    # fall due lie at least the next delay apart
    assert (retry_at[2] - retry_at[1]).total_seconds() >= 2 * RETRY_SECONDS
    assert (retry_at[3] - retry_at[2]).total_seconds() >= 4 * RETRY_SECONDS

    smtp_server.start()  # on the same port
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "patient@example.com"
    notification = stack.wait_until("recorded as sent", lambda: (
        found := stack.notification(notification_id)).status == SENT and found)
    assert notification.attempts >= 4 and notification.last_error is None
    time.sleep(RETRY_SECONDS)
    assert len(smtp_server.received) == 1
