"""A short real soak (about 20 s, 2 workers, 4 clients) on PostgreSQL: the soak itself works.

Runs only when the suite's database is PostgreSQL (DATABASE_URL or TEST_DATABASE_URL, as in
tests/conftest.py), on a throwaway database of the same server, never the test database; it
is skipped when gunicorn cannot be started here. The soak runs in a process of its own, so its
environment (database, instance folder) never leaks into the suite's.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import normalise_database_url

ROOT = Path(__file__).resolve().parents[1]


def _postgres_server() -> str | None:
    """The test database's server (no database name), or None when the suite runs on SQLite."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql")):
        return None
    # scheme://user@host:port/name?options -> scheme://user@host:port
    return normalise_database_url(url).split("?", 1)[0].rsplit("/", 1)[0]


def _gunicorn_starts() -> str | None:
    """None when gunicorn serves a bare app here, else why not."""
    if importlib.util.find_spec("gunicorn") is None:
        return "gunicorn is not installed"
    from bench.servers import gunicorn

    try:
        with gunicorn("bench.baseline_app:create_app()", {}, workers=1, ready_path="/page"):
            return None
    except (OSError, RuntimeError) as error:
        return f"gunicorn cannot be started: {error}"[:300]


def test_a_short_soak_on_postgresql_passes_every_check():
    server = _postgres_server()
    if server is None:
        pytest.skip("the soak needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL to a "
                    "postgresql URL")
    why_not = _gunicorn_starts()
    if why_not:
        pytest.skip(why_not)
    results = _soak_block()
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env["BENCH_POSTGRES"] = server  # bench/pg.py makes and drops its own database there
    run = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--minutes", "0.35", "--warmup-minutes", "0.1",
         "--workers", "2", "--clients", "4", "--no-write"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    for check in ("No errors", "Nothing lost", "Workers stable", "Memory bound",
                  "Server log clean"):
        assert f"**{check}: pass**" in run.stdout, output[-5000:]
    assert "| quiz submit |" in run.stdout and "| verify API (valid) |" in run.stdout
    assert _soak_block() == results, "--no-write wrote the report into BENCHMARKS.md"


def _soak_block() -> str:
    from bench.soak import SOAK_END, SOAK_START

    text = (ROOT / "BENCHMARKS.md").read_text()
    return text.split(SOAK_START, 1)[-1].split(SOAK_END, 1)[0]
