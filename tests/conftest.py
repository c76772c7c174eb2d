"""Shared fixtures: the app on a fresh database per test, clients, users and a login helper."""
from __future__ import annotations

import itertools
import os

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.auth import services
from app.extensions import db as _db
from app.extensions import limiter
from config import TestConfig

DEFAULT_PASSWORD = "Correct-Horse-42"
_sequence = itertools.count(1)
_schema_ready: set[str] = set()


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or "sqlite://"


def _guard_against_real_data(url: str) -> None:
    """Refuse to wipe a server database whose name does not say it is for tests."""
    if not url.startswith("sqlite") and "test" not in url.rsplit("/", 1)[-1]:
        pytest.exit(f"Refusing to run the suite against {url!r}: its database name must contain "
                    "'test'.", returncode=2)


class IsolatedClient(FlaskClient):
    """Each request starts with an empty `g`, as in production, although tests keep one app
    context open across requests."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path):
    url = _database_url()
    _guard_against_real_data(url)
    app = create_app(TestConfig)
    app.test_client_class = IsolatedClient
    app.config.update(INSTANCE_PATH=str(tmp_path), KEYS_DIR=str(tmp_path / "keys"))
    with app.app_context():
        if url.startswith("sqlite") or url not in _schema_ready:
            if not url.startswith("sqlite"):
                _db.drop_all()
            _db.create_all()
            _schema_ready.add(url)
        limiter.reset()
        yield app
        _db.session.remove()
        if url.startswith("sqlite"):
            _db.engine.dispose()  # the in-memory database goes with its connection
        else:
            _truncate_all()


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
    with _db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_org(app):
    def make(name: str | None = None):
        org = services.create_organisation(_db.session, name or f"Org {next(_sequence)}")
        _db.session.commit()
        return org
    return make


@pytest.fixture
def make_user(app):
    """Factory: make_user(role="hr", org=org, name=..., email=..., password=...)."""
    def make(role: str = "learner", *, org=None, name: str | None = None,
             email: str | None = None, password: str = DEFAULT_PASSWORD, active: bool = True):
        n = next(_sequence)
        user = services.create_user(
            _db.session, email=email or f"{role}{n}@example.com",
            name=name or f"Test {role.title()} {n}", password=password,
            policy=services.PasswordPolicy.from_config(app.config), roles=(role,),
            organisation=org)
        user.is_active_account = active
        _db.session.commit()
        return user
    return make


class CsrfClient:
    """A test client that fetches a page first and sends its CSRF token, like a browser."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/login") -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict | None = None, *, token_from: str | None = None,
             **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from or path))
        return self.client.post(path, data=data, **kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def browser(client):
    return CsrfClient(client)


@pytest.fixture
def login_as(app, client, make_user):
    """login_as("trainer") makes a user with that role, logs the client in and returns the user."""
    def login(role_or_user="learner", **kwargs):
        user = role_or_user if not isinstance(role_or_user, str) else make_user(role_or_user,
                                                                                **kwargs)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return user
    return login


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys last: Playwright's event loop lives until the end of the
    session, and code that starts its own loop (PDF signing) must have run before."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
