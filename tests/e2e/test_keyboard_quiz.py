"""A quiz taken with the keyboard only: Tab to each question, Space or the arrow keys to choose,
type the number, Tab to "Submit answers" and press Enter; every focused control shows focus."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.course_files import KeyedQuestion, answer_key, normalised
from tests.e2e.scene import COURSE_SLUG, Account, log_in, new_learner, study

pytestmark = pytest.mark.browser

QUIZ_KEY = "foundations"
MAX_TABS = 80

FOCUSED = """() => {
  const el = document.activeElement;
  const question = el && el.closest('fieldset.quiz-question');
  const label = el && el.closest('label');
  return {
    tag: el ? el.tagName.toLowerCase() : '', type: (el && el.type) || '',
    name: (el && el.name) || '', text: label ? label.innerText : (el ? el.innerText || '' : ''),
    checked: !!(el && el.checked), focusVisible: !!(el && el.matches(':focus-visible')),
    question: question ? question.querySelector('legend').innerText : null,
  };
}"""


def test_a_quiz_can_be_taken_with_the_keyboard_only(open_journey, live_server):
    account = Account("kim.keys@northwind.example", "Kim Keys")

    def scene(session) -> None:
        user, course = new_learner(live_server, session, account)
        study(session, user, course, modules=1, quizzes=False)

    live_server.call(scene)
    key = answer_key(live_server.course_dir / "01-foundations" / "quiz.md", QUIZ_KEY)
    journey = open_journey("keyboard-quiz")
    log_in(journey, account)
    page = journey.page
    with journey.step("quiz overview", expect="the quiz's rules and a start button"):
        page.goto(f"/courses/{COURSE_SLUG}/quiz/{QUIZ_KEY}")
        expect(page.get_by_role("button", name="Start the quiz")).to_be_visible()
    with journey.step("start with the keyboard", expect="the start button reached with Tab, "
                                                         "pressed with Enter"):
        tab_to(page, lambda f: f["tag"] == "button" and "Start the quiz" in f["text"])
        page.keyboard.press("Enter")
        expect(page.locator("fieldset.quiz-question").first).to_be_visible()
    with journey.step("answer with the keyboard", expect="every question answered by keys"):
        answered = answer_by_keyboard(page, key)
        assert answered == page.locator("fieldset.quiz-question").count()
    with journey.step("submit with Enter", expect="the result page: passed with 100%"):
        tab_to(page, lambda f: f["tag"] == "button" and "Submit answers" in f["text"])
        page.keyboard.press("Enter")
        expect(page.locator(".quiz-score .quiz-verdict")).to_have_text("Passed")
        expect(page.locator(".quiz-score-value")).to_have_text("100%")
    journey.finish()


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, wanted) -> dict:
    """Press Tab until the focused element is the wanted one; it must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        found = focused(page)
        if wanted(found):
            assert found["focusVisible"], f"{found['text']!r} has focus but does not show it"
            return found
    raise AssertionError(f"not reachable with {MAX_TABS} presses of Tab")


def answer_by_keyboard(page: Page, key: dict[str, KeyedQuestion]) -> int:
    """Tab through the questions, answering each control as the key says; stops on the first
    control after them. Returns how many questions were answered."""
    answered: set[str] = set()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        control = focused(page)
        if control["question"] is None:
            if answered:  # past the last question: the form's buttons
                break
            continue
        assert control["focusVisible"], f"the focused control {control} does not show its focus"
        question = key[normalised(_stem(control["question"]))]
        if control["type"] == "number":
            page.keyboard.type(f"{question.answer:g}")
        elif control["type"] == "checkbox":
            if (normalised(control["text"]) in question.right) != control["checked"]:
                page.keyboard.press("Space")
        elif control["type"] == "radio":
            choose_radio(page, question)
        answered.add(question.stem)
    return len(answered)


def choose_radio(page: Page, question: KeyedQuestion) -> None:
    """In a radio group: Space on the right option, else the arrow keys until it is chosen."""
    control = focused(page)
    if normalised(control["text"]) in question.right:
        page.keyboard.press("Space")
    for _ in range(len(question.wrong) + 1):
        control = focused(page)
        if control["checked"] and normalised(control["text"]) in question.right:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached the right option of {question.stem!r}")


def _stem(legend: str) -> str:
    return legend.split(".", 1)[1] if legend.split(".", 1)[0].strip().isdigit() else legend
