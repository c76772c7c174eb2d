"""Mail over a real SMTP socket: what the learner receives, read as a mail client reads it.

The app sends to the aiosmtpd server of tests/smtp_server.py (AUTH required) through the
transactional outbox and its jobs, run in this process with `job_queue(app).run_pending()`.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from app.certificates import services as certificates
from app.clock import utcnow
from app.jobs import job_queue
from app.models.notifications import FAILED, PENDING, SENDING, SENT, SKIPPED, Notification
from app.models.quizzes import FINAL_EXAM_KEY
from app.notifications import outbox
from app.notifications.tasks import REMINDER_HORIZON_DAYS
from tests.conftest import log_in
from tests.factories import import_example_course, meet_rule, take_quiz
from tests.mailbox import html_of, links_in, path_of, sent_mails, text_of

SITE = "http://localhost"
INTERNAL_NOTE = "Internal: exam taken by a colleague, see ticket 4471"


@pytest.fixture
def mail_app(app, smtp_server):
    app.config["MAIL_URL"] = smtp_server.url
    return app


@pytest.fixture
def holder(db, make_user):
    course = import_example_course(db)
    return make_user(name="Robin Holder", email="robin@example.com"), course


def certify(db, user, course):
    meet_rule(db, user, course)
    return certificates.live_certificate(db.session, user, course)


@pytest.fixture
def clock(monkeypatch):
    """The jobs' clock, moved by the tests that play out months: a notification is due at the
    moment of its cause, so the job that delivers it must run at that moment or later."""
    class Clock:
        now = utcnow()
    monkeypatch.setattr("app.notifications.tasks.utcnow", lambda: Clock.now)
    return Clock


def run_jobs(app) -> int:
    """Run the jobs queued now and the retries whose delay has passed (the consumer's work)."""
    huey = job_queue(app).huey
    for task in huey.read_schedule():
        huey.enqueue(task)
    return job_queue(app).run_pending()


def notifications(db, kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def test_an_issued_certificate_arrives_once_and_reads_as_a_mail_client_shows_it(
        mail_app, db, client, smtp_server, holder):
    user, course = holder
    certificate = certify(db, user, course)
    run_jobs(mail_app)
    [received] = smtp_server.received
    assert received.rcpt_tos == (user.email,) and received.mail_from == "no-reply@okr.academy"
    assert received.login == "mailer"
    message = received.message
    [notification] = notifications(db)
    assert (notification.status, notification.attempts) == (SENT, 1)
    assert message["Subject"] == f"Congratulations: you are certified in {course.title}"
    assert message["From"] == "OKR Academy <no-reply@okr.academy>"
    assert message["To"] == user.email
    assert re.fullmatch(rf"<\d{{8}}T\d{{6}}Z\.{notification.id}\.[0-9a-f]{{12}}@okr\.academy>",
                        message["Message-ID"])
    assert parsedate_to_datetime(message["Date"]) == notification.created_at.replace(
        microsecond=0)
    assert message["List-Unsubscribe"] is None, "an essential mail offers no unsubscribe"
    text, html = text_of(message), html_of(message)
    for part in (text, html):
        assert "Robin Holder" in part and certificate.code in part and course.title in part
    verify_url = f"{SITE}/verify/{certificate.code}"
    certificate_url = f"{SITE}/certificates/{certificate.code}"
    links = [link for link in links_in(message) if link.startswith(SITE)]
    assert verify_url in links and certificate_url in links
    assert f'href="{verify_url}"' in html and f'href="{certificate_url}"' in html
    log_in(client, user)
    for link in links:
        assert client.get(path_of(link) or "/").status_code == 200, link
    [pdf] = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"{certificate.code}.pdf"
    assert pdf.get_content() == certificate.pdf
    assert run_jobs(mail_app) == 0 and len(smtp_server.received) == 1


def test_a_revocation_mail_states_the_public_reason_and_never_the_internal_note(
        mail_app, db, smtp_server, holder, make_user):
    user, course = holder
    certificate = certify(db, user, course)
    run_jobs(mail_app)
    certificates.revoke(db.session, make_user("admin"), certificate.code, INTERNAL_NOTE,
                        utcnow(), public_reason="requirements_not_met")
    db.session.commit()
    run_jobs(mail_app)
    [issued, revoked] = smtp_server.received
    message = revoked.message
    assert message["Subject"] == f"Your certificate for {course.title} has been revoked"
    assert message["To"] == user.email and message["List-Unsubscribe"] is None
    for part in (text_of(message), html_of(message)):
        assert "The certification requirements were not met." in part
        assert "ticket 4471" not in part and "colleague" not in part
    assert b"4471" not in revoked.raw


# --- expiry reminders: 90, 30 and 7 days before, once each ------------------------------------

def announce(db, app, clock, certificate, days_before: int) -> None:
    """The daily reminder job, run `days_before` days before the certificate expires, and the
    deliveries it queued."""
    clock.now = certificate.expires_at - timedelta(days=days_before)
    certificates.announce_expiring(db.session, clock.now, REMINDER_HORIZON_DAYS)
    db.session.commit()
    run_jobs(app)


def reminders(server) -> list:
    return [message for message in server.messages if "expires in" in message["Subject"]]


def test_expiry_reminders_arrive_once_at_each_step(mail_app, db, smtp_server, holder, clock):
    user, course = holder
    certificate = certify(db, user, course)
    run_jobs(mail_app)
    days_left_seen = []
    for days_before in (95, 85, 84, 60, 29, 28, 6, 5, 1):
        announce(db, mail_app, clock, certificate, days_before)
        days_left_seen.append(len(reminders(smtp_server)))
    assert days_left_seen == [0, 1, 1, 1, 2, 2, 3, 3, 3]
    subjects = [message["Subject"] for message in reminders(smtp_server)]
    assert subjects == [f"Your {course.title} certificate expires in {days} days"
                        for days in (85, 29, 6)]
    for message in reminders(smtp_server):
        unsubscribe = message["List-Unsubscribe"]
        assert re.fullmatch(rf"<{SITE}/mail/unsubscribe/[\w.-]+>", unsubscribe)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.strip("<>") in text_of(message)


def test_a_renewed_certificate_gets_no_reminder(mail_app, db, smtp_server, holder, clock):
    user, course = holder
    first = certify(db, user, course)
    run_jobs(mail_app)
    clock.now = first.expires_at - timedelta(days=85)
    certificates.announce_expiring(db.session, clock.now, REMINDER_HORIZON_DAYS)
    db.session.commit()  # the reminder is queued; the learner renews before it goes out
    clock.now = first.expires_at - timedelta(days=80)  # in the renewal window
    assert clock.now > certificates.renewal_opens_at(first)
    take_quiz(db, user, course, FINAL_EXAM_KEY, clock.now)
    run_jobs(mail_app)
    for days_before in (29, 6):
        announce(db, mail_app, clock, first, days_before)
    assert reminders(smtp_server) == []
    assert [m["Subject"].split(":")[0] for m in smtp_server.messages] == ["Congratulations"] * 2
    [reminder] = notifications(db, "certificate_expiring")
    assert reminder.status == SKIPPED


def test_a_learner_who_turned_reminders_off_gets_none(mail_app, db, smtp_server, holder, clock):
    user, course = holder
    certificate = certify(db, user, course)
    user.mail_reminders = False
    db.session.commit()
    for days_before in (85, 29, 6):
        announce(db, mail_app, clock, certificate, days_before)
    assert reminders(smtp_server) == [] and notifications(db, "certificate_expiring") == []
    assert len(smtp_server.received) == 1, "the essential mail still goes"


def test_one_click_unsubscribe_from_the_mail_client_turns_reminders_off(
        mail_app, db, client, smtp_server, holder, clock):
    user, course = holder
    certificate = certify(db, user, course)
    announce(db, mail_app, clock, certificate, 85)
    [reminder] = reminders(smtp_server)
    path = path_of(reminder["List-Unsubscribe"].strip("<>"))
    assert client.get(path).status_code == 200  # a link scanner that opens it changes nothing
    db.session.refresh(user)
    assert user.mail_reminders is True
    # RFC 8058: the mail client posts this body, with no cookie and no CSRF token
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.mail_reminders is False
    announce(db, mail_app, clock, certificate, 29)
    assert len(reminders(smtp_server)) == 1
    assert client.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}
                       ).status_code == 404


# --- the outbox: a rolled-back cause, refusals, outages, the commands ---------------------

def test_a_rolled_back_change_sends_nothing(mail_app, db, smtp_server, holder, make_user):
    user, course = holder
    certificate = certify(db, user, course)
    run_jobs(mail_app)
    certificates.revoke(db.session, None, certificate.code, INTERNAL_NOTE, utcnow())
    assert db.session.scalar(select(func.count(Notification.id))) == 2  # written, not committed
    db.session.rollback()
    make_user()  # another transaction commits: it must not carry the rolled-back delivery
    assert [n.kind for n in notifications(db)] == ["certificate_issued"]
    assert run_jobs(mail_app) == 0
    assert len(smtp_server.received) == 1
    assert certificates.live_certificate(db.session, user, course).status == "active"


def test_a_refused_recipient_fails_at_once(mail_app, db, smtp_server, holder):
    user, course = holder
    smtp_server.refuse(user.email)
    certify(db, user, course)
    run_jobs(mail_app)
    [notification] = notifications(db)
    assert (notification.status, notification.attempts) == (FAILED, 1)
    assert "550" in notification.last_error and notification.next_attempt_at is None
    assert smtp_server.received == [] and job_queue(mail_app).huey.scheduled_count() == 0


def wait_for_attempt(db, app, notification_id: int, attempt: int):
    """Run the jobs until attempt number `attempt` is over: the notification, and the moments
    just before and after the run of jobs that made the attempt."""
    deadline = time.monotonic() + 10
    while True:
        before = utcnow()
        run_jobs(app)
        after = utcnow()
        [notification] = [n for n in notifications(db) if n.id == notification_id]
        if notification.attempts >= attempt and notification.status != SENDING:
            return notification, before, after
        assert time.monotonic() < deadline, f"attempt {attempt} did not happen"
        time.sleep(0.01)


@pytest.mark.parametrize("outage", ["451 at DATA", "connection refused"])
def test_a_passing_failure_is_retried_with_growing_delays_then_given_up_then_retried_by_hand(
        outage, mail_app, db, smtp_server, runner, make_user):
    mail_app.config.update(MAIL_RETRY_SECONDS=0.2, MAIL_MAX_ATTEMPTS=4)
    if outage == "451 at DATA":
        smtp_server.data_reply = "451 4.3.0 Try again later"
    else:
        smtp_server.stop()
    user = make_user()
    notification_id = outbox.queue(db.session, kind="test", to=user.email, key="outage",
                                   now=utcnow(), user=user)
    db.session.commit()
    for attempt, delay in ((1, 0.2), (2, 0.4), (3, 0.8)):  # doubling
        notification, before, after = wait_for_attempt(db, mail_app, notification_id, attempt)
        assert (notification.status, notification.attempts) == (PENDING, attempt)
        failed_at = notification.next_attempt_at - timedelta(seconds=delay)
        assert before <= failed_at <= after, (attempt, before, failed_at, after)
        assert ("451" if outage == "451 at DATA" else "ConnectionRefused") in \
            notification.last_error
    notification, _, _ = wait_for_attempt(db, mail_app, notification_id, 4)
    assert (notification.status, notification.attempts) == (FAILED, 4)
    assert notification.next_attempt_at is None and smtp_server.received == []
    assert job_queue(mail_app).huey.scheduled_count() == 0

    smtp_server.data_reply = None
    smtp_server.start()
    result = runner.invoke(args=["jobs", "retry-failed"])
    assert result.exit_code == 0 and "1 failed notification(s) queued again" in result.output
    run_jobs(mail_app)
    [message] = smtp_server.messages
    assert message["To"] == user.email
    [notification] = notifications(db)
    assert (notification.status, notification.attempts) == (SENT, 1)
    assert run_jobs(mail_app) == 0 and len(smtp_server.received) == 1


def test_flask_mail_test_delivers_and_jobs_status_counts(mail_app, db, smtp_server, runner):
    result = runner.invoke(args=["mail", "test", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "Sent to ops@example.com" in result.output
    [message] = smtp_server.messages
    assert message["Subject"] == "Test mail from OKR Academy"
    assert "ops@example.com" in text_of(message)

    smtp_server.refuse("nobody@example.com")
    refused = runner.invoke(args=["mail", "test", "nobody@example.com"])
    assert refused.exit_code != 0
    assert re.search(r"Not sent \(failed\): recipient refused: .*550", refused.output)

    status = runner.invoke(args=["jobs", "status"]).output
    # each commit also queued a delivery job: it finds its notification done and sends nothing
    for line in ("jobs queued: 2", "jobs scheduled: 0", "notifications sent: 1",
                 "notifications failed: 1", "notifications pending: 0"):
        assert line in status
    assert re.search(r"failed #\d+ test to nobody@example.com: recipient refused: .*550", status)
    assert run_jobs(mail_app) == 2 and len(smtp_server.received) == 1
    assert "jobs queued: 0" in runner.invoke(args=["jobs", "status"]).output


def test_the_development_folder_keeps_one_file_per_notification(app, db, holder, runner):
    user, course = holder
    certify(db, user, course)
    [first] = sent_mails(app)
    [notification] = notifications(db)
    # the consumer died after writing the file and before recording it: the lease runs out
    notification.status, notification.claimed_until = SENDING, utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "1 notification(s) queued" in runner.invoke(args=["jobs", "sweep"]).output
    [again] = sent_mails(app)
    assert again["Message-ID"] == first["Message-ID"]
    [notification] = notifications(db)
    assert (notification.status, notification.attempts) == (SENT, 2)
