"""The timed final exam, as a learner who studied everything takes it: the countdown in their own
time zone, answers saved as they are given (a reload keeps them), the question navigator, the
question before submitting with one unanswered, the warnings at five minutes and at one minute
(the page's clock is moved on, not waited for), then every answer and the submission."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from app.models import QuizAttempt
from app.models.quizzes import FINAL_EXAM_KEY
from tests.e2e.course_files import KeyedQuestion, answer_key, normalised
from tests.e2e.scene import COURSE_SLUG, Account, new_learner, sign_in, study
from tests.e2e.support import Journey

pytestmark = pytest.mark.browser

LEARNER = Account("tess.timer@northwind.example", "Tess Timer")
#: a zone without summer time, far from UTC: the end time shown is visibly the learner's own
TIME_ZONE, UTC_OFFSET = "Asia/Kolkata", timedelta(hours=5, minutes=30)
FIVE_MINUTES = "5 minutes left."
ONE_MINUTE = "1 minute left. Answers are submitted at 00:00."
ISSUING_MS = 20_000


def test_a_learner_takes_the_timed_final_exam(open_journey, live_server):
    def scene(session) -> None:
        user, course = new_learner(live_server, session, LEARNER)
        study(session, user, course)

    live_server.call(scene)
    key = answer_key(live_server.course_dir / "final-exam.md", FINAL_EXAM_KEY)
    journey = open_journey("exam", experience=True)
    page = journey.page
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride",
                                            {"timezoneId": TIME_ZONE})
    page.clock.install()  # runs with the real time until the journey moves it on
    sign_in(journey, LEARNER)

    start_the_exam(journey)
    answer_two_and_come_back(journey, key, live_server)
    jump_to_the_last_question(journey)
    try_to_submit_with_one_unanswered(journey)
    hear_the_warnings(journey)
    answer_the_last_and_submit(journey, key)
    journey.finish()


def start_the_exam(journey: Journey) -> None:
    page = journey.page
    with journey.step("final exam overview", expect="the exam's rules and its start button"):
        page.goto(f"/courses/{COURSE_SLUG}/quiz/{FINAL_EXAM_KEY}")
        expect(page.get_by_role("button", name="Start the exam")).to_be_visible()
    with journey.step("start the exam", expect="30 minutes left, ending at the learner's local "
                                               "time, nothing answered, nothing announced"):
        page.get_by_role("button", name="Start the exam").click()
        bar = page.locator(".exam-status")
        expect(bar.get_by_role("timer")).to_have_text(re.compile(r"^(30:00|29:[0-5]\d) left$"))
        deadline = datetime.fromisoformat(bar.get_attribute("data-deadline"))
        expect(bar.locator(".exam-ends")).to_contain_text(
            f"Ends at {deadline + UTC_OFFSET:%H:%M}")
        expect(bar.locator(".exam-count")).to_have_text("0 of 3 answered")
        expect(bar.locator(".exam-alert")).to_have_text("")
        expect(page.locator(".exam-nav .is-answered")).to_have_count(0)


def answer_two_and_come_back(journey: Journey, key, live_server) -> None:
    page = journey.page
    bar = page.locator(".exam-status")
    with journey.step("answer two questions", expect="the count at 2 and both answers saved"):
        questions = page.locator("fieldset.quiz-question")
        answer(questions.nth(0), key)
        answer(questions.nth(1), key)
        expect(bar.locator(".exam-count")).to_have_text("2 of 3 answered")
        expect(bar.locator(".exam-saved")).to_have_text(re.compile(r"^Saved at \d\d:\d\d:\d\d$"))
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    assert live_server.call(saved_answers, attempt_id) == 2
    with journey.step("reload the exam", expect="the two answers still given, the clock running"):
        page.reload()
        expect(bar.locator(".exam-count")).to_have_text("2 of 3 answered")
        for number in (1, 2):
            expect(nav_link(page, number, "answered")).to_have_class(re.compile("is-answered"))
        expect(nav_link(page, 3, "not answered")).not_to_have_class(re.compile("is-answered"))
        expect(bar.get_by_role("timer")).to_have_text(re.compile(r"^(30:00|29:[0-5]\d) left$"))


def jump_to_the_last_question(journey: Journey) -> None:
    page = journey.page
    with journey.step("jump to question 3", expect="question 3 in view, its first choice focused"):
        nav_link(page, 3, "not answered").click()
        expect(page).to_have_url(re.compile(r"#q-3$"))
        expect(page.locator("#q-3 input").first).to_be_focused()
        expect(page.locator("#q-3")).to_be_in_viewport()


def try_to_submit_with_one_unanswered(journey: Journey) -> None:
    page = journey.page
    dialog = page.get_by_role("dialog", name="Submit with unanswered questions?")
    with journey.step("submit with one unanswered", expect="a dialog naming question 3, with "
                                                           "the keyboard on Go back"):
        page.get_by_role("button", name="Submit answers").click()
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("1 of 3 questions is not answered: question 3. "
                                       "Unanswered questions count as wrong.")
        expect(dialog.get_by_role("button", name="Go back")).to_be_focused()
        if journey.audit is not None:  # the page was audited closed; the open dialog too
            journey.violations += journey.audit.violations(page)
    with journey.step("go back", expect="the dialog closed, question 3 focused, nothing sent"):
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(page.locator("#q-3 input").first).to_be_focused()
        expect(page).to_have_url(re.compile(r"/attempts/\d+#q-3$"))


def hear_the_warnings(journey: Journey) -> None:
    page = journey.page
    bar = page.locator(".exam-status")
    alert = bar.locator(".exam-alert")
    with journey.step("five minutes left", expect="the polite live region saying 5 minutes"):
        page.clock.fast_forward((seconds_left(page) - 290) * 1000)
        expect(alert).to_have_text(FIVE_MINUTES)
        expect(alert).to_have_attribute("aria-live", "polite")
        expect(bar).to_have_class(re.compile("is-warning"))
        expect(bar.get_by_role("timer")).to_have_text(re.compile(r"^0[45]:\d\d left$"))
    with journey.step("one minute left", expect="the live region saying 1 minute"):
        page.clock.fast_forward((seconds_left(page) - 55) * 1000)
        expect(alert).to_have_text(ONE_MINUTE)
        expect(bar).to_have_class(re.compile("is-urgent"))
        expect(bar.get_by_role("timer")).to_have_text(re.compile(r"^00:[45]\d left$"))


def answer_the_last_and_submit(journey: Journey, key) -> None:
    page = journey.page
    bar = page.locator(".exam-status")
    with journey.step("answer question 3", expect="3 of 3 answered, every link ticked"):
        answer(page.locator("#q-3"), key)
        expect(bar.locator(".exam-count")).to_have_text("3 of 3 answered")
        expect(page.locator(".exam-nav .is-answered")).to_have_count(3)
    with journey.step("submit", expect="no question asked; the exam passed, certificate ready"):
        page.get_by_role("button", name="Submit answers").click()
        # the passed exam issues the certificate (a PDF rendered and signed) before answering
        expect(page).to_have_url(re.compile(r"/attempts/\d+/result$"), timeout=ISSUING_MS)
        expect(page.locator(".flashes")).to_contain_text("your certificate is ready")
        expect(page.locator("main")).to_contain_text("Passed")


def answer(fieldset: Locator, key: dict[str, KeyedQuestion]) -> None:
    """Answer one question rightly, as the course file's key says."""
    stem = re.sub(r"^\s*\d+\.\s*", "", fieldset.locator("legend").inner_text())
    question = key[normalised(stem)]
    if question.kind == "numeric":
        field = fieldset.locator("input[type=number]")
        field.fill(f"{question.answer:g}")
        field.press("Tab")  # leaving the field saves it at once
        return
    for option in fieldset.locator("label.quiz-option").all():
        if normalised(option.inner_text()) in question.right:
            option.locator("input").check()


def nav_link(page: Page, number: int, state: str) -> Locator:
    return page.get_by_role("navigation", name="Questions").get_by_role(
        "link", name=f"Question {number}, {state}", exact=True)


def seconds_left(page: Page) -> int:
    """The countdown's reading, in seconds."""
    text = page.locator(".exam-remaining-time").inner_text()
    minutes, seconds = (int(part) for part in text.split(":"))
    return minutes * 60 + seconds


def saved_answers(session, attempt_id: int) -> int:
    return len(session.get(QuizAttempt, attempt_id).answers or {})
