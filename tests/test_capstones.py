"""Capstones end to end in the services: hand-in, claims, scores, resubmission, certificates."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.capstones import grading, submissions
from app.capstones.errors import (
    CapstoneNotFound, GradingConflict, InvalidScores, InvalidSubmission, SubmissionNotAllowed,
)
from app.capstones.files import check_file
from app.certificates import services as certificate_services
from app.courses import services as course_services
from app.models import AuditEvent, CapstoneSubmission, CourseMaintainer
from app.models.quizzes import FINAL_EXAM_KEY
from tests.capstone_fixtures import (  # noqa: F401  (fixtures)
    BELOW_MINIMUM, COMMENTS, PASSING, PDF, capstone_course, ready_learner, trainer,
)
from tests.factories import QUIZ_TIME, take_quiz
from tests.mailbox import sent_mails, text_of

LATER = QUIZ_TIME + timedelta(hours=1)


def hand_in(db, user, course, text="## Our OKRs\n\n- Objective: delight", files=(), now=LATER):
    submission = submissions.submit(db.session, user, course, text, list(files), now)
    db.session.commit()
    return submission


def score(db, trainer, submission, points, now=LATER, comments=COMMENTS):
    grading.claim(db.session, trainer, submission.id, now)
    graded = grading.grade(db.session, trainer, submission.id, points, comments, "Thanks.", now)
    db.session.commit()
    return graded


def test_the_capstone_opens_with_the_final_exam(db, make_user, capstone_course):
    early = make_user()
    course_services.enroll(db.session, early, capstone_course, QUIZ_TIME)
    db.session.commit()
    overview = submissions.overview(db.session, early, capstone_course)
    assert not overview.can_submit and overview.requirements
    with pytest.raises(SubmissionNotAllowed, match="opens when every lesson"):
        hand_in(db, early, capstone_course)
    assert db.session.scalar(select(CapstoneSubmission.id)) is None


def test_a_passed_capstone_and_exam_earn_a_certificate_that_says_so(
        db, capstone_course, ready_learner, trainer):
    take_quiz(db, ready_learner, capstone_course, FINAL_EXAM_KEY)
    status = course_services.certification_status(db.session, ready_learner, capstone_course)
    assert not status.met and status.reasons == [
        "Pass the capstone: a trainer scores your work against its rubric."]
    submission = hand_in(db, ready_learner, capstone_course, files=[check_file("plan.pdf", PDF)])
    graded = score(db, trainer, submission, PASSING)
    assert (graded.status, graded.total, graded.max_total) == ("passed", 9, 10)
    certificate = certificate_services.live_certificate(db.session, ready_learner,
                                                        capstone_course)
    assert certificate is not None and certificate.capstone_assessed
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"capstone.submitted", "capstone.claimed", "capstone.graded"} <= actions


def test_the_exam_passed_after_the_capstone_issues_the_certificate(
        db, capstone_course, ready_learner, trainer):
    score(db, trainer, hand_in(db, ready_learner, capstone_course), PASSING)
    assert certificate_services.live_certificate(db.session, ready_learner, capstone_course) is None
    take_quiz(db, ready_learner, capstone_course, FINAL_EXAM_KEY)
    assert certificate_services.live_certificate(db.session, ready_learner,
                                                 capstone_course).capstone_assessed


def test_a_criterion_below_its_minimum_fails_and_one_resubmission_follows(
        db, capstone_course, ready_learner, trainer):
    first = score(db, trainer, hand_in(db, ready_learner, capstone_course), BELOW_MINIMUM)
    assert first.status == "failed" and first.total == 7  # 70%, but objectives below 3
    with pytest.raises(SubmissionNotAllowed, match="waiting"):
        hand_in(db, ready_learner, hand_in(db, ready_learner, capstone_course).course)
    second = db.session.scalar(select(CapstoneSubmission).where(CapstoneSubmission.attempt == 2))
    score(db, trainer, second, BELOW_MINIMUM)
    overview = submissions.overview(db.session, ready_learner, capstone_course)
    assert "2 times, the most allowed" in overview.blocked_because
    with pytest.raises(SubmissionNotAllowed):
        hand_in(db, ready_learner, capstone_course)


def test_two_trainers_never_grade_the_same_work(db, make_user, capstone_course, ready_learner,
                                                trainer):
    other = make_user("trainer", name="Otto Other")
    db.session.add(CourseMaintainer(course_id=capstone_course.id, user_id=other.id))
    submission = hand_in(db, ready_learner, capstone_course)
    grading.claim(db.session, trainer, submission.id, LATER)
    db.session.commit()
    with pytest.raises(GradingConflict, match="Tess Trainer is grading"):
        grading.claim(db.session, other, submission.id, LATER + timedelta(minutes=5))
    with pytest.raises(GradingConflict):
        grading.grade(db.session, other, submission.id, PASSING, COMMENTS, "", LATER)
    db.session.rollback()
    # a claim left for longer than the lease is free again
    grading.claim(db.session, other, submission.id, LATER + grading.CLAIM_TTL)
    db.session.commit()
    queue = grading.queue(db.session, trainer, LATER + grading.CLAIM_TTL)
    assert [row.grader.name for row in queue] == ["Otto Other"]


def test_a_score_needs_a_level_and_a_comment_for_every_criterion(db, capstone_course,
                                                                 ready_learner, trainer):
    submission = hand_in(db, ready_learner, capstone_course)
    grading.claim(db.session, trainer, submission.id, LATER)
    with pytest.raises(InvalidScores) as refused:
        grading.grade(db.session, trainer, submission.id, {"objectives": 2, "note": 2},
                      {"objectives": "x", "key-results": " ", "note": "y"}, "", LATER)
    assert str(refused.value) == ("Choose a level for “Objectives point the way”. Choose a "
                                  "level for “Key results measure outcomes”. Write a comment "
                                  "for “Key results measure outcomes”.")


def test_only_the_courses_trainers_and_admins_see_the_work(db, make_user, capstone_course,
                                                           ready_learner, trainer):
    submission = hand_in(db, ready_learner, capstone_course, files=[check_file("a.pdf", PDF)])
    outsider, admin = make_user("trainer"), make_user("admin")
    with pytest.raises(CapstoneNotFound):
        grading.submission_for_grader(db.session, outsider, submission.id)
    with pytest.raises(CapstoneNotFound):
        grading.grader_file(db.session, outsider, submission.files[0].id)
    assert grading.queue(db.session, outsider, LATER) == []
    assert [row.submission.id for row in grading.queue(db.session, admin, LATER)] == [submission.id]
    with pytest.raises(CapstoneNotFound):
        submissions.learner_file(db.session, make_user(), submission.files[0].id)


def test_the_queue_lists_oldest_first_and_filters(db, make_user, capstone_course, trainer):
    from tests.factories import ready_for_exam
    learners = [make_user(name=f"Learner {n}") for n in range(3)]
    for n, learner in enumerate(learners):
        ready_for_exam(db, learner, capstone_course)
        hand_in(db, learner, capstone_course, now=LATER - timedelta(minutes=n))
    names = [row.submission.user.name for row in grading.queue(db.session, trainer, LATER)]
    assert names == ["Learner 2", "Learner 1", "Learner 0"]
    score(db, trainer, grading.queue(db.session, trainer, LATER)[0].submission, PASSING)
    assert len(grading.queue(db.session, trainer, LATER, state="graded")) == 1
    assert len(grading.queue(db.session, trainer, LATER, state="waiting")) == 2
    times = grading.grading_times(db.session, LATER)
    assert times.graded == 1 and times.waiting == 2 and times.by_trainer[0][0] == "Tess Trainer"


@pytest.mark.parametrize("text", ["", "   \n", "x" * (submissions.MAX_TEXT_CHARS + 1)],
                         ids=["empty", "blank", "too-long"])
def test_the_text_is_required_and_bounded(db, capstone_course, ready_learner, text):
    with pytest.raises(InvalidSubmission):
        hand_in(db, ready_learner, capstone_course, text=text)
    assert db.session.scalar(select(CapstoneSubmission.id)) is None


def test_a_course_without_a_capstone_has_no_capstone_page(db, make_user):
    from tests.factories import import_example_course
    course = import_example_course(db)
    with pytest.raises(CapstoneNotFound):
        submissions.overview(db.session, make_user(), course)


def test_trainers_hear_of_work_and_the_learner_of_the_score(app, db, capstone_course,
                                                            ready_learner, trainer):
    submission = hand_in(db, ready_learner, capstone_course)
    [to_trainer] = sent_mails(app, trainer.email)
    assert to_trainer["Subject"] == "Capstone work to score: Robin Ready, Team OKRs in Practice"
    assert f"/studio/grading/{submission.id}" in text_of(to_trainer)
    score(db, trainer, submission, BELOW_MINIMUM)
    [to_learner] = sent_mails(app, ready_learner.email)[-1:]
    assert to_learner["Subject"] == "Your capstone for Team OKRs in Practice was scored"
    assert "7 of 10 points" in text_of(to_learner) and "hand in once more" in text_of(to_learner)
