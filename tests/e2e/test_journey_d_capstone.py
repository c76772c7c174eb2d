"""Journey (d): a learner hands in capstone work with a file, a trainer claims and scores it as
a fail, the learner reads the scored rubric and hands in again, the trainer passes it, and the
learner's certificate and its verify page say the capstone was assessed."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models.quizzes import FINAL_EXAM_KEY
from tests.capstone_fixtures import CAPSTONE_COURSE_TITLE, PDF
from tests.e2e.scene import CAPSTONE_COURSE_SLUG, Account, log_in, pass_quiz, study
from tests.e2e.support import Journey, finish

pytestmark = pytest.mark.browser

LEARNER = Account("casey.cap@northwind.example", "Casey Capstone")
FIRST_DRAFT = "## Our OKRs\n\nObjective: **ship more**.\n\n- KR: write 10 plans"
SECOND_DRAFT = ("## Our OKRs\n\nObjective: **customers renew because we delight them**.\n\n"
                "| Key result | Baseline | Target |\n|---|---|---|\n| Renewal rate | 82% | 90% |")
FAIL = {"objectives": "Developing", "key-results": "Developing", "note": "Unclear"}
PASS = {"objectives": "Exemplary", "key-results": "Proficient", "note": "Clear"}


def ready_learner(live_server) -> None:
    """Lessons, module quizzes and the final exam done through the services."""
    from app.auth import services as accounts
    from app.courses import services as courses

    def scene(session):
        user = accounts.create_user(
            session, email=LEARNER.email, name=LEARNER.name, password=LEARNER.password,
            policy=accounts.PasswordPolicy.from_config(live_server.app.config))
        session.commit()
        course = courses.find_course(session, CAPSTONE_COURSE_SLUG)
        study(session, user, course)
        pass_quiz(session, user, course, FINAL_EXAM_KEY)

    live_server.call(scene)


def test_capstone_is_handed_in_scored_resubmitted_and_certified(open_journey, live_server,
                                                                tmp_path):
    ready_learner(live_server)
    plan = tmp_path / "rollout-plan.pdf"
    plan.write_bytes(PDF)
    learner, trainer = open_journey("d-capstone-learner"), open_journey("d-capstone-trainer")
    log_in(learner, LEARNER)
    open_capstone(learner)
    hand_in(learner, FIRST_DRAFT, plan)
    log_in(trainer, live_server.trainer)
    score(trainer, FAIL, "Objectives are tasks; key results count activity.")
    read_scores_and_hand_in_again(learner)
    score(trainer, PASS, "Outcome-based and measurable.", from_studio=False)
    see_certificate(learner)
    finish(learner, trainer)


def open_capstone(journey: Journey) -> None:
    page = journey.page
    with journey.step("course page", expect="the capstone card under the outline"):
        page.goto(f"/courses/{CAPSTONE_COURSE_SLUG}")
        expect(page.get_by_role("heading", name="Capstone", exact=True)).to_be_visible()
    with journey.step("open the capstone", expect="the brief and the rubric"):
        page.get_by_role("link", name="Open the capstone").click()
        expect(page.get_by_role("heading", name="The brief")).to_be_visible()
        expect(page.get_by_role("heading", name="How it is scored")).to_be_visible()


def hand_in(journey: Journey, text: str, attachment=None, *, preview: bool = True) -> None:
    page = journey.page
    if preview:
        with journey.step("preview the answer", expect="the Markdown rendered, nothing handed in"):
            page.get_by_label("Your answer (Markdown)").fill(text)
            page.get_by_role("button", name="Preview").click()
            expect(page.get_by_role("heading", name="Preview (not handed in yet)")).to_be_visible()
            expect(page.locator(".preview strong").first).to_be_visible()
    with journey.step("hand in", expect="the work waiting for a score"):
        page.get_by_label("Your answer (Markdown)").fill(text)
        if attachment is not None:
            page.get_by_label("Files (optional").set_input_files(str(attachment))
        page.get_by_role("button", name="Hand in my work").click()
        expect(page.get_by_role("status")).to_contain_text("Your work is handed in")
        expect(page.locator("main")).to_contain_text("Waiting for a score")


def score(journey: Journey, levels: dict[str, str], comment: str, *,
          from_studio: bool = True) -> None:
    page = journey.page
    if from_studio:
        with journey.step("studio", expect="a way to the grading queue"):
            page.goto("/studio")
            expect(page.get_by_role("link", name="Capstone grading")).to_be_visible()
    with journey.step("grading queue", expect="the learner's work waiting, oldest first"):
        if from_studio:
            page.get_by_role("link", name="Capstone grading").click()
        else:
            page.goto("/studio/grading")
        expect(page.get_by_role("heading", name="Capstone grading")).to_be_visible()
    with journey.step("open the work", expect="the work beside the rubric, free to claim"):
        page.get_by_role("link", name=LEARNER.name).first.click()
        expect(page.get_by_role("button", name="Claim to grade")).to_be_enabled()
    with journey.step("claim it", expect="the scoring form"):
        page.get_by_role("button", name="Claim to grade").click()
        expect(page.get_by_role("button", name="Save the score")).to_be_visible()
    if from_studio:  # the first time
        with journey.step("scoring on a phone", expect="one column, nothing wider than a phone"):
            fits_a_phone(page)
    with journey.step("score it", expect="the queue again, the score confirmed"):
        page.set_viewport_size(DESKTOP)
        for criterion, level in levels.items():
            page.locator(f"fieldset:has(#comment-{criterion})").get_by_label(re.compile(rf"^{level} \(")).check()
            page.locator(f"#comment-{criterion}").fill(comment)
        page.get_by_role("button", name="Save the score").click()
        expect(page.get_by_role("status")).to_contain_text("Scored:")


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def fits_a_phone(page) -> None:
    """At 390 px the page lays out in one column without scrolling sideways (the step's
    screenshot shows it at that width)."""
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 390 px phone"


def read_scores_and_hand_in_again(journey: Journey) -> None:
    page = journey.page
    with journey.step("read the scored rubric", expect="a fail with the trainer's comments"):
        page.goto(f"/courses/{CAPSTONE_COURSE_SLUG}/capstone")
        expect(page.locator("main")).to_contain_text("Not yet passed")
        expect(page.locator("main")).to_contain_text("you may hand in once more")
        expect(page.locator(".rubric-comment").first).to_be_visible()
    hand_in(journey, SECOND_DRAFT, preview=False)


def see_certificate(journey: Journey) -> None:
    page = journey.page
    with journey.step("capstone passed", expect="the pass and the scored rubric"):
        page.goto(f"/courses/{CAPSTONE_COURSE_SLUG}/capstone")
        expect(page.locator("main")).to_contain_text("Passed")
    with journey.step("capstone on a phone", expect="one column, nothing wider than the screen"):
        fits_a_phone(page)
    with journey.step("my certificates", expect="a valid certificate for the course"):
        page.set_viewport_size(DESKTOP)
        page.goto("/certificates")
        card = page.locator(".cert-card", has_text=CAPSTONE_COURSE_TITLE)
        expect(card.locator(".cert-state")).to_have_text("Valid")
        code = card.locator(".cert-code").inner_text().strip()
    with journey.step("verify page", expect="the capstone stated as assessed"):
        page.goto(f"/verify/{code}")
        expect(page.locator("main")).to_contain_text("capstone work assessed by a trainer")
