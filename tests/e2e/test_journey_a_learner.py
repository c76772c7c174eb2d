"""Journey (a): a learner registers, confirms the address from the mailed link, takes the course
to the end, fails then passes the final exam, and downloads the signed certificate PDF."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.certificates.codes import parse_code
from tests.e2e.course_files import answer_attempt, answer_key, course_modules
from tests.e2e.scene import Account
from tests.e2e.support import Journey
from tests.mailbox import links_in, path_of, sent_mails

pytestmark = pytest.mark.browser

LEARNER = Account("morgan.lee@northwind.example", "Morgan Lee")
COURSE_TITLE = "OKR Essentials"


def test_learner_registers_studies_passes_the_exam_and_downloads_the_certificate(
        open_journey, live_server, story):
    journey = open_journey("a-learner")
    register(journey, live_server.invite_token)
    confirm_address(journey, live_server)
    log_in(journey)
    enrol(journey)
    for module in course_modules(live_server.course_dir):
        for lesson in module.lessons:
            read_lesson_to_the_end(journey, module.title, lesson)
        if module.has_quiz:
            pass_module_quiz(journey, module, live_server.course_dir / _folder(live_server, module))
    exam_key = answer_key(live_server.course_dir / "final-exam.md", "final-exam")
    open_final_exam(journey)
    take_exam(journey, exam_key, attempt=1, correctly=False)
    take_exam(journey, exam_key, attempt=2, correctly=True)
    story.learner = LEARNER
    story.code, story.pdf = download_certificate(journey)
    journey.finish()


def _folder(live_server, module) -> str:
    """The module's folder name (with its numeric prefix) in the course."""
    return next(p.name for p in live_server.course_dir.iterdir()
                if p.is_dir() and p.name.endswith("-" + module.slug))


def register(journey: Journey, invite_token: str) -> None:
    page = journey.page
    with journey.step("home page", expect="the home page with a way to register"):
        page.goto("/")
        expect(page.get_by_role("link", name="Register")).to_be_visible()
    with journey.step("open the invitation link",
                      expect="the registration form naming the organisation being joined"):
        page.goto(f"/register?invite={invite_token}")
        expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
        expect(page.locator("main")).to_contain_text("You are joining Northwind Partners")
    with journey.step("register", expect="the login page saying the account is ready"):
        page.get_by_label("Full name").fill(LEARNER.name)
        page.get_by_label("Work email").fill(LEARNER.email)
        page.get_by_label("Password", exact=True).fill(LEARNER.password)
        page.get_by_label("Repeat password").fill(LEARNER.password)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("status")).to_contain_text("your account is ready")


def confirm_address(journey: Journey, live_server) -> None:
    """Open the link mailed on registration and confirm: certificates wait for it."""
    def mailed_links(session) -> list[str]:
        return [link for mail in sent_mails(live_server.app, to=LEARNER.email)
                for link in links_in(mail) if "/verify-email/" in link]

    links = live_server.call(mailed_links)
    assert links, f"no confirmation link mailed to {LEARNER.email}"
    page = journey.page
    with journey.step("open the mailed link", expect="a button confirming the address"):
        page.goto(path_of(links[-1]))
        expect(page.get_by_role("heading", name="Confirm your address")).to_be_visible()
    with journey.step("confirm the address", expect="the login page saying it is confirmed"):
        page.get_by_role("button", name="Confirm this address").click()
        expect(page.get_by_role("status")).to_contain_text("is confirmed as your address")


def log_in(journey: Journey) -> None:
    page = journey.page
    with journey.step("log in", expect="the learner's dashboard with their name"):
        page.get_by_label("Email").fill(LEARNER.email)
        page.get_by_label("Password", exact=True).fill(LEARNER.password)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".account-name")).to_have_text(LEARNER.name)


def enrol(journey: Journey) -> None:
    page = journey.page
    with journey.step("catalogue", expect=f"the catalogue to list {COURSE_TITLE}"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
        expect(page.locator("main").get_by_role("link", name=COURSE_TITLE).first).to_be_visible()
    with journey.step("course page", expect="the course's description and outline"):
        page.locator("main").get_by_role("link", name=COURSE_TITLE).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    with journey.step("enrol", expect="a confirmation and a button to start the course"):
        page.get_by_role("button", name="Enrol in this course").click()
        expect(page.get_by_role("status")).to_contain_text(f"You are enrolled in {COURSE_TITLE}")
    with journey.step("start the course", expect="the first lesson"):
        page.get_by_role("link", name="Start the course").click()
        expect(page.locator(".lesson-complete")).to_be_visible()


def read_lesson_to_the_end(journey: Journey, module_title: str, lesson: str) -> None:
    page = journey.page
    with journey.step(f"read {lesson}", expect=f"the lesson {lesson!r} of {module_title}"):
        expect(page.locator("#lesson-title")).to_have_text(lesson)
        page.keyboard.press("End")
        complete = page.get_by_role("button", name="Mark as complete")
        complete.scroll_into_view_if_needed()
        expect(complete).to_be_in_viewport()
    with journey.step(f"complete {lesson}",
                      expect="the next lesson, or the module's quiz after its last lesson"):
        complete.click()
        expect(page.locator("h1").first).not_to_have_text(lesson)


def pass_module_quiz(journey: Journey, module, folder) -> None:
    page = journey.page
    key = answer_key(folder / "quiz.md", module.slug)
    with journey.step(f"quiz of {module.title}",
                      expect="the quiz overview, offered after the module's last lesson"):
        expect(page.locator("main")).to_contain_text("Take its quiz next")
        expect(page.locator(".eyebrow")).to_contain_text(f"Module quiz · {module.title}")
        page.get_by_role("button", name="Start the quiz").click()
        expect(page.locator("fieldset.quiz-question").first).to_be_visible()
    with journey.step(f"answer the quiz of {module.title}",
                      expect="every question answered from the quiz file's key"):
        assert answer_attempt(page, key, correctly=True) >= 1
        page.get_by_role("button", name="Submit answers").click()
        expect(page.locator(".quiz-score .quiz-verdict")).to_have_text("Passed")
        expect(page.locator(".quiz-score-value")).to_have_text("100%")
    with journey.step(f"back to the course after {module.title}",
                      expect="the course page with the module's quiz passed"):
        page.get_by_role("link", name="Back to the course").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    resume = page.get_by_role("link", name="Continue where you left off")
    if resume.count():
        with journey.step(f"continue after {module.title}", expect="the next module's lesson"):
            resume.click()
            expect(page.locator("#lesson-title")).to_be_visible()


def open_final_exam(journey: Journey) -> None:
    page = journey.page
    with journey.step("course complete", expect="every lesson completed and the final exam open"):
        expect(page.locator("main")).to_contain_text("You have completed every lesson")
        page.get_by_role("link", name="Open the final exam").click()
        expect(page.locator(".eyebrow")).to_have_text("Final exam")


def take_exam(journey: Journey, key, *, attempt: int, correctly: bool) -> None:
    page = journey.page
    start = "Start the exam" if attempt == 1 else f"Start attempt {attempt}"
    with journey.step(f"start exam attempt {attempt}",
                      expect=f"a {start!r} button and the questions"):
        page.get_by_role("button", name=start).click()
        expect(page.locator(".quiz-header .eyebrow")).to_have_text(f"Attempt {attempt}")
    outcome = "passed, with the certificate issued" if correctly else "not passed, with a retry"
    with journey.step(f"submit exam attempt {attempt}", expect=f"the exam {outcome}"):
        answer_attempt(page, key, correctly=correctly)
        page.get_by_role("button", name="Submit answers").click()
        verdict = page.locator(".quiz-score .quiz-verdict")
        if correctly:
            expect(verdict).to_have_text("Passed")
            expect(page.get_by_role("status")).to_contain_text("your certificate is ready")
        else:
            expect(verdict).to_have_text("Not passed")
            expect(page.locator(".quiz-action")).to_contain_text("You can try again now.")
    if not correctly:
        with journey.step("back to the exam", expect="the exam overview offering another attempt"):
            page.get_by_role("link", name="Quiz overview").click()
            expect(page.get_by_role("button", name=f"Start attempt {attempt + 1}")).to_be_visible()


def download_certificate(journey: Journey):
    page = journey.page
    with journey.step("my certificates", expect="the new certificate listed as valid"):
        page.get_by_role("link", name="your certificates page").click()
        card = page.locator(".cert-card").filter(has_text=COURSE_TITLE)
        expect(card.locator(".cert-state")).to_have_text("Valid")
    with journey.step("open the certificate", expect="the certificate's own page"):
        card.get_by_role("link", name=COURSE_TITLE).click()
    with journey.step("certificate page", expect="the holder's name, the course and a code"):
        expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
        facts = page.locator(".facts")
        expect(facts).to_contain_text(LEARNER.name)
        code = facts.locator(".cert-code").inner_text().strip()
        assert parse_code(code).canonical == code, f"{code!r} is not a certificate code"
    with journey.step("download the PDF", expect="a signed PDF named after the code"):
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download PDF").click()
        download = download_info.value
        assert download.suggested_filename == f"{code}.pdf"
        pdf = journey.scratch / download.suggested_filename
        download.save_as(pdf)
        journey.keep(pdf)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"/ByteRange" in data, "not a signed PDF"
    return code, pdf
