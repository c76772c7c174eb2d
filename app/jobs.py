"""Background jobs on Huey: declared by the areas, bound to the app's queue at start-up.

The queue is SQLite in the instance folder by default (nothing else to run), Redis when
``JOBS_URL=redis://…`` (consumers on as many machines as needed), memory in the tests. A job is
a function ``fn(**arguments)`` declared with :meth:`Jobs.task` or :meth:`Jobs.periodic` in an
area's ``tasks`` module; it runs inside an application context and its transaction is committed
when it returns, rolled back when it raises.

Work that a transaction causes (a mail to deliver) is enqueued *after* that transaction commits,
with :func:`after_commit`: a rolled-back change enqueues nothing, and a committed one whose
enqueue failed (the queue was down) is found again by the outbox's periodic sweep.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

_PENDING = "jobs.after_commit"


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: Callable[..., Any]
    schedule: dict | None = None  # crontab fields of a periodic job


class Jobs:
    """The declared jobs; :func:`init_jobs` gives each application a queue that runs them."""

    def __init__(self) -> None:
        self.specs: dict[str, JobSpec] = {}

    def task(self, name: str) -> Callable:
        """Declare a job that is enqueued by name (see :func:`enqueue`)."""
        def declare(function: Callable) -> Callable:
            self.specs[name] = JobSpec(name, function)
            return function
        return declare

    def periodic(self, name: str, **schedule: str) -> Callable:
        """Declare a job the consumer runs on a crontab schedule (``minute="*/5"``, ...).

        One consumer runs it at a time, however many are started (a lock in the queue).
        """
        def declare(function: Callable) -> Callable:
            self.specs[name] = JobSpec(name, function, schedule)
            return function
        return declare


jobs = Jobs()


class JobQueue:
    """An application's Huey queue and its bound jobs, by name."""

    def __init__(self, huey: Huey, wrappers: dict[str, Any]) -> None:
        self.huey = huey
        self._wrappers = wrappers

    def enqueue(self, name: str, delay: float | None = None, **arguments: Any) -> None:
        """Put the job `name` on the queue, to run now or after `delay` seconds."""
        wrapper = self._wrappers[name]
        if delay:
            wrapper.schedule(kwargs=arguments, delay=delay)
        else:
            wrapper(**arguments)

    def run_pending(self, limit: int = 1000) -> int:
        """Run what is queued now, in this process (the tests' and the command line's consumer);
        the number of jobs run."""
        count = 0
        while count < limit:
            task = self.huey.dequeue()
            if task is None:
                return count
            self.huey.execute(task)
            count += 1
        return count


def build_queue(app: Flask) -> JobQueue:
    """The Huey queue JOBS_URL names, with every declared job bound to `app`."""
    url = app.config.get("JOBS_URL") or ""
    name = app.config.get("JOBS_QUEUE_NAME") or "okr-academy"
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = RedisHuey(name, url=url, results=False)
    elif url.startswith("memory://"):
        huey = MemoryHuey(name, results=False)
    else:
        path = Path(url.removeprefix("sqlite:///") if url else
                    Path(app.config["INSTANCE_PATH"]) / "jobs.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        # no fsync per enqueue: a job lost to a power cut is found again by the outbox's sweep
        huey = SqliteHuey(name, filename=str(path), results=False, fsync=False)
    wrappers = {}
    for spec in jobs.specs.values():
        runner = _bound(app, huey, spec)
        if spec.schedule is None:
            wrappers[spec.name] = huey.task(name=spec.name)(runner)
        else:
            wrappers[spec.name] = huey.periodic_task(crontab(**spec.schedule),
                                                     name=spec.name)(runner)
    return JobQueue(huey, wrappers)


def _bound(app: Flask, huey: Huey, spec: JobSpec) -> Callable:
    def run(**arguments: Any) -> None:
        with app.app_context():
            try:
                if spec.schedule is None:
                    spec.function(**arguments)
                else:
                    with huey.lock_task(spec.name):
                        spec.function(**arguments)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
    run.__name__ = spec.name.replace(".", "_")
    return run


def init_jobs(app: Flask) -> None:
    app.extensions["jobs"] = build_queue(app)


def job_queue(app: Flask | None = None) -> JobQueue:
    """The queue of `app`, or of the current application."""
    return (app or current_app).extensions["jobs"]


def after_commit(session: Session, name: str, **arguments: Any) -> None:
    """Enqueue the job once the session's transaction commits (nothing if it rolls back)."""
    session.info.setdefault(_PENDING, []).append((name, arguments))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    for name, arguments in pending:
        try:
            job_queue().enqueue(name, **arguments)
        except Exception:  # the queue is down: the periodic sweep finds the work again
            log.exception("Could not enqueue %s %s", name, arguments)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
