"""A pooled database connection that the server dropped (a restart, a failover, an idle
timeout, an administrator's pg_terminate_backend) is noticed before use and replaced: the
requests that follow succeed instead of answering 500 until the pool has recycled."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from config import Config, ProductionConfig, TestConfig


@pytest.mark.parametrize("config", [Config, TestConfig, ProductionConfig])
def test_every_config_checks_connections_before_use(config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/okr")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_URL", "smtp://okr:secret@smtp.example.com:587")
    assert config.load()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_the_app_engine_pings_its_connections(db):
    assert db.engine.pool._pre_ping


def terminate_other_connections(url: str) -> int:
    """Terminate every other server process on the test database, as an administrator would."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()


def test_requests_after_the_servers_connections_were_terminated_succeed(app, db, client,
                                                                        login_as):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("terminating server connections needs PostgreSQL")
    login_as("learner")
    assert client.get("/courses").status_code == 200  # leaves a connection in the pool
    assert db.engine.pool.checkedin() >= 1

    assert terminate_other_connections(app.config["SQLALCHEMY_DATABASE_URI"]) >= 1

    statuses = [client.get("/courses").status_code for _ in range(10)]
    assert statuses == [200] * 10
