"""The real app on 127.0.0.1 (fresh SQLite file, migrated, course imported) and headless Chromium.

Every test in this folder is marked `browser` and is skipped, with the reason, where Debian's
Chromium or Playwright is missing. Playwright never downloads a browser here: it drives
/usr/bin/chromium.
"""
from __future__ import annotations

import importlib.util
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
HERE = Path(__file__).resolve().parent
EXAMPLE_COURSE = HERE.parent / "fixtures" / "courses" / "example-course"
COURSE_SLUG = "example-course"
PASSWORD = "Journey-Pass-2024!"
STEP_TIMEOUT_MS = 10_000


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return ("Chromium is not installed at /usr/bin/chromium (apt-get install chromium; "
                ".ci/run installs it)")
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    reason = _missing_requirement()
    for item in items:
        if HERE not in Path(item.fspath).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- the server -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    email: str
    name: str
    password: str = PASSWORD


@dataclass
class LiveServer:
    """The app served over HTTP, with its accounts and the course folder it imported."""

    url: str
    app: object
    courses_dir: Path
    admin: Account
    trainer: Account
    hr: Account
    invite_token: str

    @property
    def course_dir(self) -> Path:
        return self.courses_dir / COURSE_SLUG

    @contextmanager
    def services(self):
        """An app context on the server's database, for setting the scene through services."""
        from app.extensions import db

        with self.app.app_context():
            yield db.session
            db.session.remove()


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
    from app import create_app
    from config import TestConfig

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
    from flask_migrate import upgrade

    from app.auth import services
    from app.courses.services import import_course
    from app.extensions import db

    with app.app_context():
        with _logging_untouched():
            upgrade()
        import_course(db.session, courses_dir / COURSE_SLUG)
        org = services.create_organisation(db.session, "Northwind Partners")
        policy = services.PasswordPolicy.from_config(app.config)
        staff = {
            "admin": (Account("admin@academy.example", "Ada Admin"), None),
            "trainer": (Account("trainer@academy.example", "Theo Trainer"), None),
            "hr": (Account("hr@northwind.example", "Hana Human-Resources"), org),
        }
        for role, (account, organisation) in staff.items():
            services.create_user(db.session, email=account.email, name=account.name,
                                 password=account.password, policy=policy, roles=(role,),
                                 organisation=organisation)
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
            from app.extensions import db

            db.engine.dispose()


# --- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium():
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
    """open_journey("hr-verifies") -> a Journey in a fresh browser context (own cookies)."""
    from tests.e2e.support import Journey

    contexts = []

    def open_(name: str):
        context = chromium.new_context(base_url=live_server.url, accept_downloads=True,
                                       viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        if accessibility is not None:
            accessibility.install(context)
        contexts.append(context)
        return Journey(name, context.new_page(), accessibility,
                       scratch=tmp_path_factory.mktemp(name))

    yield open_
    for context in contexts:
        context.close()


def log_in(journey, account: Account) -> None:
    """Log in through the login page, as a person would."""
    from playwright.sync_api import expect

    page = journey.page
    with journey.step("login page", expect="the login form"):
        page.goto("/login")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    with journey.step(f"log in as {account.name}", expect="the login form to accept the account"):
        page.get_by_label("Email").fill(account.email)
        page.get_by_label("Password", exact=True).fill(account.password)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".account-name")).to_have_text(account.name)


# --- state shared by the journeys -------------------------------------------------------------

@dataclass
class Story:
    """What one journey leaves for the next: the learner, their certificate code and PDF."""

    learner: Account | None = None
    code: str | None = None
    pdf: Path | None = None
    facts: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def story() -> Story:
    return Story()


def certified_learner(server: LiveServer, name: str, email: str, out_dir: Path) -> Story:
    """A learner who met the certification rule through the services (when the learner journey
    did not run first), with their certificate's PDF saved to `out_dir`."""
    from app.certificates.services import live_certificate
    from app.models.quizzes import FINAL_EXAM_KEY

    account = Account(email, name)
    with server.services() as session:
        user, course = new_learner(server, session, account)
        study(session, user, course)
        pass_quiz(session, user, course, FINAL_EXAM_KEY)
        certificate = live_certificate(session, user, course)
        assert certificate is not None, "meeting the rule through the services issued nothing"
        out_dir.mkdir(parents=True, exist_ok=True)
        pdf = out_dir / f"{certificate.code}.pdf"
        pdf.write_bytes(certificate.pdf)
        return Story(learner=account, code=certificate.code, pdf=pdf)


def new_learner(server: LiveServer, session, account: Account):
    """Create a learner of the HR account's organisation; returns it with the journeys' course."""
    from app.auth import services as accounts
    from app.courses.services import find_course

    user = accounts.create_user(session, email=account.email, name=account.name,
                                password=account.password,
                                policy=accounts.PasswordPolicy.from_config(server.app.config),
                                organisation=accounts.organisation_by_invite(
                                    session, server.invite_token))
    session.commit()
    return user, find_course(session, COURSE_SLUG)


def study(session, user, course, *, modules: int | None = None, quizzes: bool = True) -> None:
    """Enrol, then complete the lessons of the first `modules` modules (default: all), passing
    each module's quiz when `quizzes` (a later module unlocks only after the earlier quiz)."""
    from app.courses import services as courses

    now = datetime.now(UTC)
    courses.enroll(session, user, course, now)
    for module in course.current_version.modules[:modules]:
        for lesson in course.current_version.lessons:
            if lesson.module_slug == module.slug:
                courses.complete_lesson(session, user, course, module.slug, lesson.slug, now)
        session.commit()
        if quizzes and module.quiz:
            pass_quiz(session, user, course, module.slug)


def pass_quiz(session, user, course, quiz_key: str) -> None:
    """Start a quiz and submit the key taken from the attempt's snapshot."""
    from app.quizzes import services as quizzes

    now = datetime.now(UTC)
    attempt = quizzes.start_attempt(session, user, course, quiz_key, now)
    answers = {}
    for question in attempt.snapshot["questions"]:
        right = [option["id"] for option in question["options"] if option["correct"]]
        if question["kind"] == "numeric":
            answers[question["id"]] = str(question["answer"])
        else:
            answers[question["id"]] = right if question["kind"] == "multiple" else right[0]
    quizzes.submit_attempt(session, user, attempt.id, answers, now)
    session.commit()
