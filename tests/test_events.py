"""Domain events: each is sent once, at the documented moment, with the documented arguments,
and what its receivers write commits or rolls back with the change that caused it."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import events
from app.auth import services as accounts
from app.certificates import services as certificates
from app.models import AuditEvent, Certificate
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import services as quiz_services
from tests.factories import (
    QUIZ_TIME, import_example_course, meet_rule, ready_for_exam, snapshot_answers, take_quiz,
)

LATER = QUIZ_TIME + timedelta(days=1)


@contextmanager
def heard(signal):
    """Every call of `signal` while the block runs, as the keyword arguments it carried."""
    calls: list[dict] = []

    def listen(sender, **kwargs):
        assert sender is None
        calls.append(kwargs)

    with signal.connected_to(listen):
        yield calls


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def certified(db, make_user, course):
    user = make_user(name="Grace Hopper")
    meet_rule(db, user, course)
    return user


def test_every_signal_is_documented_with_its_arguments():
    listing = events.__doc__.split("The signals and their arguments")[1]
    documented = {name for line in re.findall(r"^``.*$", listing, re.MULTILINE)
                  for name in re.findall(r"``([a-z_]+)``", line)}
    declared = {name for name in dir(events) if getattr(events, name) in events.ALL}
    assert declared == documented and len(events.ALL) == 16


def test_passing_the_exam_issues_the_certificate_and_announces_it(db, make_user, course):
    user = make_user()
    with heard(events.final_exam_passed) as passed, heard(events.certificate_issued) as issued:
        meet_rule(db, user, course)
    certificate = certificates.live_certificate(db.session, user, course)
    assert [c["attempt"].quiz_key for c in passed] == [FINAL_EXAM_KEY]
    assert [(c["certificate"].id, c["previous"], c["actor"]) for c in issued] == \
        [(certificate.id, None, None)]
    assert issued[0]["session"] is db.session and issued[0]["now"] == QUIZ_TIME


def test_a_rolled_back_exam_leaves_no_certificate(db, make_user, course):
    user = make_user()
    meet_rule(db, user, course)  # the first certificate; then the same steps for a second learner
    other = make_user()
    ready_for_exam(db, other, course)
    attempt = quiz_services.start_attempt(db.session, other, course, FINAL_EXAM_KEY, QUIZ_TIME)
    db.session.commit()
    with heard(events.certificate_issued) as issued:
        outcome = quiz_services.submit_attempt(db.session, other, attempt.id,
                                               snapshot_answers(attempt.snapshot), QUIZ_TIME)
        assert len(issued) == 1 and outcome.certificate is not None
        db.session.rollback()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert certificates.live_certificate(db.session, other, course) is None


def test_renewal_names_the_certificate_it_renews(db, certified, course):
    old = certificates.live_certificate(db.session, certified, course)
    later = old.expires_at - timedelta(days=10)
    with heard(events.certificate_issued) as issued:
        take_quiz(db, certified, course, FINAL_EXAM_KEY, later)
    new = certificates.live_certificate(db.session, certified, course)
    assert new.previous_id == old.id
    assert [(c["certificate"].id, c["previous"].id) for c in issued] == [(new.id, old.id)]


@pytest.mark.parametrize("change, signal", [
    (lambda db, code: certificates.revoke(db.session, None, code, "Fraud", LATER),
     "certificate_revoked"),
    (lambda db, code: certificates.suspend(db.session, None, code, "Review", LATER),
     "certificate_suspended"),
])
def test_status_changes_are_announced(db, certified, course, change, signal):
    code = certificates.live_certificate(db.session, certified, course).code
    with heard(getattr(events, signal)) as calls:
        change(db, code)
    assert [(c["certificate"].code, c["reason"], c["actor"], c["now"]) for c in calls] == \
        [(code, calls[0]["reason"], None, LATER)]
    assert calls[0]["reason"] in ("Fraud", "Review")


def test_lifting_a_suspension_is_announced_as_reinstated(db, certified, course, make_user):
    admin = make_user("admin")
    code = certificates.live_certificate(db.session, certified, course).code
    certificates.suspend(db.session, admin, code, "Review", LATER)
    with heard(events.certificate_reinstated) as calls, \
            heard(events.certificate_revoked) as revoked:
        certificates.unsuspend(db.session, admin, code, LATER, "Cleared")
    assert [(c["certificate"].code, c["actor"].id) for c in calls] == [(code, admin.id)]
    assert revoked == []


def test_a_refused_change_announces_nothing(db, certified, course):
    code = certificates.live_certificate(db.session, certified, course).code
    certificates.revoke(db.session, None, code, "Fraud", LATER)
    with heard(events.certificate_revoked) as calls:
        with pytest.raises(certificates.StatusChangeRefused):
            certificates.revoke(db.session, None, code, "Again", LATER)
    assert calls == []


def test_what_a_receiver_writes_rolls_back_with_the_change(db, certified, course):
    code = certificates.live_certificate(db.session, certified, course).code

    def note(_sender, *, session, certificate, **_):
        session.add(AuditEvent(action="test.note", target_type="certificate",
                               target_id=certificate.code, summary="noted"))

    with events.certificate_revoked.connected_to(note):
        certificates.revoke(db.session, None, code, "Fraud", LATER)
        db.session.flush()
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "test.note"))
        db.session.rollback()
    assert not db.session.scalar(select(func.count()).where(AuditEvent.action == "test.note"))
    assert certificates.get_certificate(db.session, code).status == certificates.ACTIVE


def test_expiring_certificates_are_announced_by_the_command(db, certified, course, runner):
    certificate = certificates.live_certificate(db.session, certified, course)
    now = datetime.now(UTC)
    days = (certificate.expires_at - now).days + 1
    with heard(events.certificate_expiring) as calls:
        result = runner.invoke(args=["certificates", "expiring", "--days", str(days)])
    assert result.exit_code == 0, result.output
    assert [c["certificate"].code for c in calls] == [certificate.code]
    assert calls[0]["days_left"] == days - 1
    with heard(events.certificate_expiring) as calls:
        runner.invoke(args=["certificates", "expiring", "--days", str(days - 2)])
    assert calls == []


def test_an_import_announces_the_published_version(db):
    with heard(events.course_published) as calls:
        course = import_example_course(db)
    assert [(c["course"].id, c["version"].id, c["actor"]) for c in calls] == \
        [(course.id, course.current_version_id, None)]
    with heard(events.course_published) as again:
        import_example_course(db)  # unchanged content: no new version
    assert again == []


def test_account_events(db, make_user, app):
    with heard(events.user_registered) as registered:
        user = make_user(password="Correct-Horse-42")
    assert [c["user"].id for c in registered] == [user.id]
    policy = accounts.PasswordPolicy.from_config(app.config)
    with heard(events.password_changed) as changed:
        accounts.change_password(db.session, user, "Correct-Horse-42", "Another-Horse-43",
                                 policy, LATER)
    assert [(c["user"].id, c["now"]) for c in changed] == [(user.id, LATER)]
    admin = make_user("admin")
    with heard(events.user_deactivated) as deactivated:
        accounts.set_active(db.session, admin, user, False, LATER)
        accounts.set_active(db.session, admin, user, True, LATER)
    assert [(c["user"].id, c["actor"].id) for c in deactivated] == [(user.id, admin.id)]


def test_a_studio_publish_announces_the_studio_version_of_a_published_course(db, make_user):
    from app.authoring import services as studio

    trainer = make_user("trainer")
    draft = studio.create_course(db.session, trainer, slug="fresh-course", title="Fresh course",
                                 summary="", now=QUIZ_TIME)
    db.session.commit()
    with heard(events.course_published) as calls:
        studio.publish_draft(db.session, trainer, draft, draft.revision)
    assert [(c["version"].source, c["course"].status, c["actor"].id) for c in calls] == \
        [("studio", "published", trainer.id)]
