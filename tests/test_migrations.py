"""`flask db upgrade` builds the schema from empty, and the models match the migrations."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from config import TestConfig


def _upgrade_and_compare(url: str, tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert {"users", "organisations", "courses", "certificates", "quiz_attempts"} <= tables
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_from_empty_on_sqlite(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)


def test_upgrade_from_empty_on_postgresql(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not base.startswith("postgres"):
        pytest.skip("runs when the suite is pointed at PostgreSQL (DATABASE_URL)")
    from config import normalise_database_url
    server = normalise_database_url(base).rsplit("/", 1)[0]
    name = f"okr_migration_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        _upgrade_and_compare(f"{server}/{name}", tmp_path)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
