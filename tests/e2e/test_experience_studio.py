"""The moments that matter in the studio: a trainer formats a lesson with the toolbar's shortcut,
reads the rendered comparison before publishing, publishes, and opens the quiz statistics; HR
opens the same statistics for their organisation only."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth.services import find_user_by_email
from app.authoring import services as studio
from app.clock import utcnow
from app.courses import services as courses
from app.quizzes import services as quizzes
from tests.capstone_fixtures import CAPSTONE_COURSE_TITLE
from tests.e2e.scene import CAPSTONE_COURSE_SLUG, Account, new_learner, sign_in
from tests.e2e.support import Journey
from tests.factories import snapshot_answers

pytestmark = pytest.mark.browser

LESSON_PATH = "01-foundations/01-origins.md"
BOLD_WORD = "Intel"
#: who answers each question of the Foundations quiz right, by learner number (0..11): one
#: question everyone gets, one that separates, one that does not, one nobody gets (learners of
#: other journeys who pass with the key may be counted too: the flags hold with a few of them)
RIGHT = {"objective-definition": lambda n: True, "outcome-krs": lambda n: n >= 6,
         "okr-pay-link": lambda n: n % 2 == 0, "score-linear": lambda n: False}
LEARNERS = 12


def test_trainer_formats_compares_publishes_and_reads_quiz_statistics(open_journey, live_server):
    live_server.call(_draft_and_attempts, live_server)
    trainer = open_journey("studio-trainer", experience=True)
    sign_in(trainer, live_server.trainer)
    format_lesson(trainer)
    compare_and_publish(trainer)
    read_statistics(trainer)
    hr = open_journey("studio-hr", experience=True)
    sign_in(hr, live_server.hr)
    hr_statistics(hr)
    trainer.finish()
    hr.finish()


def _draft_and_attempts(session, server) -> None:
    """A draft of the capstone course, and twelve Northwind learners' first Foundations quiz."""
    course = courses.find_course(session, CAPSTONE_COURSE_SLUG)
    trainer = find_user_by_email(session, server.trainer.email)
    if studio.find_draft(session, course) is None:
        studio.start_draft(session, trainer, course, server.courses_dir)
        session.commit()
    for number in range(LEARNERS):
        account = Account(f"stats.learner{number}@northwind.example", f"Stats Learner {number}")
        user, _ = new_learner(server, session, account)
        courses.enroll(session, user, course)
        for lesson in course.current_version.lessons:
            if lesson.module_slug == "foundations":
                courses.complete_lesson(session, user, course, "foundations", lesson.slug)
        attempt = quizzes.start_attempt(session, user, course, "foundations", utcnow())
        right = snapshot_answers(attempt.snapshot)
        answers = snapshot_answers(attempt.snapshot, right=False) | {
            qid: answer for qid, answer in right.items() if RIGHT[qid](number)}
        quizzes.submit_attempt(session, user, attempt.id, answers, utcnow())
        session.commit()


def format_lesson(journey: Journey) -> None:
    page = journey.page
    with journey.step("open the lesson in the editor", expect="the Markdown, wrapped, and the toolbar"):
        page.goto(f"/studio/{CAPSTONE_COURSE_SLUG}/edit/{LESSON_PATH}")
        expect(page.get_by_role("toolbar", name="Formatting")).to_be_visible()
        editor = page.get_by_role("textbox", name="Markdown")
        assert editor.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    with journey.step("make a word bold with Ctrl+B", expect="the word wrapped in ** in the text"):
        editor.evaluate("(e, word) => { const i = e.value.indexOf(word); e.focus();"
                        " e.setSelectionRange(i, i + word.length); }", BOLD_WORD)
        page.keyboard.press("Control+b")
        assert f"**{BOLD_WORD}**" in editor.input_value()
        expect(page.locator("[data-preview] strong").filter(has_text=BOLD_WORD)).to_be_visible()
    with journey.step("save to the draft", expect="the draft saved"):
        journey.click(page.get_by_role("button", name="Save to draft"))
        expect(page.get_by_role("status")).to_contain_text("Saved to the draft.")


def compare_and_publish(journey: Journey) -> None:
    page = journey.page
    with journey.step("review the rendered changes", expect="old and new side by side"):
        page.goto(f"/studio/{CAPSTONE_COURSE_SLUG}/publish")
        change = page.locator("details.file-change").filter(has_text=LESSON_PATH)
        row = change.locator("tr.studio-diff-changed").first
        expect(row.locator(".studio-diff-new strong").filter(has_text=BOLD_WORD)).to_be_visible()
        expect(row.locator(".studio-diff-old")).to_contain_text(BOLD_WORD)
        expect(change.get_by_text("Raw Markdown diff")).to_be_visible()
    with journey.step("publish", expect="the new version published"):
        journey.click(page.get_by_role("button", name="Publish version"))
        expect(page.get_by_role("status")).to_contain_text("Published version")
    journey.record_clicks("format, compare and publish a lesson")


def read_statistics(journey: Journey) -> None:
    page = journey.page
    with journey.step("quiz statistics in the studio", expect="each question with its flags"):
        journey.click(page.get_by_role("link", name="Quiz statistics"))
        foundations = page.locator("section.studio-quiz").filter(has_text="Foundations check")
        expect(foundations).to_contain_text("learners (first attempts)")
        expect(foundations.locator(".studio-item").filter(has_text="#objective-definition")) \
            .to_contain_text("Nearly everyone right")
        expect(foundations.locator(".studio-item").filter(has_text="#score-linear")) \
            .to_contain_text("Nearly everyone wrong")
    journey.record_clicks("open quiz statistics from the course")


def hr_statistics(journey: Journey) -> None:
    page = journey.page
    with journey.step("HR dashboard", expect="the organisation's learners"):
        page.goto("/hr/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Partners")
    with journey.step("HR opens quiz statistics", expect="their organisation's figures"):
        journey.click(page.get_by_role("navigation", name="HR")
                      .get_by_role("link", name="Quiz statistics"))
        expect(page.locator(".studio-head .eyebrow")).to_have_text("Quiz statistics")
    picker = page.get_by_label("Course")
    if picker.count():  # other journeys' Northwind learners may have taken other courses
        with journey.step("choose the course", expect="the capstone course's quizzes"):
            picker.select_option(label=CAPSTONE_COURSE_TITLE)
            journey.click(page.get_by_role("button", name="Show"))
            expect(page.locator(".studio-head h2")).to_have_text(CAPSTONE_COURSE_TITLE)
    with journey.step("read the Foundations figures", expect="the flags, Northwind only"):
        foundations = page.locator("section.studio-quiz").filter(has_text="Foundations check")
        foundations.locator(".studio-item").first.scroll_into_view_if_needed()
        expect(foundations).to_contain_text("learners (first attempts)")
        expect(foundations.locator(".studio-item").filter(has_text="#score-linear")) \
            .to_contain_text("Nearly everyone wrong")
    journey.record_clicks("HR opens their organisation's quiz statistics")
