"""A revoked or suspended certificate cannot be replaced by a new one behind the admin's back.

Before: a learner who opened a final-exam attempt in the renewal window, before an admin revoked
their certificate, submitted it afterwards and received a new, unlinked, valid certificate.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.certificates import services as certificates
from app.models import AuditEvent, Certificate
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quizzes
from tests.factories import QUIZ_TIME, import_example_course, meet_rule, snapshot_answers
from tests.factories import take_quiz as take


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def holder(db, make_user, course):
    user = make_user()
    meet_rule(db, user, course)
    return user


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def renewal_day(db, user, course):
    first = certificates.live_certificate(db.session, user, course)
    return first, certificates.renewal_opens_at(first) + timedelta(days=1)


def open_exam(db, user, course, when):
    attempt = quizzes.start_attempt(db.session, user, course, FINAL_EXAM_KEY, when)
    db.session.commit()
    return attempt


def submit(db, user, attempt, when):
    outcome = quizzes.submit_attempt(db.session, user, attempt.id,
                                     snapshot_answers(attempt.snapshot), when)
    db.session.commit()
    return outcome


def certificate_count(db) -> int:
    return db.session.scalar(select(func.count(Certificate.id)))


def test_an_exam_opened_before_a_revocation_earns_nothing(db, holder, course, admin):
    first, when = renewal_day(db, holder, course)
    attempt = open_exam(db, holder, course, when)
    certificates.revoke(db.session, admin, first.code, "Exam taken by someone else", when)
    db.session.commit()
    outcome = submit(db, holder, attempt, when + timedelta(minutes=5))
    assert outcome.attempt.passed and outcome.certificate is None
    assert certificate_count(db) == 1
    assert certificates.live_certificate(db.session, holder, course) is None


def test_an_exam_opened_before_a_suspension_earns_nothing(db, holder, course, admin):
    first, when = renewal_day(db, holder, course)
    attempt = open_exam(db, holder, course, when)
    certificates.suspend(db.session, admin, first.code, "Under review", when)
    db.session.commit()
    outcome = submit(db, holder, attempt, when + timedelta(minutes=5))
    assert outcome.certificate is None and certificate_count(db) == 1
    assert certificates.live_certificate(db.session, holder, course).status == "suspended"


def test_the_command_line_and_the_claim_page_refuse_too(db, holder, course, admin, runner,
                                                        app, browser, login_as):
    first = certificates.live_certificate(db.session, holder, course)
    certificates.revoke(db.session, admin, first.code, "Fraud", QUIZ_TIME)
    db.session.commit()
    result = runner.invoke(args=["certificates", "issue", holder.email, course.slug])
    assert result.exit_code != 0 and "allows recertification" in result.output
    assert certificates.claimable_courses(db.session, holder) == []
    login_as(holder)
    response = browser.post(f"/certificates/claim/{course.slug}", token_from="/certificates")
    assert response.status_code == 404
    with pytest.raises(certificates.NotEligible, match="was revoked"):
        certificates.issue_certificate(db.session, holder, course, QUIZ_TIME,
                                       issuer=_issuer(app))
    assert certificate_count(db) == 1


def test_allowing_recertification_is_audited_and_needs_a_new_pass(db, holder, course, admin, app):
    first = certificates.live_certificate(db.session, holder, course)
    later = QUIZ_TIME + timedelta(days=30)
    certificates.revoke(db.session, admin, first.code, "Fraud", later)
    with pytest.raises(quizzes.AttemptNotAllowed):
        quizzes.start_attempt(db.session, holder, course, FINAL_EXAM_KEY, later)
    certificates.allow_recertification(db.session, admin, first.code, "Retake approved", later)
    db.session.commit()
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "certificate.allow_recertification"))
    assert audit.actor_id == admin.id and audit.details["reason"] == "Retake approved"
    with pytest.raises(certificates.NotEligible, match="Pass the final exam again"):
        certificates.issue_certificate(db.session, holder, course, later, issuer=_issuer(app))
    take(db, holder, course, FINAL_EXAM_KEY, later + timedelta(hours=1))
    new = certificates.live_certificate(db.session, holder, course)
    assert new is not None and new.id != first.id and new.status == "active"
    db.session.refresh(first)
    assert first.status == "revoked"


@pytest.mark.parametrize("prepare, sentence", [
    (lambda db, code, admin, when: None, "is not revoked"),
    (lambda db, code, admin, when: (
        certificates.revoke(db.session, admin, code, "Fraud", when),
        certificates.allow_recertification(db.session, admin, code, "Once", when)),
     "already allowed"),
])
def test_allowing_recertification_is_refused_where_it_makes_no_sense(db, holder, course, admin,
                                                                     prepare, sentence):
    code = certificates.live_certificate(db.session, holder, course).code
    prepare(db, code, admin, QUIZ_TIME)
    with pytest.raises(certificates.StatusChangeRefused, match=sentence):
        certificates.allow_recertification(db.session, admin, code, "Again", QUIZ_TIME)
    with pytest.raises(certificates.StatusChangeRefused, match="Give a reason"):
        certificates.allow_recertification(db.session, admin, code, " ", QUIZ_TIME)


def _issuer(app):
    from app.certificates.extension import issuer_for

    return issuer_for(app)
