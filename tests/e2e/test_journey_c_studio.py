"""Journey (c): a trainer edits a lesson in the studio and publishes; the learner sees the new
text, and their progress is kept."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.authoring.services import add_maintainer, course_maintainers, find_course
from app.clock import utcnow
from tests.e2e.scene import COURSE_SLUG, Account, log_in, new_learner, study
from tests.e2e.support import Journey, finish, visible_text

pytestmark = pytest.mark.browser

LESSON_PATH = "01-foundations/01-origins.md"
LESSON_URL = f"/courses/{COURSE_SLUG}/foundations/origins"
LESSON_TITLE = "Origins"
ADDED = "John Doerr, who learned OKRs from Andy Grove at Intel, brought them to Google in 1999."


def test_trainer_publishes_an_edit_and_the_learner_keeps_their_progress(open_journey,
                                                                       live_server, story):
    learner_account = story.learner or _learner_with_progress(live_server)
    learner = open_journey("c-learner")
    log_in(learner, learner_account)
    before = learner_progress(learner, edited=False)

    live_server.call(_maintain, live_server.trainer)
    trainer = open_journey("c-trainer")
    log_in(trainer, live_server.trainer)
    edit_lesson(trainer)
    publish(trainer)

    after = learner_progress(learner, edited=True)
    assert after == before, f"progress changed when version 2 was published: {before} -> {after}"
    finish(learner, trainer)


def _maintain(session, account: Account) -> None:
    """Make the trainer a maintainer of the course (the importer's courses have none)."""
    course = find_course(session, COURSE_SLUG)
    if not any(row.user.email == account.email for row in course_maintainers(session, course)):
        add_maintainer(session, None, course, account.email, utcnow())
        session.commit()


def _learner_with_progress(live_server) -> Account:
    """A learner who completed every lesson (when the learner journey did not run first)."""
    account = Account("sam.reader@northwind.example", "Sam Reader")

    def scene(session) -> None:
        user, course = new_learner(live_server, session, account)
        study(session, user, course)

    live_server.call(scene)
    return account


def learner_progress(journey: Journey, *, edited: bool) -> str:
    """The course page's progress line, after checking the lesson shows the (edited) text."""
    page = journey.page
    when = "after the edit" if edited else "before the edit"
    with journey.step(f"course progress {when}", expect="the learner's progress in the course"):
        page.goto(f"/courses/{COURSE_SLUG}")
        progress = page.locator(".course-action .muted").first
        expect(progress).to_contain_text("lessons completed")
        completed = progress.inner_text()
    with journey.step(f"lesson {when}",
                      expect=f"the lesson {'with' if edited else 'without'} the trainer's "
                             "sentence, still marked completed"):
        page.goto(LESSON_URL)
        expect(page.locator("#lesson-title")).to_have_text(LESSON_TITLE)
        assert (ADDED in visible_text(page, "article.prose")) is edited
        expect(page.locator(".lesson-complete")).to_contain_text("Completed on")
    return completed


def edit_lesson(journey: Journey) -> None:
    page = journey.page
    with journey.step("studio", expect="the studio listing the course"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Studio").click()
        expect(page.get_by_role("link", name="OKR Essentials")).to_be_visible()
    with journey.step("the course in the studio", expect="the course's studio page"):
        page.get_by_role("link", name="OKR Essentials").click()
        expect(page.locator(".studio-head .eyebrow")).to_contain_text(COURSE_SLUG)
    with journey.step("start a draft", expect="the draft's outline with its lessons"):
        page.get_by_role("button", name="Start a draft").click()
        expect(page.get_by_role("link", name=LESSON_TITLE, exact=True)).to_be_visible()
    with journey.step("open the lesson in the editor", expect="the lesson's Markdown and preview"):
        page.get_by_role("link", name=LESSON_TITLE, exact=True).click()
        expect(page.locator(".studio-head .eyebrow")).to_contain_text(LESSON_PATH)
    with journey.step("edit the lesson", expect="the live preview showing the new sentence"):
        editor = page.get_by_role("textbox", name="Markdown")
        text = editor.input_value()
        editor.fill(text.rstrip("\n") + f"\n\n{ADDED}\n")
        expect(page.locator("[data-preview]")).to_contain_text(ADDED)
    with journey.step("save to the draft", expect="the draft saved, learners not yet affected"):
        page.get_by_role("button", name="Save to draft").click()
        expect(page.get_by_role("status")).to_contain_text("Saved to the draft.")


def publish(journey: Journey) -> None:
    page = journey.page
    with journey.step("back to the outline", expect="the draft's outline"):
        page.get_by_role("link", name="Back to the outline").click()
        expect(page.get_by_role("link", name="Review & publish")).to_be_visible()
    with journey.step("review the changes", expect="the changed lesson in the diff, no problems"):
        page.get_by_role("link", name="Review & publish").click()
        change = page.locator("details.file-change").filter(has_text=LESSON_PATH)
        expect(change).to_contain_text(ADDED)
        expect(page.locator(".studio-side")).to_contain_text("The draft passes every check")
    with journey.step("publish", expect="version 2 published"):
        page.get_by_role("button", name="Publish version 2").click()
        expect(page.get_by_role("status")).to_contain_text("Published version 2 of OKR Essentials")
