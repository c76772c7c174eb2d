"""The verification log, written in batches off the request path.

Every public check (page, API, PDF upload) adds one log entry. Writing it inside the request
costs a transaction per check, which on the busiest public endpoint is about half of the work;
here each process queues its entries and a background thread writes them every fraction of a
second in one INSERT. An entry reaches the database within `interval` seconds; entries still
queued when the process exits are written by its exit handler. A hard kill of a worker loses
at most the last interval's entries, which a log of public lookups can afford.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from app.models import VerificationLog

logger = logging.getLogger(__name__)

#: PostgreSQL commits without waiting for the disk flush: losing the last few log entries in a
#: server crash is acceptable, waiting several ms on every public check is not
ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def write_entries(engine: Engine, entries: list[dict]) -> None:
    """Insert log entries (the column values of `VerificationLog`) in one transaction."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(ASYNCHRONOUS_COMMIT)
        connection.execute(insert(VerificationLog.__table__), entries)


class BatchedLogWriter:
    """Queues log entries and writes them from a daemon thread, one INSERT per batch.

    :param interval: the longest an entry waits in the queue, in seconds
    :param max_batch: a batch this large is written at once, without waiting for the interval
    :param max_queued: when the database cannot keep up (or is down) and this many entries are
        waiting, `add` writes in the caller's thread, so memory stays bounded
    """

    def __init__(self, engine: Engine, *, interval: float = 0.2, max_batch: int = 500,
                 max_queued: int = 10_000):
        self.engine = engine
        self.interval = interval
        self.max_batch = max_batch
        self.max_queued = max_queued
        self._reset()
        atexit.register(self.close)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._entries: list[dict] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, entries: Iterable[dict]) -> None:
        """Queue entries; they are written within `interval` seconds."""
        if self._pid != os.getpid():
            self._reset()  # a forked child inherits the queue but not the thread
        with self._lock:
            self._entries.extend(entries)
            backlog = len(self._entries)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="verification-log",
                                                daemon=True)
                self._thread.start()
        if backlog >= self.max_queued:
            self.flush()
        elif backlog >= self.max_batch:
            self._wake.set()

    def flush(self) -> int:
        """Write every queued entry now; return how many. On failure they stay queued."""
        with self._lock:
            batch, self._entries = self._entries, []
        if not batch:
            return 0
        try:
            write_entries(self.engine, batch)
        except Exception:
            with self._lock:
                self._entries[:0] = batch[-self.max_queued:]
            raise
        return len(batch)

    @property
    def queued(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Stop the thread and write what is left (at exit, or when the app is torn down)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() \
                and self._pid == os.getpid():
            thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            logger.exception("could not write %d verification log entries at exit",
                             self.queued)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("could not write %d verification log entries; retrying",
                                 self.queued)
