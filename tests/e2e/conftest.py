"""The real app on 127.0.0.1 (fresh SQLite file, migrated, course imported) and headless Chromium.

Every test in this folder is marked `browser` and is skipped, with the reason, where Debian's
Chromium is missing (and not collected without Playwright). Playwright never downloads a browser here: it drives
/usr/bin/chromium.
"""
from __future__ import annotations

import importlib.util
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from app.auth import services
from app.courses.services import import_course
from app.extensions import db
from config import TestConfig
from app.models import CourseMaintainer
from tests.capstone_fixtures import write_capstone_course
from tests.e2e.scene import CAPSTONE_COURSE_SLUG, COURSE_SLUG, Account, LiveServer, Story
from tests.factories import EXAMPLE_COURSE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
STEP_TIMEOUT_MS = 10_000
NO_CHROMIUM = ("Chromium is not installed at /usr/bin/chromium (apt-get install chromium; "
               ".ci/run installs it)")
HAS_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None

if not HAS_PLAYWRIGHT:  # the journey modules import it; pip install -r requirements-dev.txt
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config) -> str | None:
    if not HAS_PLAYWRIGHT:
        return "browser tests: not collected, Playwright for Python is not installed"
    return None if CHROMIUM.exists() else f"browser tests: skipped, {NO_CHROMIUM}"


def pytest_collection_modifyitems(config, items) -> None:
    if CHROMIUM.exists():
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


# --- the server -------------------------------------------------------------------------------

class _QuietRequestHandler(WSGIRequestHandler):
    """No access log: the journeys report what they saw, step by step."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class _LateBoundApp:
    """A WSGI callable whose app is set once the port (part of the app's settings) is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _journey_course(root: Path) -> Path:
    """The fixture course, with no waiting after a failed final exam so a journey can retry."""
    courses = root / "courses"
    target = courses / COURSE_SLUG
    shutil.copytree(EXAMPLE_COURSE, target)
    exam = target / "final-exam.md"
    text = exam.read_text(encoding="utf-8")
    assert "cooldown_minutes: 60" in text, "the fixture course's final exam changed its cooldown"
    exam.write_text(text.replace("cooldown_minutes: 60", "cooldown_minutes: 0"), encoding="utf-8")
    write_capstone_course(courses)
    return courses


@contextmanager
def _logging_untouched() -> Iterator[None]:
    """Alembic's env.py reconfigures logging for the whole process; keep the suite's own."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {name: logger.disabled for name, logger in logging.Logger.manager.loggerDict.items()
                if isinstance(logger, logging.Logger)}
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        for name, logger in logging.Logger.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(name, False)


def _build_app(root: Path, url: str, courses_dir: Path):
    database = f"sqlite:///{root / 'okr-academy.sqlite3'}"
    return create_app(TestConfig, overrides={
        "DATABASE_URL": database, "SQLALCHEMY_DATABASE_URI": database,
        "INSTANCE_PATH": str(root), "KEYS_DIR": str(root / "keys"),
        "COURSES_DIR": str(courses_dir), "PUBLIC_BASE_URL": url,
        # Served like production: errors go to the error pages, not to the test runner.
        "TESTING": False,
    })


def _set_the_scene(app, courses_dir: Path) -> dict:
    """Migrate, import the course and create the staff accounts; returns what the tests need."""
    with app.app_context():
        with _logging_untouched():
            upgrade()
        import_course(db.session, courses_dir / COURSE_SLUG)
        capstone_course = import_course(db.session, courses_dir / CAPSTONE_COURSE_SLUG).course
        org = services.create_organisation(db.session, "Northwind Partners")
        policy = services.PasswordPolicy.from_config(app.config)
        staff = {
            "admin": (Account("admin@academy.example", "Ada Admin"), None),
            "trainer": (Account("trainer@academy.example", "Theo Trainer"), None),
            "hr": (Account("hr@northwind.example", "Hana Human-Resources"), org),
        }
        for role, (account, organisation) in staff.items():
            user = services.create_user(db.session, email=account.email, name=account.name,
                                        password=account.password, policy=policy, roles=(role,),
                                        organisation=organisation)
            if role == "trainer":
                db.session.add(CourseMaintainer(course_id=capstone_course.id, user_id=user.id))
        token = org.invite_token
        db.session.commit()
        db.session.remove()
    return {role: account for role, (account, _) in staff.items()} | {"invite_token": token}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("e2e-server")
    courses_dir = _journey_course(root)
    dispatcher = _LateBoundApp()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True,
                         request_handler=_QuietRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app = _build_app(root, url, courses_dir)
    scene = _set_the_scene(app, courses_dir)
    dispatcher.app = app
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, courses_dir=courses_dir, **scene)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


# --- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium, stopped after each module: while Playwright's sync API runs, the main
    thread has an asyncio loop that later tests (pyHanko's asyncio.run) must not inherit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def accessibility():
    """The axe-core audit, or None where `npm ci` has not installed axe-core."""
    from tests.e2e.support import AXE_SCRIPT, AccessibilityAudit

    return AccessibilityAudit(AXE_SCRIPT) if AXE_SCRIPT.exists() else None


@pytest.fixture
def open_journey(chromium, live_server, accessibility, tmp_path_factory) -> Iterator[Callable]:
    """open_journey("hr-verifies") -> a Journey in a fresh browser context (own cookies).

    open_journey(name, experience=True) is a journey of the product's experience: 1366x900,
    every step photographed at phone width (390x844) too, and axe violations of every impact
    fail it, at both widths."""
    from tests.e2e.support import DESKTOP, Journey

    contexts = []

    def open_(name: str, *, experience: bool = False):
        viewport = DESKTOP if experience else {"width": 1280, "height": 900}
        context = chromium.new_context(base_url=live_server.url, accept_downloads=True,
                                       viewport=viewport, locale="en-GB")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        audit = accessibility
        if accessibility is not None:
            accessibility.install(context)
            audit = accessibility.strict() if experience else accessibility
        contexts.append(context)
        return Journey(name, context.new_page(), audit, scratch=tmp_path_factory.mktemp(name),
                       phone=experience)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def story() -> Story:
    """What the journeys pass on to each other (they run in file order: a, b, c)."""
    return Story()
