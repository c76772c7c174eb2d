"""A German executive's whole way, in a browser that asks for German: registration, the
confirmation mail, the course OKR Essentials in its German translation, both module quizzes, the
final exam, the certificate (its page, its PDF) and the public verify page. No page it visits,
and neither the mail nor the PDF, shows a word of our English.

Then the same pages in French and in Spanish, at desktop and phone width: photographed, and
checked for a layout that breaks (a page wider than the screen, a button or heading whose text
does not fit)."""
from __future__ import annotations

import gettext
import html
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from app.auth import services
from app.courses.services import import_course
from app.extensions import db
from tests.e2e.conftest import (STEP_TIMEOUT_MS, _build_app, _LateBoundApp, _logging_untouched,
                                _QuietRequestHandler)
from tests.e2e.course_files import answer_attempt, answer_key
from tests.e2e.scene import Account, LiveServer
from tests.e2e.support import DESKTOP, PHONE, Journey
from tests.i18n_support import ROOT, english_on_page
from tests.mailbox import links_in, path_of, sent_mails, text_of

pytestmark = pytest.mark.browser

ESSENTIALS = ROOT / "courses" / "okr-essentials"
COURSE_SLUG = "okr-essentials"
LEARNER = Account("lena.vogel@nordwind.example", "Lena Vogel")
ORGANISATION = "Nordwind Partner"
ISSUING_MS = 30_000


def translator(language: str):
    """Our catalogue for `language`: tr("Log in") is the words the page shows."""
    catalogue = gettext.translation("messages", ROOT / "app" / "translations", [language])
    return catalogue.gettext


de = translator("de")


@pytest.fixture(scope="module")
def essentials_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 with the shipped OKR Essentials (English and German) imported."""
    from flask_migrate import upgrade

    root = tmp_path_factory.mktemp("german-server")
    courses_dir = root / "courses"
    shutil.copytree(ESSENTIALS, courses_dir / COURSE_SLUG)
    dispatcher = _LateBoundApp()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True,
                         request_handler=_QuietRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app = _build_app(root, url, courses_dir)
    with app.app_context():
        with _logging_untouched():
            upgrade()
        import_course(db.session, courses_dir / COURSE_SLUG)
        organisation = services.create_organisation(db.session, ORGANISATION)
        token = organisation.invite_token
        db.session.commit()
        db.session.remove()
    dispatcher.app = app
    thread = threading.Thread(target=server.serve_forever, name="german-server", daemon=True)
    thread.start()
    nobody = Account("", "")
    try:
        yield LiveServer(url=url, app=app, courses_dir=courses_dir, admin=nobody, trainer=nobody,
                         hr=nobody, invite_token=token)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def visited() -> dict:
    """What the German journey leaves for the French and Spanish ones: the pages it saw."""
    return {"paths": [], "code": None}


def open_in(chromium, server: LiveServer, language: str, name: str, accessibility,
            scratch: Path) -> Journey:
    context = chromium.new_context(base_url=server.url, accept_downloads=True, viewport=DESKTOP,
                                   locale={"de": "de-DE", "fr": "fr-FR", "es": "es-ES"}[language])
    context.set_default_timeout(STEP_TIMEOUT_MS)
    audit = None
    if accessibility is not None:
        accessibility.install(context)
        audit = accessibility.strict()
    return Journey(name, context.new_page(), audit, scratch=scratch, phone=True)


class GermanPages:
    """Every step's page checked for English, and remembered for the other languages."""

    def __init__(self, journey: Journey, visited: dict) -> None:
        self.journey = journey
        self.visited = visited
        self.data = [LEARNER.name, LEARNER.email, ORGANISATION, COURSE_SLUG]

    def check(self) -> None:
        page = self.journey.page
        assert page.locator("html").get_attribute("lang") == "de"
        english = english_on_page(page.content(), "de", tuple(self.data), (ESSENTIALS,))
        assert not english, f"English on {page.url}: {english}"
        path = re.sub(r"^https?://[^/]+", "", page.url)
        if path not in self.visited["paths"]:
            self.visited["paths"].append(path)


def test_a_german_executive_goes_from_registration_to_a_certificate_without_english(
        chromium, essentials_server, accessibility, visited, tmp_path):
    journey = open_in(chromium, essentials_server, "de", "german", accessibility, tmp_path)
    pages = GermanPages(journey, visited)
    page = journey.page
    register(journey, pages, essentials_server)
    confirm_address(journey, pages, essentials_server)
    log_in(journey, pages)
    study_the_course(journey, pages)
    code = pass_the_exam(journey, pages)
    visited["code"] = code
    pages.data.append(code)
    pdf = download_certificate(journey, pages, code)
    read_the_pdf(pdf, code, essentials_server.url)
    verify_publicly(journey, pages, code)
    page.context.close()
    journey.finish()


def register(journey: Journey, pages: GermanPages, server: LiveServer) -> None:
    page = journey.page
    with journey.step("home page", expect="the home page in German"):
        page.goto("/")
        expect(page.get_by_role("link", name=de("Register")).first).to_be_visible()
        pages.check()
    with journey.step("open the invitation link", expect="the registration form in German"):
        page.goto(f"/register?invite={server.invite_token}")
        expect(page.get_by_role("heading", name=de("Create your account"))).to_be_visible()
        pages.check()
    with journey.step("register", expect="the login page saying the account is ready"):
        page.get_by_label(de("Full name")).fill(LEARNER.name)
        page.get_by_label(de("Work email")).fill(LEARNER.email)
        page.get_by_label(de("Password"), exact=True).fill(LEARNER.password)
        page.get_by_label(de("Repeat password")).fill(LEARNER.password)
        page.get_by_role("button", name=de("Create account")).click()
        expect(page.get_by_role("status")).to_be_visible()
        pages.check()


def confirm_address(journey: Journey, pages: GermanPages, server: LiveServer) -> None:
    def mailed(session):
        return sent_mails(server.app, to=LEARNER.email)

    mails = server.call(mailed)
    assert mails, f"nothing mailed to {LEARNER.email}"
    mail = mails[-1]
    words = re.sub(r"https?://\S+", " ", f"{mail['Subject']}\n{text_of(mail)}")
    english = english_on_page(f"<pre>{html.escape(words)}</pre>", "de",
                              (LEARNER.name, LEARNER.email))
    assert not english, f"English in the confirmation mail: {english}"
    link = next(link for link in links_in(mail) if "/verify-email/" in link)
    page = journey.page
    with journey.step("open the mailed link", expect="a button confirming the address"):
        page.goto(path_of(link))
        pages.check()
    with journey.step("confirm the address", expect="the login page saying it is confirmed"):
        page.get_by_role("button", name=de("Confirm this address")).click()
        expect(page.get_by_role("status")).to_be_visible()
        pages.check()


def log_in(journey: Journey, pages: GermanPages) -> None:
    page = journey.page
    with journey.step("log in", expect="the learner's dashboard with their name"):
        page.goto("/login")
        page.get_by_label(de("Email")).fill(LEARNER.email)
        password = page.get_by_label(de("Password"), exact=True)
        if not password.is_visible():  # the page asks for the email first
            page.get_by_role("button", name=de("Continue")).click()
        password.fill(LEARNER.password)
        page.get_by_role("button", name=de("Log in")).click()
        expect(page.locator(".account-name")).to_have_text(LEARNER.name)
        pages.check()


def _german(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".md") + ".de.md")


def _title(path: Path) -> str:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])["title"]


def study_the_course(journey: Journey, pages: GermanPages) -> None:
    page = journey.page
    course_title = _title(ESSENTIALS / "course.de.md")
    with journey.step("catalogue", expect="the German title of the course"):
        page.get_by_role("navigation", name=de("Main")).get_by_role(
            "link", name=de("Courses")).click()
        expect(page.locator("main").get_by_role("link", name=course_title).first).to_be_visible()
        pages.check()
    with journey.step("course page", expect="the course in German"):
        page.locator("main").get_by_role("link", name=course_title).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(course_title)
        pages.check()
    with journey.step("enrol", expect="a button to start the course"):
        page.get_by_role("button", name=de("Enrol in this course")).click()
        expect(page.get_by_role("status")).to_be_visible()
        pages.check()
    with journey.step("start the course", expect="the first lesson"):
        page.get_by_role("link", name=de("Start the course")).click()
        expect(page.locator("#lesson-title")).to_be_visible()
        pages.check()
    for folder in sorted(p for p in ESSENTIALS.iterdir() if re.match(r"\d+-", p.name)):
        for lesson in sorted(folder.glob("[0-9]*.de.md")):
            read_lesson(journey, pages, _title(lesson))
        pass_module_quiz(journey, pages, folder)


def read_lesson(journey: Journey, pages: GermanPages, title: str) -> None:
    page = journey.page
    with journey.step(f"read {title}", expect=f"the lesson {title!r} in German"):
        expect(page.locator("#lesson-title")).to_have_text(title)
        pages.check()
    with journey.step(f"complete {title}", expect="the next lesson, or the module's quiz"):
        page.get_by_role("button", name=de("Mark as complete")).click()
        expect(page.locator("h1").first).not_to_have_text(title)
        pages.check()


def pass_module_quiz(journey: Journey, pages: GermanPages, folder: Path) -> None:
    page = journey.page
    slug = re.sub(r"^\d+-", "", folder.name)
    key = answer_key(folder / "quiz.de.md", slug)
    with journey.step(f"quiz of {slug}", expect="the quiz overview in German"):
        page.get_by_role("button", name=de("Start the quiz")).click()
        expect(page.locator("fieldset.quiz-question").first).to_be_visible()
        pages.check()
    with journey.step(f"answer the quiz of {slug}", expect="passed, in German"):
        answer_attempt(page, key, correctly=True)
        page.get_by_role("button", name=de("Submit answers")).click()
        expect(page.locator(".quiz-score .quiz-verdict")).to_have_text(de("Passed"))
        pages.check()
    with journey.step(f"dashboard after {slug}", expect="what comes next, in German"):
        page.get_by_role("navigation", name=de("Main")).get_by_role(
            "link", name=de("My learning")).click()
        expect(page.locator(".account-name")).to_have_text(LEARNER.name)
        pages.check()
    with journey.step(f"the result of {slug} again", expect="the quiz result"):
        page.go_back()
        expect(page.locator(".quiz-score .quiz-verdict")).to_have_text(de("Passed"))
        pages.check()
    with journey.step(f"back to the course after {slug}", expect="the course page"):
        page.get_by_role("link", name=de("Back to the course")).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        pages.check()
    resume = page.get_by_role("link", name=de("Continue where you left off"))
    if resume.count():
        with journey.step(f"continue after {slug}", expect="the next module's first lesson"):
            resume.click()
            expect(page.locator("#lesson-title")).to_be_visible()
            pages.check()


def pass_the_exam(journey: Journey, pages: GermanPages) -> str:
    page = journey.page
    key = answer_key(ESSENTIALS / "final-exam.de.md", "final-exam")
    with journey.step("open the final exam", expect="the exam's rules in German"):
        page.get_by_role("link", name=de("Open the final exam")).click()
        expect(page.get_by_role("button", name=de("Start the exam"))).to_be_visible()
        pages.check()
    with journey.step("start the exam", expect="the exam's questions in German"):
        page.get_by_role("button", name=de("Start the exam")).click()
        expect(page.locator("fieldset.quiz-question").first).to_be_visible()
        pages.check()
    with journey.step("submit the exam", expect="passed, and the certificate earned"):
        answer_attempt(page, key, correctly=True)
        page.get_by_role("button", name=de("Submit answers")).click()
        code = page.locator(".cert-code").first
        expect(code).to_be_visible(timeout=ISSUING_MS)
        pages.data.append(code.inner_text().strip())
        pages.check()
    return code.inner_text().strip()


def download_certificate(journey: Journey, pages: GermanPages, code: str) -> Path:
    page = journey.page
    with journey.step("the certificate's page", expect="the certificate in German"):
        page.goto(f"/certificates/{code}")
        expect(page.locator(".cert-code").first).to_have_text(code)
        pages.check()
    with journey.step("download the PDF", expect="a signed PDF named after the code"):
        with page.expect_download() as download_info:
            page.get_by_role("link", name=de("Download PDF")).first.click()
        pdf = journey.scratch / download_info.value.suggested_filename
        download_info.value.save_as(pdf)
        journey.keep(pdf)
    return pdf


def read_the_pdf(pdf: Path, code: str, url: str) -> None:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert LEARNER.name in text and code in text
    assert _title(ESSENTIALS / "course.de.md") in " ".join(text.split())
    words = re.sub(r"(https?://)?[\w.:-]+/\S*", " ", text)  # addresses are not words
    english = english_on_page(f"<pre>{html.escape(words)}</pre>", "de", (LEARNER.name, ORGANISATION, code),
                              (ESSENTIALS,))
    assert not english, f"English on the certificate: {english}"


def verify_publicly(journey: Journey, pages: GermanPages, code: str) -> None:
    page = journey.page
    page.context.clear_cookies()
    with journey.step("the public verify page", expect="a valid certificate, said in German"):
        page.goto(f"/verify/{code}")
        expect(page.locator("main")).to_contain_text(LEARNER.name)
        pages.check()


# --- the same pages in French and Spanish ------------------------------------------------------

#: what must fit: the page's width, and the text of buttons, headings and the menu
OVERFLOWING = """() => {
  const wide = document.documentElement.scrollWidth <= window.innerWidth + 1 ? [] :
    [...document.querySelectorAll('body *')]
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
              && ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
      .map(el => el.tagName + '.' + el.className + ': ' + (el.innerText || '').trim().slice(0, 40));
  const cut = [...document.querySelectorAll('.btn, button, h1, h2, h3, nav a, label, th')]
    .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden')
            && el.scrollWidth > el.clientWidth + 1
            && getComputedStyle(el).overflowX !== 'visible')
    .map(el => el.tagName + ': ' + el.innerText.trim().slice(0, 60));
  return {wide, cut};
}"""


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_same_pages_fit_in_french_and_spanish(chromium, essentials_server, accessibility,
                                                   visited, language, tmp_path):
    if not visited["paths"]:
        pytest.skip("the German journey did not run first")
    journey = open_in(chromium, essentials_server, language, f"german-pages-{language}",
                      accessibility, tmp_path)
    page = journey.page
    tr = translator(language)
    signed_in = False
    for path in visited["paths"]:
        if "/verify-email/" in path or (signed_in and path.startswith("/login")):
            continue
        with journey.step(f"{language} {path}", expect="the page in the language, fitting"):
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == language
            for viewport in (DESKTOP, PHONE):
                page.set_viewport_size(viewport)
                found = page.evaluate(OVERFLOWING)
                assert not found["wide"], f"{path} is wider than {viewport['width']} px: " \
                    f"{found['wide']}"
                assert not found["cut"], f"{path} at {viewport['width']} px: {found['cut']}"
            page.set_viewport_size(DESKTOP)
        if path.startswith("/login") and not signed_in:  # the rest as the learner, who chose
            log_in_as_learner(page, tr)                   # German: now this language
            page.locator(".language-switcher select").select_option(language)
            page.locator(".language-switcher button").click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            signed_in = True
    page.context.close()
    journey.finish()


def log_in_as_learner(page: Page, tr) -> None:
    page.get_by_label(tr("Email")).fill(LEARNER.email)
    password = page.get_by_label(tr("Password"), exact=True)
    if not password.is_visible():
        page.get_by_role("button", name=tr("Continue")).click()
    password.fill(LEARNER.password)
    page.get_by_role("button", name=tr("Log in")).click()
    expect(page.locator(".account-name")).to_have_text(LEARNER.name)

