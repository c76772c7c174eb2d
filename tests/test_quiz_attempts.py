"""Quiz attempts in the domain: starting, limits, cooldown, the clock, grading once, statistics."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from app import events
from app.certificates.extension import issuer_for
from app.courses import services as course_services
from app.models import Certificate, QuizAttempt
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import attempts, item_stats, services
from app.quizzes.grading import build_snapshot
from app.courses.quiz_spec import quiz_from_dict
from tests.factories import import_example_course, snapshot_answers, statements_run

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
FOUNDATIONS, KEY_RESULTS = "foundations", "writing-key-results"


def key_answers(snapshot: dict) -> dict:
    """The answers that score 100 on a snapshot."""
    return snapshot_answers(snapshot)


def wrong_answers(snapshot: dict) -> dict:
    """Answers that score 0 on a snapshot."""
    return snapshot_answers(snapshot, right=False)


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def learner(db, make_user, course):
    """An enrolled learner with nothing done yet."""
    user = make_user()
    course_services.enroll(db.session, user, course, T0)
    db.session.commit()
    return user


def complete_module(db, user, course, module_slug: str) -> None:
    """Complete every lesson of a module."""
    for lesson in course.current_version.lessons:
        if lesson.module_slug == module_slug:
            course_services.complete_lesson(db.session, user, course, module_slug, lesson.slug, T0)
    db.session.commit()


def pass_quiz(db, user, course, quiz_key: str, now: datetime = T0) -> QuizAttempt:
    """Start and pass a quiz."""
    attempt = services.start_attempt(db.session, user, course, quiz_key, now)
    outcome = services.submit_attempt(db.session, user, attempt.id, key_answers(attempt.snapshot),
                                      now)
    db.session.commit()
    assert outcome.attempt.passed
    return outcome.attempt


def ready_for_exam(db, user, course) -> None:
    """Everything done but the final exam."""
    complete_module(db, user, course, FOUNDATIONS)
    pass_quiz(db, user, course, FOUNDATIONS)
    complete_module(db, user, course, KEY_RESULTS)
    pass_quiz(db, user, course, KEY_RESULTS)


def fail_exam(db, user, course, now: datetime) -> QuizAttempt:
    """Start and fail the final exam at `now`."""
    attempt = services.start_attempt(db.session, user, course, FINAL_EXAM_KEY, now)
    services.submit_attempt(db.session, user, attempt.id, wrong_answers(attempt.snapshot), now)
    db.session.commit()
    return attempt


def attempt_count(db) -> int:
    return db.session.scalar(select(func.count(QuizAttempt.id)))


# Starting


def test_start_draws_and_stores_a_snapshot(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    db.session.commit()
    assert attempt.status == "open" and attempt.number == 1
    assert attempt.version_id == course.current_version.id
    assert {q["id"] for q in attempt.snapshot["questions"]} == {
        "objective-definition", "outcome-krs", "okr-pay-link", "score-linear"}
    assert attempt.deadline_at is None and attempt.answers == {}


def test_start_resumes_the_open_attempt_instead_of_a_second(db, course, learner):
    first = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    again = services.start_attempt(db.session, learner, course, FOUNDATIONS,
                                   T0 + timedelta(minutes=5))
    db.session.commit()
    assert again.id == first.id and attempt_count(db) == 1


def test_a_racing_start_resumes_the_attempt_that_won(db, course, learner, monkeypatch):
    first = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    db.session.commit()
    # The second request read the history before the first one's insert was visible.
    monkeypatch.setattr(attempts, "user_attempts", lambda *args: [])
    again = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    assert again.id == first.id and attempt_count(db) == 1


def test_unknown_quiz_is_not_found(db, course, learner):
    with pytest.raises(services.QuizNotFound):
        services.start_attempt(db.session, learner, course, "no-such-module", T0)


def test_learner_must_be_enrolled(db, course, make_user):
    with pytest.raises(services.QuizUnavailable, match="Enrol"):
        services.start_attempt(db.session, make_user(), course, FOUNDATIONS, T0)


def test_sequential_course_keeps_later_module_quizzes_locked(db, course, learner):
    with pytest.raises(services.QuizUnavailable, match="Module 1"):
        services.start_attempt(db.session, learner, course, KEY_RESULTS, T0)
    complete_module(db, learner, course, FOUNDATIONS)
    pass_quiz(db, learner, course, FOUNDATIONS)
    assert services.start_attempt(db.session, learner, course, KEY_RESULTS, T0).status == "open"


def test_final_exam_opens_only_when_the_rest_of_the_course_is_done(db, course, learner):
    with pytest.raises(services.QuizUnavailable) as error:
        services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    assert "Pass the quiz of module 'Foundations'" in str(error.value)
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    assert attempt.deadline_at == T0 + timedelta(minutes=30)


def test_a_passed_quiz_is_not_taken_again(db, course, learner):
    pass_quiz(db, learner, course, FOUNDATIONS)
    with pytest.raises(services.AttemptNotAllowed, match="passed this quiz already"):
        services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)


# Pools and shuffling


def test_stratified_draw_with_a_fixed_seed_is_reproducible(db, course, learner, make_user):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0,
                                     rng=random.Random(7))
    spec = quiz_from_dict(course.current_version.final_exam)
    assert attempt.snapshot == build_snapshot(spec, random.Random(7))
    sections = [q["section_id"] for q in attempt.snapshot["questions"]]
    assert sections == ["foundations", "foundations", "key-results"]


def test_shuffling_changes_order_between_seeds_but_not_the_pool(db, course, make_user):
    orders = set()
    for seed in range(8):
        user = make_user()
        course_services.enroll(db.session, user, course, T0)
        attempt = services.start_attempt(db.session, user, course, FOUNDATIONS, T0,
                                         rng=random.Random(seed))
        questions = attempt.snapshot["questions"]
        assert {q["id"] for q in questions} == {"objective-definition", "outcome-krs",
                                               "okr-pay-link", "score-linear"}
        orders.add(tuple(q["id"] for q in questions) +
                   tuple(o["id"] for q in questions for o in q["options"]))
    assert len(orders) > 1


# Submitting once


def test_submitting_the_key_scores_100_and_passes(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    outcome = services.submit_attempt(db.session, learner, attempt.id,
                                      key_answers(attempt.snapshot), T0 + timedelta(minutes=3))
    assert not outcome.replayed
    assert (attempt.status, attempt.score, attempt.passed, attempt.late) == \
        ("submitted", 100.0, True, False)
    assert attempt.submitted_at == T0 + timedelta(minutes=3)
    assert len(attempt.result["per_question"]) == 4


def test_the_same_submission_twice_changes_nothing(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    answers = wrong_answers(attempt.snapshot)
    first = services.submit_attempt(db.session, learner, attempt.id, answers, T0)
    db.session.commit()
    stored = (attempt.score, attempt.passed, attempt.submitted_at, dict(attempt.result))
    second = services.submit_attempt(db.session, learner, attempt.id, answers,
                                     T0 + timedelta(seconds=1))
    db.session.commit()
    assert second.replayed and not first.replayed
    assert (attempt.score, attempt.passed, attempt.submitted_at, attempt.result) == stored
    assert attempt_count(db) == 1


def test_different_answers_to_a_closed_attempt_are_refused(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    services.submit_attempt(db.session, learner, attempt.id, wrong_answers(attempt.snapshot), T0)
    with pytest.raises(services.AttemptClosed, match="cannot be changed"):
        services.submit_attempt(db.session, learner, attempt.id, key_answers(attempt.snapshot), T0)
    assert attempt.score == 0


def test_a_concurrent_submission_is_graded_only_once(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    answers = key_answers(attempt.snapshot)
    db.session.commit()
    # Another request graded the attempt after this one loaded it.
    db.session.execute(update(QuizAttempt).where(QuizAttempt.id == attempt.id).values(
        status="submitted", score=100.0, passed=True, submitted_at=T0,
        result={"per_question": [], "submission_digest": services.submission_digest(answers)})
        .execution_options(synchronize_session=False))
    outcome = services.submit_attempt(db.session, learner, attempt.id, answers, T0)
    assert outcome.replayed and attempt.result["per_question"] == []


# Forged input


@pytest.mark.parametrize("forge, sentence", [
    (lambda a: {**a, "no-such-question": "a"}, "There is no question 'no-such-question'"),
    (lambda a: {**a, "objective-definition": "zz"}, "'zz' is not an option"),
    (lambda a: {**a, "score-linear": "three quarters"}, "must be a number"),
    (lambda a: {**a, "objective-definition": ["a", "b"]}, "takes one answer"),
])
def test_forged_answers_are_refused_and_nothing_is_recorded(db, course, learner, forge, sentence):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    with pytest.raises(services.InvalidAnswers) as error:
        services.submit_attempt(db.session, learner, attempt.id,
                                forge(key_answers(attempt.snapshot)), T0)
    assert sentence in str(error.value)
    assert attempt.status == "open" and attempt.answers == {} and attempt.score is None


def test_another_learners_attempt_is_not_found(db, course, learner, make_user):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    intruder = make_user()
    for call in (services.submit_attempt, services.save_answers):
        with pytest.raises(services.QuizNotFound):
            call(db.session, intruder, attempt.id, {}, T0)
    assert attempt.status == "open"


# Attempt limits and cooldown


def test_max_attempts_is_enforced(db, course, learner):
    ready_for_exam(db, learner, course)
    for hour in range(3):
        fail_exam(db, learner, course, T0 + timedelta(hours=2 * hour))
    with pytest.raises(services.AttemptNotAllowed, match="all 3 attempts"):
        services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0 + timedelta(days=1))
    overview = services.quiz_overview(db.session, learner, course, FINAL_EXAM_KEY,
                                      T0 + timedelta(days=1))
    assert overview.attempts_left == 0 and not overview.can_start


def test_cooldown_after_a_failed_attempt(db, course, learner):
    ready_for_exam(db, learner, course)
    failed = fail_exam(db, learner, course, T0)
    with pytest.raises(services.AttemptNotAllowed) as error:
        services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY,
                               T0 + timedelta(minutes=59))
    assert error.value.next_attempt_at == failed.submitted_at + timedelta(minutes=60)
    assert "10:00 UTC" in str(error.value)
    overview = services.quiz_overview(db.session, learner, course, FINAL_EXAM_KEY,
                                      T0 + timedelta(minutes=59))
    assert overview.next_attempt_at == T0 + timedelta(minutes=60) and overview.attempts_left == 2
    later = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY,
                                   T0 + timedelta(minutes=60))
    assert later.number == 2


# The clock


def test_answers_within_the_grace_period_count(db, course, learner):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    at = attempt.deadline_at + services.GRACE
    services.submit_attempt(db.session, learner, attempt.id, key_answers(attempt.snapshot), at)
    assert attempt.passed and not attempt.late and attempt.submitted_at == at


def test_late_answers_are_discarded_and_saved_ones_graded_at_the_deadline(db, course, learner):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    services.save_answers(db.session, learner, attempt.id, key_answers(attempt.snapshot),
                          T0 + timedelta(minutes=10))
    late = attempt.deadline_at + services.GRACE + timedelta(seconds=1)
    outcome = services.submit_attempt(db.session, learner, attempt.id,
                                      wrong_answers(attempt.snapshot), late)
    assert attempt.late and attempt.passed and attempt.score == 100.0
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.result["closure"] == "late" and not outcome.replayed
    replay = services.submit_attempt(db.session, learner, attempt.id,
                                     wrong_answers(attempt.snapshot), late)
    assert replay.replayed


def test_an_abandoned_attempt_is_closed_at_its_deadline(db, course, learner):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    overview = services.quiz_overview(db.session, learner, course, FINAL_EXAM_KEY,
                                      T0 + timedelta(hours=3))
    assert overview.open_attempt is None
    assert attempt.status == "submitted" and attempt.score == 0 and attempt.late
    assert attempt.result["closure"] == "expired"
    with pytest.raises(services.AttemptClosed, match="time ran out"):
        services.submit_attempt(db.session, learner, attempt.id, key_answers(attempt.snapshot),
                                T0 + timedelta(hours=3))


def test_the_quiz_page_reads_no_snapshots_of_past_attempts(db, course, learner):
    complete_module(db, learner, course, FOUNDATIONS)
    for _ in range(3):
        attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
        services.submit_attempt(db.session, learner, attempt.id, wrong_answers(attempt.snapshot),
                                T0)
    db.session.commit()

    statements = statements_run(db, lambda: services.quiz_overview(
        db.session, learner, course, FOUNDATIONS, T0))

    assert statements and not any("quiz_attempts.snapshot" in s for s in statements)
    overview = services.quiz_overview(db.session, learner, course, FOUNDATIONS, T0)
    assert [a.number for a in overview.attempts] == [3, 2, 1] and not overview.passed


def test_an_expired_attempt_is_graded_from_its_saved_answers_read_on_demand(db, course, learner):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    services.save_answers(db.session, learner, attempt.id, key_answers(attempt.snapshot),
                          T0 + timedelta(minutes=5))
    db.session.commit()  # what the page loads next comes fresh from the database

    overview = services.quiz_overview(db.session, learner, course, FINAL_EXAM_KEY,
                                      T0 + timedelta(hours=3))

    closed = overview.attempts[0]
    assert overview.open_attempt is None and closed.late and closed.score == 100
    assert closed.result["closure"] == "expired"


def test_saving_after_the_limit_closes_the_attempt(db, course, learner):
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    services.save_answers(db.session, learner, attempt.id, key_answers(attempt.snapshot),
                          T0 + timedelta(hours=1))
    assert attempt.status == "submitted" and attempt.answers == {} and attempt.late


# Results and statistics


def test_passed_quiz_keys_and_best_results(db, course, learner):
    attempt = services.start_attempt(db.session, learner, course, FOUNDATIONS, T0)
    services.submit_attempt(db.session, learner, attempt.id, wrong_answers(attempt.snapshot), T0)
    assert services.passed_quiz_keys(db.session, learner, course) == set()
    pass_quiz(db, learner, course, FOUNDATIONS)
    assert services.passed_quiz_keys(db.session, learner, course) == {FOUNDATIONS}
    best = services.best_results(db.session, learner, course)[FOUNDATIONS]
    assert (best.attempts, best.best_score, best.passed, best.title) == \
        (2, 100.0, True, "Foundations check")
    batch = services.passed_quiz_keys_for_courses(db.session, learner, [course.id])
    assert batch == {course.id: {FOUNDATIONS}}


def test_quiz_statistics_count_each_questions_right_answers(db, course, make_user):
    for index in range(4):
        user = make_user()
        course_services.enroll(db.session, user, course, T0)
        attempt = services.start_attempt(db.session, user, course, FOUNDATIONS, T0)
        answers = key_answers(attempt.snapshot)
        if index % 2:
            answers["score-linear"] = "0.2"  # half the learners miss the numeric question
        if index == 3:
            answers["okr-pay-link"] = next(o["id"] for q in attempt.snapshot["questions"]
                                           if q["id"] == "okr-pay-link"
                                           for o in q["options"] if not o["correct"])
        services.submit_attempt(db.session, user, attempt.id, answers, T0)
    db.session.commit()
    stats = services.quiz_statistics(db.session, course, FOUNDATIONS)
    assert (stats.attempts, stats.learners, stats.title) == (4, 4, "Foundations check")
    assert stats.pass_rate == 0.75  # 3 of 4 right (75 %) still meets the pass mark of 75
    items = item_stats.quiz_item_statistics(db.session, course, FOUNDATIONS).items
    shares = {item.question_id: (item.attempts, item.right) for item in items}
    assert shares == {"okr-pay-link": (4, 3), "score-linear": (4, 2),
                      "objective-definition": (4, 4), "outcome-krs": (4, 4)}
    assert min(items, key=lambda item: item.share_right).share_right == 0.5


def test_statistics_of_an_unknown_quiz(db, course):
    with pytest.raises(services.QuizNotFound):
        services.quiz_statistics(db.session, course, "no-such-quiz")
    empty = services.quiz_statistics(db.session, course, FOUNDATIONS)
    assert empty.attempts == 0 and empty.pass_rate is None


# The certificate hook


def test_passing_the_final_exam_announces_it_once(db, course, learner):
    calls = []

    def listen(_sender, **kwargs):
        calls.append(kwargs)

    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    answers = key_answers(attempt.snapshot)
    with events.final_exam_passed.connected_to(listen):
        outcome = services.submit_attempt(db.session, learner, attempt.id, answers, T0)
        replay = services.submit_attempt(db.session, learner, attempt.id, answers, T0)
    assert [(c["attempt"].id, c["now"], c["session"]) for c in calls] == \
        [(attempt.id, T0, db.session)]
    # certificate issuance, connected by the factory, answered the event
    assert isinstance(outcome.certificate, Certificate) and replay.certificate is None
    assert outcome.certificate.user_id == learner.id


def test_a_failed_module_quiz_or_exam_announces_nothing(db, course, learner):
    calls = []
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    with events.final_exam_passed.connected_to(lambda _sender, **kw: calls.append(kw)):
        services.submit_attempt(db.session, learner, attempt.id,
                                wrong_answers(attempt.snapshot), T0)
    assert calls == []


def test_a_failing_certificate_issue_keeps_the_passed_exam(app, db, course, learner,
                                                           monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("renderer unavailable")

    monkeypatch.setattr(issuer_for(app), "render_and_sign", broken)
    ready_for_exam(db, learner, course)
    attempt = services.start_attempt(db.session, learner, course, FINAL_EXAM_KEY, T0)
    outcome = services.submit_attempt(db.session, learner, attempt.id,
                                      key_answers(attempt.snapshot), T0)
    db.session.commit()
    assert outcome.certificate is None and attempt.passed
    assert FINAL_EXAM_KEY in services.passed_quiz_keys(db.session, learner, course)
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
