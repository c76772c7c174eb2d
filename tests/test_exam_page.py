"""The attempt page's timed-exam parts through HTTP: the countdown's data, the navigator and the
answered count, the confirmation dialog, and the autosave's JSON answers."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from tests.test_quiz_pages import EXAM_URL, QUIZ_URL, _attempt, form_for, ready_for_exam, start
from tests.test_quiz_pages import course, learner  # noqa: F401  (the fixtures, shared)

JSON = {"Accept": "application/json"}


def autosave(browser, attempt, data: dict, token_from: str = QUIZ_URL):
    """The page script's request: the form's fields (with its CSRF token), asking for JSON."""
    return browser.post(f"/attempts/{attempt.id}/save", data, token_from=token_from,
                        headers=JSON)


def first_answer_only(attempt) -> dict:
    """The form with only the first question answered (rightly)."""
    first = attempt.snapshot["questions"][0]["id"]
    return {field: value for field, value in form_for(attempt, right=True).items()
            if field == f"answer-{first}"}


def open_exam(browser, learner, course):
    ready_for_exam(learner, course)
    return start(browser, EXAM_URL)


def status_bar(html: str) -> str:
    return re.search(r'<div class="exam-status".*?</div>', html, re.S).group(0)


def expire(attempt) -> None:
    stored = _attempt(attempt.id)
    stored.deadline_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    db.session.commit()


# The page


def test_the_exam_page_carries_its_deadline_for_the_countdown(client, browser, learner, course):
    attempt = open_exam(browser, learner, course)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    deadline = attempt.deadline_at.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")
    status = re.search(r'<div class="exam-status" data-deadline="([^"]+)" '
                       r'data-server-now="([^"]+)">', html)
    assert status and status.group(1) == deadline
    sent_at = datetime.fromisoformat(status.group(2))
    assert abs((sent_at - datetime.now(timezone.utc)).total_seconds()) < 60
    # the ticking time is a timer (not read out by itself); only the warnings region is live
    bar = status_bar(html)
    assert re.search(r'<span class="exam-remaining" role="timer" hidden>', bar)
    assert bar.count("aria-live") == 1
    assert '<p class="exam-alert" aria-live="polite"></p>' in bar
    assert 'src="/static/js/exam.' in html and 'href="/static/css/exam.' in html


def test_a_module_quiz_has_the_navigator_but_no_countdown(client, browser, learner):
    attempt = start(browser)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    bar = status_bar(html)
    assert "data-deadline" not in bar and "exam-remaining" not in bar and "aria-live" not in bar
    assert 'class="exam-nav"' in html and "0</strong> of 4 answered" in html


def test_the_navigator_links_every_question_and_says_which_are_answered(client, browser,
                                                                        learner, course):
    attempt = open_exam(browser, learner, course)
    questions = len(attempt.snapshot["questions"])
    assert browser.post(f"/attempts/{attempt.id}/save", first_answer_only(attempt),
                        token_from=EXAM_URL).status_code == 303
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    links = re.findall(r'<a class="exam-nav-link( is-answered)?" href="#q-(\d+)"'
                       r'.*?<span class="visually-hidden exam-nav-state">Question \d+, '
                       r'([a-z ]+)</span>', html, re.S)
    assert [(int(n), state) for _, n, state in links] == \
        [(1, "answered")] + [(n, "not answered") for n in range(2, questions + 1)]
    assert [bool(answered) for answered, _, _ in links] == [True] + [False] * (questions - 1)
    for n in range(1, questions + 1):
        assert f'<fieldset class="card quiz-question" id="q-{n}" data-question="{n}">' in html
    assert f"1</strong> of {questions} answered" in html


def test_the_confirmation_dialog_is_on_the_page_closed(client, browser, learner):
    attempt = start(browser)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    dialog = re.search(r"<dialog [^>]*>.*?</dialog>", html, re.S).group(0)
    assert " open" not in dialog.split(">", 1)[0]
    assert "Go back" in dialog and "Submit anyway" in dialog
    # outside the form: without the script, Submit answers simply submits
    assert dialog not in re.search(r"<form .*?</form>", html, re.S).group(0)


# The autosave's JSON answers


def test_autosave_answers_json_and_keeps_the_answers(browser, learner):
    attempt = start(browser)
    response = autosave(browser, attempt, first_answer_only(attempt))
    assert response.status_code == 200 and response.is_json
    saved_at = datetime.fromisoformat(response.json["saved_at"])
    assert abs((saved_at - datetime.now(timezone.utc)).total_seconds()) < 60
    assert response.json["answered"] == 1
    stored = _attempt(attempt.id)
    assert stored.status == "open" and list(stored.answers) == [
        attempt.snapshot["questions"][0]["id"]]


def test_autosave_takes_the_token_in_a_header_and_refuses_none(client, browser, learner):
    attempt = start(browser)
    token = browser.token(f"/attempts/{attempt.id}")
    response = client.post(f"/attempts/{attempt.id}/save", data=first_answer_only(attempt),
                           headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200
    refused = client.post(f"/attempts/{attempt.id}/save", data=form_for(attempt, right=True),
                          headers=JSON)
    assert refused.status_code == 400
    assert len(_attempt(attempt.id).answers) == 1


def test_autosave_after_the_deadline_is_409_and_the_attempt_is_graded(browser, learner, course):
    attempt = open_exam(browser, learner, course)
    assert autosave(browser, attempt, first_answer_only(attempt)).status_code == 200
    expire(attempt)
    response = autosave(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 409 and response.is_json
    error = response.json["error"]
    assert error["status"] == 409 and "closed when its time ran out" in error["message"]
    assert error["result_url"] == f"/attempts/{attempt.id}/result"
    graded = _attempt(attempt.id)  # graded with the answer saved in time, not the late ones
    assert graded.status == "submitted" and graded.late
    assert list(graded.answers) == [attempt.snapshot["questions"][0]["id"]]


def test_autosave_of_a_submitted_attempt_is_409(browser, learner):
    attempt = start(browser)
    browser.post(f"/attempts/{attempt.id}/submit", form_for(attempt, right=False),
                 token_from=QUIZ_URL)
    response = autosave(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 409
    assert "its answers cannot be changed" in response.json["error"]["message"]
    assert _attempt(attempt.id).score == 0


@pytest.mark.parametrize("forged, sentence", [
    ({"answer-objective-definition": "9"}, "'9' is not an option"),
    ({"answer-no-such-question": "1"}, "There is no question"),
    ({"answer-score-linear": "x" * 5000}, "must be a number"),
])
def test_autosave_of_forged_answers_is_400_and_keeps_nothing(browser, learner, forged, sentence):
    attempt = start(browser)
    response = autosave(browser, attempt, forged)
    assert response.status_code == 400
    error = response.json["error"]
    assert any(sentence in s for s in error["sentences"]) and sentence in error["message"]
    assert _attempt(attempt.id).answers == {}


def test_autosave_of_another_learners_attempt_is_404(client, browser, learner, login_as):
    attempt = start(browser)
    login_as("learner")
    response = autosave(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 404 and response.json["error"]["status"] == 404
    assert "sentences" not in response.json["error"] and "result_url" not in response.json["error"]
    assert browser.post("/attempts/999999/save", {}, token_from=QUIZ_URL,
                        headers=JSON).status_code == 404
    assert _attempt(attempt.id).answers == {}


def test_a_plain_form_save_still_goes_back_to_the_page(browser, learner):
    attempt = start(browser)
    response = browser.post(f"/attempts/{attempt.id}/save", first_answer_only(attempt),
                            token_from=QUIZ_URL,
                            headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}")
