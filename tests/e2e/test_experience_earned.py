"""The moment that matters: a learner near the end passes the final exam in the browser, the
result page celebrates with the certificate (preview, PDF, LinkedIn, share link), and the
dashboard and the course page say "Certified" with a link to it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.course_files import answer_attempt, answer_key
from tests.e2e.scene import COURSE_SLUG, Account, new_learner, sign_in, study
from tests.e2e.support import Journey

pytestmark = pytest.mark.browser

LEARNER = Account("rowan.earned@northwind.example", "Rowan Achiever")
COURSE_TITLE = "OKR Essentials"
NEXT_COURSE_TITLE = "Team OKRs in Practice"
ISSUANCE_TIMEOUT_MS = 30_000
CERTIFIED = re.compile(r"Certified · valid until \d{1,2} \w+ \d{4}")


def test_passing_the_final_exam_celebrates_the_certificate(open_journey, live_server):
    def near_the_end(session) -> None:
        user, course = new_learner(live_server, session, LEARNER)
        study(session, user, course)

    live_server.call(near_the_end)
    journey = open_journey("earned", experience=True)
    journey.page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                           origin=live_server.url)
    sign_in(journey, LEARNER)
    pass_the_final_exam(journey, answer_key(live_server.course_dir / "final-exam.md",
                                            "final-exam"))
    code = celebrated(journey)
    download_the_pdf(journey, code)
    copy_the_share_link(journey, f"{live_server.url}/verify/{code}")
    dashboard_to_certificate(journey, code)
    course_page_says_certified(journey, code)
    journey.finish()


def pass_the_final_exam(journey: Journey, key) -> None:
    page = journey.page
    with journey.step("final exam overview", expect="the exam open to start"):
        page.goto(f"/courses/{COURSE_SLUG}/quiz/final-exam")
        expect(page.get_by_role("button", name="Start the exam")).to_be_visible()
    with journey.step("exam attempt", expect="the exam's questions"):
        page.get_by_role("button", name="Start the exam").click()
        expect(page.locator("fieldset.quiz-question").first).to_be_visible()
    with journey.step("submit the exam", expect="the result page celebrating the certificate"):
        answer_attempt(page, key, correctly=True)
        page.get_by_role("button", name="Submit answers").click()
        # Grading issues the certificate in the same request: signing the PDF takes seconds.
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Congratulations, {LEARNER.name}", timeout=ISSUANCE_TIMEOUT_MS)


def celebrated(journey: Journey) -> str:
    page = journey.page
    hero = page.locator(".earned-hero")
    with journey.step("the celebration", expect="preview, validity, PDF, LinkedIn, share link"):
        expect(hero.get_by_role("heading", level=2)).to_have_text(
            f"You are certified in {COURSE_TITLE}")
        preview = hero.locator(".earned-preview img")
        expect(preview).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=preview.element_handle())
        expect(hero.locator(".earned-validity")).to_contain_text("Valid until")
        code = hero.locator(".earned-code").inner_text().strip()
        expect(hero.get_by_role("link", name="Add to LinkedIn")).to_have_attribute(
            "href", f"/certificates/{code}/linkedin")
        expect(page.locator(".quiz-score .quiz-verdict")).to_have_text("Passed")
        expect(page.locator(".earned-next")).to_contain_text(NEXT_COURSE_TITLE)
    return code


def download_the_pdf(journey: Journey, code: str) -> None:
    page = journey.page
    with journey.step("download the PDF", expect="the signed PDF named after the code"):
        with page.expect_download() as download_info:
            page.locator(".earned-hero").get_by_role("link", name="Download PDF").click()
        download = download_info.value
        assert download.suggested_filename == f"{code}.pdf"
        pdf = journey.scratch / download.suggested_filename
        download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")


def copy_the_share_link(journey: Journey, verify_url: str) -> None:
    page = journey.page
    with journey.step("copy the share link", expect="the public verify link on the clipboard"):
        expect(page.get_by_label("Share link")).to_have_value(verify_url)
        page.get_by_role("button", name="Copy link").click()
        expect(page.locator(".earned-copied")).to_have_text(re.compile("^Link copied"))
        assert page.evaluate("() => navigator.clipboard.readText()") == verify_url


def dashboard_to_certificate(journey: Journey, code: str) -> None:
    page = journey.page
    card = page.locator(".course-card").filter(has_text=COURSE_TITLE)
    with journey.step("dashboard", expect="the course certified, with a link to the certificate"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
        expect(card.locator(".earned-standing")).to_have_text(CERTIFIED)
    with journey.step("certificate from the dashboard", expect="the certificate's own page"):
        journey.click(card.get_by_role("link", name=f"View certificate for {COURSE_TITLE}"))
        expect(page).to_have_url(re.compile(rf"/certificates/{re.escape(code)}$"))
        expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    journey.record_clicks("dashboard to certificate")


def course_page_says_certified(journey: Journey, code: str) -> None:
    page = journey.page
    with journey.step("course page", expect="Certified with the link and the next course"):
        page.goto(f"/courses/{COURSE_SLUG}")
        action = page.locator(".course-action")
        expect(action.locator(".earned-standing")).to_have_text(CERTIFIED)
        expect(action.get_by_role("link", name="View your certificate")).to_have_attribute(
            "href", f"/certificates/{code}")
        expect(action.get_by_role("link", name=NEXT_COURSE_TITLE)).to_be_visible()
