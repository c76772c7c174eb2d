"""The real app on a database that many threads reach at once, each through its own connection,
and a way to send one request from each thread at the same moment."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db, limiter
from config import TestConfig

#: how long a test waits for its threads before it gives up (never reached when all is well)
PATIENCE = 30
Request = Callable[[Flask], TestResponse]


@pytest.fixture
def threaded_app(app: Flask, tmp_path) -> Iterator[Flask]:
    """A second app on a file-backed SQLite database (or the suite's PostgreSQL one), with a
    pool big enough for every thread; CSRF is off, which is not what these tests are about."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    sqlite = url.startswith("sqlite")
    if sqlite:
        url = f"sqlite:///{tmp_path / 'threads.sqlite3'}"
    threaded = create_app(TestConfig, overrides={
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 48, "max_overflow": 0},
        "INSTANCE_PATH": str(tmp_path), "KEYS_DIR": str(tmp_path / "keys")})
    with threaded.app_context():
        if sqlite:
            db.create_all()
        limiter.reset()
        yield threaded
        db.session.remove()
        db.engine.dispose()  # PostgreSQL: `app` truncates the tables when it ends


def at_once(app: Flask, requests: list[Request]) -> list[TestResponse]:
    """Send each request from its own thread, all released together; the responses in order."""
    start = threading.Barrier(len(requests), timeout=PATIENCE)
    responses: list[TestResponse | BaseException | None] = [None] * len(requests)

    def run(index: int, request: Request) -> None:
        try:
            start.wait()
            responses[index] = request(app)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            responses[index] = error

    threads = [threading.Thread(target=run, args=(index, request))
               for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE * 2)
    failures = [r for r in responses if not isinstance(r, TestResponse)]
    assert not failures, failures
    return responses  # type: ignore[return-value]
