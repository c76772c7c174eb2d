"""Quiz pages: overview, attempt, save, submit, result and statistics, through HTTP."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.courses import services as course_services
from app.extensions import db
from app.models import QuizAttempt
from app.quizzes import services
from tests.factories import import_example_course

FOUNDATIONS = "foundations"
QUIZ_URL = "/courses/example-course/quiz/foundations"
EXAM_URL = "/courses/example-course/quiz/final-exam"


@pytest.fixture
def course(app):
    return import_example_course(db)


@pytest.fixture
def learner(login_as, course):
    """A logged-in learner enrolled in the example course."""
    user = login_as("learner")
    course_services.enroll(db.session, user, course)
    db.session.commit()
    return user


def start(browser, url: str = QUIZ_URL) -> QuizAttempt:
    """Press Start on a quiz page and return the attempt it opened."""
    response = browser.post(url, {})
    assert response.status_code == 303, response.get_data(as_text=True)
    return _attempt(int(response.headers["Location"].rsplit("/", 1)[1]))


def _attempt(attempt_id: int) -> QuizAttempt:
    """The attempt as the database holds it now."""
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt_id)


def ready_for_exam(user, course) -> None:
    """Complete every lesson and pass every module quiz, so the final exam opens."""
    now = datetime.now(timezone.utc)
    for module in course.current_version.modules:
        for lesson in course.current_version.lessons:
            if lesson.module_slug == module.slug:
                course_services.complete_lesson(db.session, user, course, module.slug,
                                                lesson.slug, now)
        attempt = services.start_attempt(db.session, user, course, module.slug, now)
        services.submit_attempt(db.session, user, attempt.id, _key(attempt.snapshot), now)
    db.session.commit()


def _key(snapshot: dict) -> dict:
    """Answers by option id that score 100."""
    answers = {}
    for question in snapshot["questions"]:
        right = [o["id"] for o in question["options"] if o["correct"]]
        answers[question["id"]] = str(question["answer"]) if question["kind"] == "numeric" \
            else right if question["kind"] == "multiple" else right[0]
    return answers


def form_for(attempt: QuizAttempt, *, right: bool) -> dict:
    """The form a learner would post: option positions on the page, numbers as typed."""
    data = {}
    for question in attempt.snapshot["questions"]:
        field = f"answer-{question['id']}"
        if question["kind"] == "numeric":
            data[field] = str(question["answer"] if right else question["answer"] + 99)
            continue
        positions = [str(i) for i, o in enumerate(question["options"], start=1)
                     if o["correct"] == right]
        data[field] = positions if question["kind"] == "multiple" else positions[0]
    return data


def submit(browser, attempt: QuizAttempt, data: dict, action: str = "submit"):
    return browser.post(f"/attempts/{attempt.id}/{action}", data,
                        token_from=f"{QUIZ_URL}")


def attempts_in_db() -> int:
    return db.session.scalar(select(func.count(QuizAttempt.id)))


# Overview and start


def test_overview_needs_login(client, course):
    response = client.get(QUIZ_URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_overview_shows_rules_and_a_start_button(client, learner):
    html = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Foundations check" in html and "Pass mark" in html and "75%" in html
    assert "Unlimited" in html and "Partial credit" in html
    assert "Start the quiz" in html and "No attempts yet" in html


def test_overview_of_an_unknown_course_or_quiz_is_404(client, learner):
    assert client.get("/courses/nope/quiz/foundations").status_code == 404
    assert client.get("/courses/example-course/quiz/nope").status_code == 404


def test_overview_tells_a_learner_who_is_not_enrolled(client, login_as, course, browser):
    login_as("learner")
    html = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Enrol in this course" in html and "Start the quiz" not in html
    response = browser.post(QUIZ_URL, {})
    assert response.status_code == 403 and "Enrol in this course" in response.get_data(as_text=True)


def test_start_opens_an_attempt_and_a_second_start_resumes_it(browser, learner):
    first = start(browser)
    second = start(browser)
    assert first.id == second.id and attempts_in_db() == 1
    html = browser.get(QUIZ_URL).get_data(as_text=True)
    assert f"Resume attempt {first.number}" in html


def test_start_without_csrf_token_is_refused(client, learner):
    response = client.post(QUIZ_URL, data={})
    assert response.status_code == 400 and attempts_in_db() == 0


def test_a_locked_final_exam_cannot_be_started(browser, learner):
    html = browser.get(EXAM_URL).get_data(as_text=True)
    assert "The final exam opens once the rest of the course is done" in html
    response = browser.post(EXAM_URL, {})
    assert response.status_code == 403 and attempts_in_db() == 0


# The attempt page


def test_attempt_page_has_no_key_in_its_html(client, browser, learner):
    attempt = start(browser)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/attempts/\d+/submit".*?</form>', html, re.S)
    assert form, html
    page = html.lower()
    assert "correct" not in page and "explanation" not in page
    for question in attempt.snapshot["questions"]:
        if question["explanation_md"]:
            assert question["explanation_md"][:25].lower() not in page
        if question["kind"] == "numeric":
            assert "0.75" not in html
        for option in question["options"]:
            # options are posted by their position, never by the id that follows file order
            assert f'value="{option["id"]}"' not in html
    assert 'type="radio"' in html and 'type="checkbox"' in html and 'type="number"' in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in tag and not body.strip() for tag, body in scripts)


def test_attempt_page_of_the_final_exam_shows_its_time_limit(client, browser, learner, db,
                                                              course):
    ready_for_exam(learner, course)
    attempt = start(browser, EXAM_URL)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    deadline = attempt.deadline_at.replace(tzinfo=timezone.utc)
    stamp = re.escape(deadline.isoformat(timespec="seconds"))
    assert re.search(rf'Time limit: ends at <time class="exam-local-time" datetime="{stamp}">'
                     rf'{deadline:%H:%M} UTC</time>', html)
    assert "not counted" in html
    assert html.count('class="quiz-section-title"') == 2  # the exam's two sections


def test_another_learners_attempt_is_404_everywhere(client, browser, learner, login_as):
    attempt = start(browser)
    login_as("learner")
    assert client.get(f"/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/attempts/{attempt.id}/result").status_code == 404
    for action in ("submit", "save"):
        response = submit(browser, attempt, form_for(attempt, right=True), action)
        assert response.status_code == 404
    assert _attempt(attempt.id).status == "open"


def test_unknown_attempt_is_404(client, learner):
    assert client.get("/attempts/999999").status_code == 404
    assert client.get("/attempts/not-a-number").status_code == 404


# Saving and submitting


def test_saved_answers_come_back_ticked(client, browser, learner):
    attempt = start(browser)
    data = form_for(attempt, right=True)
    response = submit(browser, attempt, data, "save")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/attempts/{attempt.id}")
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "Your answers are saved" in html and "checked" in html
    assert _attempt(attempt.id).status == "open"


def test_submit_grades_and_shows_the_result_with_feedback(client, browser, learner):
    attempt = start(browser)
    response = submit(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}/result")
    html = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "100%" in html and "Passed" in html and "Pass mark 75%" in html
    assert "Key results carry the numbers" in html  # feedback: after_submit
    assert "You passed this quiz" in html
    stored = _attempt(attempt.id)
    assert stored.status == "submitted" and stored.score == 100.0


def test_a_double_post_grades_once_and_shows_the_same_result(client, browser, learner):
    attempt = start(browser)
    data = form_for(attempt, right=False)
    first = submit(browser, attempt, data)
    graded = _attempt(attempt.id)
    before = (graded.score, graded.submitted_at, graded.result)
    second = submit(browser, attempt, data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    after = _attempt(attempt.id)
    assert (after.score, after.submitted_at, after.result) == before
    assert attempts_in_db() == 1


def test_changing_answers_of_a_submitted_attempt_is_409(browser, learner):
    attempt = start(browser)
    submit(browser, attempt, form_for(attempt, right=False))
    response = submit(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 409
    assert "its answers cannot be changed" in response.get_data(as_text=True)
    assert _attempt(attempt.id).score == 0
    assert submit(browser, attempt, form_for(attempt, right=True), "save").status_code == 409


@pytest.mark.parametrize("forge, sentence", [
    (lambda data: {**data, "answer-objective-definition": "9"}, "&#39;9&#39; is not an option"),
    (lambda data: {**data, "answer-objective-definition": "a"}, "&#39;a&#39; is not an option"),
    (lambda data: {**data, "answer-no-such-question": "1"}, "There is no question"),
    (lambda data: {**data, "answer-score-linear": "three quarters"}, "must be a number"),
    (lambda data: {**data, "answer-okr-pay-link": ["1", "2"]}, "takes one answer"),
])
def test_forged_input_is_400_and_nothing_is_recorded(browser, learner, forge, sentence):
    attempt = start(browser)
    for action in ("submit", "save"):
        response = submit(browser, attempt, forge(form_for(attempt, right=True)), action)
        assert response.status_code == 400
        assert sentence in response.get_data(as_text=True)
    stored = _attempt(attempt.id)
    assert stored.status == "open" and stored.answers == {} and stored.score is None


def test_submit_after_the_time_limit_says_the_answers_were_not_counted(client, browser, learner,
                                                                       course):
    ready_for_exam(learner, course)
    attempt = start(browser, EXAM_URL)
    stored = _attempt(attempt.id)
    stored.deadline_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    db.session.commit()
    response = submit(browser, attempt, form_for(attempt, right=True))
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "arrived after the time limit and were not counted" in html
    graded = _attempt(attempt.id)
    assert graded.late and graded.score == 0 and graded.submitted_at == graded.deadline_at


def test_an_expired_attempt_page_goes_to_its_result(client, browser, learner, course):
    ready_for_exam(learner, course)
    attempt = start(browser, EXAM_URL)
    stored = _attempt(attempt.id)
    stored.deadline_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    db.session.commit()
    response = client.get(f"/attempts/{attempt.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/result")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Time ran out before the attempt was submitted" in html


# The result page


def test_result_of_an_open_attempt_goes_back_to_the_questions(client, browser, learner):
    attempt = start(browser)
    response = client.get(f"/attempts/{attempt.id}/result")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/attempts/{attempt.id}")


def test_failed_exam_with_after_pass_feedback_hides_the_key(client, browser, learner, course):
    ready_for_exam(learner, course)
    attempt = start(browser, EXAM_URL)
    submit(browser, attempt, form_for(attempt, right=False))
    html = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Not passed" in html and "0%" in html
    assert "Score per section" in html and "Foundations" in html and "Not met" in html
    assert "shown once you pass" in html
    for question in attempt.snapshot["questions"]:
        assert question["explanation_md"] not in html
    assert "2 of 3 attempts left" in html and "Your next attempt opens at" in html


def test_feedback_never_shows_only_the_score(client, browser, learner, course):
    module = next(m for m in course.current_version.modules if m.slug == FOUNDATIONS)
    module.quiz = {**module.quiz, "feedback": "never"}
    db.session.commit()
    attempt = start(browser)
    submit(browser, attempt, form_for(attempt, right=True))
    html = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "100%" in html and "does not show which answers were right" in html
    assert "Key results carry the numbers" not in html


def test_a_passed_quiz_cannot_be_started_again(client, browser, learner):
    attempt = start(browser)
    submit(browser, attempt, form_for(attempt, right=True))
    response = browser.post(QUIZ_URL, {})
    assert response.status_code == 409
    assert "You have passed this quiz already." in response.get_data(as_text=True)


def test_overview_lists_the_attempt_history(client, browser, learner):
    attempt = start(browser)
    submit(browser, attempt, form_for(attempt, right=False))
    html = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Not passed" in html and f"/attempts/{attempt.id}/result" in html
    assert "Start attempt 2" in html


# Statistics


def test_statistics_are_for_trainers_and_admins(client, browser, learner, login_as):
    attempt = start(browser)
    submit(browser, attempt, form_for(attempt, right=True))
    assert client.get(f"{QUIZ_URL}/stats").status_code == 403
    for role in ("trainer", "admin"):
        login_as(role)
        html = client.get(f"{QUIZ_URL}/stats").get_data(as_text=True)
        assert "Questions, hardest first" in html and "score-linear" in html
        assert "100.0% (1 of 1)" in html
    assert client.get("/courses/example-course/quiz/nope/stats").status_code == 404
    assert client.get("/courses/nope/quiz/foundations/stats").status_code == 404


def test_statistics_need_login(client, course):
    response = client.get(f"{QUIZ_URL}/stats")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_trainers_see_a_link_to_statistics(client, login_as, course):
    user = login_as("trainer")
    course_services.enroll(db.session, user, course)
    db.session.commit()
    assert "Statistics for trainers" in client.get(QUIZ_URL).get_data(as_text=True)


@pytest.mark.parametrize("junk", [
    {"answer-": "1"},
    {"answer-objective-definition": "²"},
    {"answer-objective-definition": "-1"},
    {"answer-outcome-krs": ["1", "1", "99"]},
    {"answer-score-linear": "1e999999"},
    {"answer-score-linear": "x" * 5000},
    {"unrelated": "field"},
])
def test_junk_submissions_never_break_the_page(browser, learner, junk):
    attempt = start(browser)
    response = submit(browser, attempt, junk)
    assert response.status_code in (303, 400)
    stored = _attempt(attempt.id)
    assert stored.status == ("submitted" if response.status_code == 303 else "open")
