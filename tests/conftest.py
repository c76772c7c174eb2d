"""Shared fixtures: the app on a fresh database per test, clients, users and a login helper.

Issuing a certificate in a test stores one shared sample PDF, rendered and signed once per
session, instead of rendering its own: payload signing, the database row and the hash of the
stored bytes stay real. A test that looks at a certificate's PDF is marked `renders_pdf` and
renders every certificate for real; `--render-all-pdfs` does so for every test.
"""
from __future__ import annotations

import functools
import itertools
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.auth import services
from app.auth.logins import start_login
from app.certificates.extension import issuer_for
from app.certificates.issuer import CertificateIssuer, IssuerSettings
from app.certificates.payload import CertificatePayload
from app.certificates.pdf import CertificateFacts
from app.extensions import db as _db
from app.extensions import limiter
from config import TestConfig
from tests.compiled_once import share_compiled_templates, share_url_builders
from tests.smtp_server import SmtpServer

share_url_builders()

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


# --- certificate PDFs: one shared sample unless a test looks at the PDF ----------------------

RENDERS_PDF = "renders_pdf"
#: what the shared sample certifies: no certificate a test issues has its code or holder
SAMPLE_PAYLOAD = dict(code="OKR-XSRK-NT8C-K50S-MD7Z-E", holder_name="Shared Sample PDF",
                      course_title="Not this certificate's PDF: mark the test renders_pdf",
                      course_slug="shared-sample-pdf", course_version=1,
                      issued_on=date(2025, 1, 1), expires_on=None)


class SampleCertificatePdf:
    """A certificate PDF rendered and signed once per session, by a real issuer of its own.

    Its embedded record, printed text and PDF signature belong to the sample certificate and
    the sample's own keys, never to a certificate a test issues: a test that inspects the PDF
    without the `renders_pdf` marker fails (PDF verification finds no certificate under the
    sample's code, the signature chains to a root the test app does not trust).
    """

    def __init__(self, keys_dir: Path) -> None:
        self._keys_dir = keys_dir
        self._pdf: bytes | None = None
        self._lock = threading.Lock()

    @property
    def pdf(self) -> bytes:
        """The sample's signed PDF bytes, rendered on first use."""
        with self._lock:
            if self._pdf is None:
                self._pdf = self._render()
            return self._pdf

    def render_and_sign(self, facts: CertificateFacts, template: str | None = None) -> bytes:
        """CertificateIssuer.render_and_sign's stand-in: the sample's bytes, whatever the facts."""
        return self.pdf

    def _render(self) -> bytes:
        issuer = CertificateIssuer(IssuerSettings.from_config(
            {**TestConfig.load(), "KEYS_DIR": str(self._keys_dir)}))
        payload = CertificatePayload(**SAMPLE_PAYLOAD, issuer=issuer.url)
        payload_bytes = payload.canonical_bytes()
        key_id, signature = issuer.keyring.sign(payload_bytes)
        facts = CertificateFacts(
            payload=payload, payload_json=payload_bytes.decode("utf-8"), signature=signature,
            key_id=key_id, issuer_name=issuer.name, wording="Certificate of Completion",
            organisation_name=None)
        return issuer.render_and_sign(facts)


@pytest.fixture(scope="session")
def sample_certificate_pdf(tmp_path_factory: pytest.TempPathFactory) -> SampleCertificatePdf:
    """The session's shared certificate PDF (rendered when a test first issues a certificate)."""
    return SampleCertificatePdf(tmp_path_factory.mktemp("sample-certificate") / "keys")


def _renders_real_pdfs(request: pytest.FixtureRequest) -> bool:
    """True when issuance in this test renders each certificate's own PDF."""
    return (request.node.get_closest_marker(RENDERS_PDF) is not None
            or request.config.getoption("--render-all-pdfs"))


@pytest.fixture
def app(tmp_path, request, sample_certificate_pdf: SampleCertificatePdf):
    url = _database_url()
    _guard_against_real_data(url)
    app = create_app(TestConfig)
    share_compiled_templates(app)
    app.test_client_class = IsolatedClient
    app.config.update(INSTANCE_PATH=str(tmp_path), KEYS_DIR=str(tmp_path / "keys"))
    if not _renders_real_pdfs(request):
        # Only the PDF is shared: the issuer still signs each payload with the app's own keys.
        issuer_for(app).render_and_sign = sample_certificate_pdf.render_and_sign
    with app.app_context():
        if url.startswith("sqlite"):
            _copy_empty_schema()
        elif url not in _schema_ready:
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


_empty_schema: list[sqlite3.Connection] = []


def _copy_empty_schema() -> None:
    """Give the test's in-memory SQLite database the empty schema: built once per process with
    create_all, then copied with SQLite's backup API (a tenth of a millisecond, not ten)."""
    connection = _db.engine.raw_connection()
    try:
        if not _empty_schema:
            _db.create_all()
            _empty_schema.append(sqlite3.connect(":memory:", check_same_thread=False))
            connection.driver_connection.backup(_empty_schema[0])
        else:
            _empty_schema[0].backup(connection.driver_connection)
    finally:
        connection.close()


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
    with _db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for sequence in _db.metadata._sequences.values():  # the ones no column owns
            connection.execute(text(f"ALTER SEQUENCE {sequence.name} RESTART"))


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
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1 that requires AUTH (see
    tests/smtp_server.py): `.url` is its MAIL_URL, `.messages` what it accepted."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


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
        log_in(client, user)
        return user
    return login


def log_in(client, user) -> str:
    """Open a real login for `user` (as the login page does) and put it in the client's cookie."""
    login_id = start_login(_db.session, user, datetime.now(UTC), timedelta(hours=12))
    _db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    return login_id


# --- command-line options; an opt-in report of the PDFs each test file really rendered ---------

def pytest_addoption(parser: pytest.Parser) -> None:
    """--render-all-pdfs to render every certificate, --pdf-renders to count the renders."""
    parser.addoption("--render-all-pdfs", action="store_true",
                     help="render and sign every issued certificate, not only in tests marked "
                          f"{RENDERS_PDF}")
    parser.addoption("--pdf-renders", action="store_true",
                     help="report how many certificate PDFs each test file rendered and signed")


def pytest_configure(config: pytest.Config) -> None:
    """Register the render report when it is asked for."""
    if config.getoption("--pdf-renders", default=False):
        config.pluginmanager.register(PdfRenderReport(), "pdf-render-report")


class PdfRenderReport:
    """Counts and times the real CertificateIssuer.render_and_sign calls, by test file."""

    def __init__(self) -> None:
        self.renders: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._original: Callable[..., bytes] | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        original = self._original = CertificateIssuer.render_and_sign

        @functools.wraps(original)
        def counted(issuer: CertificateIssuer, facts: CertificateFacts,
                    template: str | None = None) -> bytes:
            started = time.perf_counter()
            try:
                return original(issuer, facts, template)
            finally:
                self._count(time.perf_counter() - started)

        CertificateIssuer.render_and_sign = counted

    def _count(self, seconds: float) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)")
        path = test.split("::", 1)[0]
        with self._lock:
            self.renders[path] += 1
            self.seconds[path] += seconds

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._original is not None:
            CertificateIssuer.render_and_sign = self._original

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.section("certificate PDFs rendered and signed")
        for path, count in self.renders.most_common():
            terminalreporter.write_line(f"{count:6d} {self.seconds[path]:7.2f}s  {path}")
        terminalreporter.write_line(f"{sum(self.renders.values()):6d} "
                                    f"{sum(self.seconds.values()):7.2f}s  in all")


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys last: Playwright's event loop lives until the end of the
    session, and code that starts its own loop (PDF signing) must have run before."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def pseudo_app(app, tmp_path):
    """The app speaking the pseudo-locale too (tests/i18n_support.py), its catalogues its own."""
    from tests.i18n_support import pseudo_app_for

    yield from pseudo_app_for(app, tmp_path / "translations")
