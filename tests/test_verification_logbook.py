"""The batched verification log: entries are written off the request path, none are lost."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select

from app.models import VerificationLog
from app.verify import services
from app.verify.logbook import BatchedLogWriter
from app.verify.routes import LOG_WRITER_KEY

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    VerificationLog.__table__.create(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def make_writer(engine):
    writers = []

    def make(**options) -> BatchedLogWriter:
        writer = BatchedLogWriter(options.pop("engine", engine), **options)
        writers.append(writer)
        return writer
    yield make
    for writer in writers:
        writer._stopping.set()
        writer._wake.set()


def entries(n: int, channel: str = "api") -> list[dict]:
    return services.log_entries([(f"OKR-CODE-{i}", "valid") for i in range(n)],
                                channel=channel, client="digest", now=NOW)


def logged(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(VerificationLog.__table__))


def logged_within(engine, expected: int, *, seconds: float) -> int:
    """The number of entries once it reaches `expected`, or when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while logged(engine) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return logged(engine)


def test_flush_writes_every_queued_entry(engine, make_writer):
    writer = make_writer(interval=3600)
    writer.add(entries(3))
    writer.add(entries(2, channel="web"))
    assert logged(engine) == 0 and writer.queued == 5
    assert writer.flush() == 5
    assert logged(engine) == 5 and writer.queued == 0
    assert writer.flush() == 0


def test_the_thread_writes_within_the_interval(engine, make_writer):
    writer = make_writer(interval=0.05)
    writer.add(entries(4))
    assert logged_within(engine, 4, seconds=5) == 4


def test_a_full_batch_is_written_without_waiting_for_the_interval(engine, make_writer):
    writer = make_writer(interval=3600, max_batch=10)
    writer.add(entries(10))
    assert logged_within(engine, 10, seconds=5) == 10


def test_close_writes_what_is_left(engine, make_writer):
    writer = make_writer(interval=3600)
    writer.add(entries(7))
    writer.close()
    assert logged(engine) == 7


def test_a_failed_write_keeps_the_entries_for_the_next_try(tmp_path, make_writer):
    engine = create_engine(f"sqlite:///{tmp_path / 'not-yet.sqlite3'}")
    writer = make_writer(engine=engine, interval=3600)
    writer.add(entries(3))
    with pytest.raises(Exception):
        writer.flush()  # no table yet: the database "is down"
    assert writer.queued == 3
    VerificationLog.__table__.create(engine)
    assert writer.flush() == 3
    assert logged(engine) == 3
    engine.dispose()


def test_a_long_queue_is_written_by_the_caller(engine, make_writer):
    """When entries pile up (the database is slow), `add` writes them itself: bounded memory."""
    writer = make_writer(interval=3600, max_queued=5)
    writer.add(entries(4))
    assert writer.queued == 4
    writer.add(entries(1))
    assert writer.queued == 0 and logged(engine) == 5


def test_a_forked_process_starts_with_an_empty_queue(engine, make_writer):
    writer = make_writer(interval=3600)
    writer.add(entries(2))
    writer._pid = -1  # as seen from a child process forked after those entries were queued
    writer.add(entries(1))
    assert writer.queued == 1


def test_the_api_answers_before_its_log_entry_is_written(app, db, client):
    app.config["VERIFICATION_LOG_BATCHED"] = True
    writer = app.extensions[LOG_WRITER_KEY] = BatchedLogWriter(db.engine, interval=3600)
    try:
        response = client.get("/api/v1/certificates/OKR-0000-0000-0000-0000-0")
        assert response.status_code in (400, 404)
        assert writer.queued == 1
        assert db.session.scalar(select(func.count()).select_from(VerificationLog)) == 0

        writer.flush()

        row = db.session.scalars(select(VerificationLog)).one()
        assert row.channel == "api" and row.client and row.verdict == response.json["verdict"]
    finally:
        writer._stopping.set()
        writer._wake.set()
