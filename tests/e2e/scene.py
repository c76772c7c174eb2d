"""The cast and the scenery of the journeys: accounts, the served app, what one journey leaves
for the next, and the services that set a scene without the browser."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.auth import services as accounts
from app.certificates.services import live_certificate
from app.courses import services as courses
from app.extensions import db
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quizzes
from tests.factories import snapshot_answers

COURSE_SLUG = "example-course"
#: the same course with a capstone (see tests/capstone_fixtures.py)
CAPSTONE_COURSE_SLUG = "capstone-course"
PASSWORD = "Journey-Pass-2024!"


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

    def call(self, scene: Callable, *args):
        """Run scene(session, *args) in an app context on the server's database; returns its
        result. It runs in a thread of its own: Playwright's sync API keeps an asyncio loop
        running in this one, and pyHanko (which signs certificates) calls asyncio.run()."""
        def run():
            with self.app.app_context():
                try:
                    return scene(db.session, *args)
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(run).result()


@dataclass
class Story:
    """What one journey leaves for the next: the learner, their certificate code and PDF."""

    learner: Account | None = None
    code: str | None = None
    pdf: Path | None = None


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



def sign_in(journey, account: Account) -> None:
    """Log in without the pages, for journeys about something else: the login form posted
    through the browser context's own requests, so the cookies are the browser's."""
    import re

    requests = journey.page.request
    form = requests.get("/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) \
        or re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the login page carries no CSRF token"
    answer = requests.post("/login", form={"csrf_token": token.group(1), "email": account.email,
                                           "password": account.password}, max_redirects=0)
    assert answer.status in (302, 303), f"logging in {account.email} answered {answer.status}"

def certified_learner(server: LiveServer, name: str, email: str, out_dir: Path) -> Story:
    """A learner who met the certification rule through the services (when the learner journey
    did not run first), with their certificate's PDF saved to `out_dir`."""
    account = Account(email, name)

    def scene(session) -> Story:
        user, course = new_learner(server, session, account)
        study(session, user, course)
        pass_quiz(session, user, course, FINAL_EXAM_KEY)
        certificate = live_certificate(session, user, course)
        assert certificate is not None, "meeting the rule through the services issued nothing"
        out_dir.mkdir(parents=True, exist_ok=True)
        pdf = out_dir / f"{certificate.code}.pdf"
        pdf.write_bytes(certificate.pdf)
        return Story(learner=account, code=certificate.code, pdf=pdf)

    return server.call(scene)


def new_learner(server: LiveServer, session, account: Account):
    """Create a learner of the HR account's organisation; returns it with the journeys' course."""
    user = accounts.create_user(session, email=account.email, name=account.name,
                                password=account.password,
                                policy=accounts.PasswordPolicy.from_config(server.app.config),
                                organisation=accounts.organisation_by_invite(
                                    session, server.invite_token))
    session.commit()
    return user, courses.find_course(session, COURSE_SLUG)


def study(session, user, course, *, modules: int | None = None, quizzes: bool = True) -> None:
    """Enrol, then complete the lessons of the first `modules` modules (default: all), passing
    each module's quiz when `quizzes` (a later module unlocks only after the earlier quiz)."""
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
    now = datetime.now(UTC)
    attempt = quizzes.start_attempt(session, user, course, quiz_key, now)
    quizzes.submit_attempt(session, user, attempt.id, snapshot_answers(attempt.snapshot), now)
    session.commit()
