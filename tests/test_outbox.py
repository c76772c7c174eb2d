"""The outbox's rules: one notification per cause, nothing for a rolled-back change, one sender
at a time, retries that back off and end, and a sweep that finds lost work."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.jobs import job_queue
from app.models import Notification
from app.models.notifications import FAILED, PENDING, SENDING, SENT, SKIPPED
from app.notifications import outbox
from tests.mailbox import sent_mails

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
POLICY = outbox.RetryPolicy(max_attempts=3, first_delay_seconds=10, max_delay_seconds=60,
                            lease_seconds=30)


def _queue(db, key="cause:1", **kwargs):
    values = dict(kind="test", to="someone@example.com", key=key, now=NOW) | kwargs
    return outbox.queue(db.session, **values)


def test_a_cause_writes_one_notification_however_often_it_is_announced(db):
    first = _queue(db)
    again = _queue(db)
    db.session.commit()
    assert first is not None and again is None
    assert db.session.scalars(select(Notification)).all()[0].id == first


def test_a_rolled_back_change_sends_nothing(app, db):
    _queue(db)
    db.session.rollback()
    assert db.session.scalars(select(Notification)).all() == []
    assert job_queue(app).huey.pending_count() == 0
    assert sent_mails(app) == []


def test_a_committed_notification_is_enqueued_after_the_commit_and_delivered_once(app, db):
    notification_id = _queue(db)
    assert job_queue(app).huey.pending_count() == 0  # not before the commit
    db.session.commit()
    assert job_queue(app).huey.pending_count() == 1
    assert [m["To"] for m in sent_mails(app)] == ["someone@example.com"]
    assert db.session.get(Notification, notification_id).status == SENT
    # the sweep and a stray second job find it sent: still one mail
    job_queue(app).enqueue(outbox.DELIVER_JOB, notification_id=notification_id)
    assert len(sent_mails(app)) == 1


def test_an_optional_mail_the_user_turned_off_is_not_written(db, make_user):
    user = make_user()
    user.mail_reminders = False
    assert _queue(db, user=user, category="reminders") is None
    assert _queue(db, key="cause:2", user=user) is not None  # essential mails always go


def test_only_one_job_holds_a_notification_until_its_lease_runs_out(db):
    notification_id = _queue(db)
    db.session.commit()
    assert outbox.claim(db.session, notification_id, NOW, POLICY)
    assert not outbox.claim(db.session, notification_id, NOW + timedelta(seconds=29), POLICY)
    assert outbox.due(db.session, NOW + timedelta(seconds=29)) == []
    # the holder died: after the lease, the sweep finds it and another job may take it
    later = NOW + timedelta(seconds=31)
    assert outbox.due(db.session, later) == [notification_id]
    assert outbox.claim(db.session, notification_id, later, POLICY)
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    assert (notification.status, notification.attempts) == (SENDING, 2)


def test_failed_attempts_back_off_then_give_up_and_can_be_retried(db):
    notification_id = _queue(db)
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    moment, delays = NOW, []
    for _ in range(POLICY.max_attempts):
        assert outbox.claim(db.session, notification_id, moment, POLICY)
        db.session.refresh(notification)
        delay = outbox.mark_failed_attempt(db.session, notification, "421 busy", moment, POLICY)
        delays.append(delay)
        if delay is not None:
            assert not outbox.claim(db.session, notification_id, moment, POLICY)  # not yet due
            moment += timedelta(seconds=delay)
    assert delays == [10, 20, None]
    assert notification.status == FAILED and notification.last_error == "421 busy"
    assert outbox.due(db.session, moment + timedelta(days=1)) == []  # the sweep leaves it
    assert outbox.retry(db.session, [notification_id], moment) == 1
    assert (notification.status, notification.attempts) == (PENDING, 0)


def test_a_permanent_refusal_fails_at_once(db):
    notification_id = _queue(db)
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    outbox.claim(db.session, notification_id, NOW, POLICY)
    db.session.refresh(notification)
    assert outbox.mark_failed_attempt(db.session, notification, "550 no such user", NOW, POLICY,
                                      permanent=True) is None
    assert notification.status == FAILED


def test_a_mail_whose_cause_is_gone_is_skipped_not_sent(app, db):
    notification_id = _queue(db, kind="certificate_issued", context={"certificate_id": 999})
    db.session.commit()
    assert sent_mails(app) == []
    assert db.session.get(Notification, notification_id).status == SKIPPED


def test_a_fault_in_writing_a_mail_is_retried_later_not_lost(app, db):
    notification_id = _queue(db, kind="no-such-kind")
    db.session.commit()
    job_queue(app).run_pending()
    notification = db.session.get(Notification, notification_id)
    assert notification.status == PENDING and notification.attempts == 1
    assert "no mail kind" in notification.last_error
    assert notification.next_attempt_at > notification.created_at


@given(first=st.floats(0.1, 600), ceiling=st.floats(1, 86_400),
       attempts=st.integers(1, 60))
def test_the_delay_doubles_and_never_passes_its_ceiling(first, ceiling, attempts):
    policy = outbox.RetryPolicy(first_delay_seconds=first, max_delay_seconds=ceiling)
    delay = policy.delay_after(attempts)
    assert 0 < delay <= max(ceiling, 0)
    assert policy.delay_after(attempts + 1) >= delay
    if first * 2 ** attempts <= ceiling:
        assert policy.delay_after(attempts + 1) == 2 * delay


def test_retrying_from_the_command_line(app, db, runner):
    notification_id = _queue(db)
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    notification.status, notification.attempts = FAILED, 8
    db.session.commit()
    job_queue(app).huey.flush()
    result = runner.invoke(args=["jobs", "retry-failed"])
    assert result.exit_code == 0 and "1 failed notification(s) queued again" in result.output
    assert len(sent_mails(app)) == 1
    status = runner.invoke(args=["jobs", "status"])
    assert "notifications sent: 1" in status.output and "jobs queued: 0" in status.output


def test_an_optional_mail_turned_off_after_it_was_written_is_skipped(app, db, make_user):
    user = make_user()
    notification_id = _queue(db, user=user, to=user.email, category="reminders")
    user.mail_reminders = False
    db.session.commit()
    assert sent_mails(app) == []
    assert db.session.get(Notification, notification_id).status == SKIPPED
