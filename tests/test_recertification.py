"""Recertification through the exam: it reopens in the renewal window and renews the certificate."""
from datetime import timedelta

import pytest

from app.certificates import services as certificates
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quizzes
from tests.factories import QUIZ_TIME as NOW
from tests.factories import import_example_course, meet_rule
from tests.factories import take_quiz as take


@pytest.fixture
def holder(db, make_user):
    course = import_example_course(db)
    user = make_user()
    meet_rule(db, user, course)
    return user, course


def test_a_passed_exam_stays_closed_before_the_renewal_window(db, holder):
    user, course = holder
    with pytest.raises(quizzes.AttemptNotAllowed, match="passed this quiz already"):
        quizzes.start_attempt(db.session, user, course, FINAL_EXAM_KEY, NOW + timedelta(days=1))


def test_the_exam_reopens_in_the_renewal_window_and_renews(db, holder):
    user, course = holder
    first = certificates.live_certificate(db.session, user, course)
    assert first is not None and first.expires_at is not None
    renewal_day = certificates.renewal_opens_at(first) + timedelta(days=1)
    take(db, user, course, FINAL_EXAM_KEY, renewal_day)
    renewed = certificates.live_certificate(db.session, user, course)
    db.session.refresh(first)
    assert renewed.id != first.id and renewed.previous_id == first.id
    assert first.status == "superseded"
    with pytest.raises(quizzes.AttemptNotAllowed):
        quizzes.start_attempt(db.session, user, course, FINAL_EXAM_KEY,
                              renewal_day + timedelta(days=1))
