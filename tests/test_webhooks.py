"""Signed webhooks, delivered for real: the events of an organisation's people reach a receiving
HTTP server on 127.0.0.1 (tests/webhook_support.py), which verifies every request with the
reference Standard Webhooks library. Deliveries go through the outbox and its jobs, run in this
process; the jobs' clock is moved to play out retries, a receiver that is down, and a day of
failures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.capstones import grading, submissions
from app.certificates import services as certificates
from app.clock import utcnow
from app.jobs import job_queue
from app.models import AuditEvent, WebhookDelivery
from app.models.quizzes import FINAL_EXAM_KEY
from app.models.webhooks import DELIVERED, EVENT_TYPES, FAILED, PENDING
from app.webhooks import outbox, services
from app.webhooks.outbox import MAX_ATTEMPTS, RETRY_DELAYS
from tests.capstone_fixtures import COMMENTS, PASSING, capstone_course, trainer  # noqa: F401
from tests.factories import QUIZ_TIME, import_example_course, meet_rule, ready_for_exam, take_quiz
from tests.mailbox import sent_mails, text_of
from tests.webhook_support import (  # noqa: F401  (receiver, receiver_server: fixtures)
    CHATTY, REDIRECT, SLOW, UNAVAILABLE, receiver, receiver_server,
)

INTERNAL_NOTE = "Internal: exam sat by a colleague, ticket 4471"


@pytest.fixture
def hook_app(app):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    return app


@pytest.fixture
def clock(monkeypatch):
    """The jobs' clock: a delivery falls due at the moment of its event and after each wait of
    the retry schedule, so the tests move it instead of waiting."""
    class Clock:
        now = utcnow()

        @classmethod
        def advance(cls, seconds: float) -> None:
            cls.now += timedelta(seconds=seconds)
    monkeypatch.setattr("app.webhooks.tasks.utcnow", lambda: Clock.now)
    monkeypatch.setattr("app.notifications.tasks.utcnow", lambda: Clock.now)  # the HR mail
    return Clock


@pytest.fixture
def people(db, make_org, make_user):
    org = make_org("Acme Corp")
    return org, make_user("hr", org=org, name="Harper Ross"), \
        make_user(org=org, name="Robin Holder", email="robin@acme.example")


def add_endpoint(db, receiver, org, actor, name="hris", events=EVENT_TYPES):
    endpoint = services.create_endpoint(db.session, actor, org, url=receiver.url(name),
                                        description="HR system", event_types=list(events),
                                        now=utcnow(), allow_loopback=True)
    db.session.commit()
    receiver.expect(name, endpoint.secret)
    return endpoint


def run_jobs(app) -> int:
    return job_queue(app).run_pending()


def sweep(app) -> int:
    """The periodic sweep at the jobs' clock, then the deliveries it enqueued."""
    job_queue(app).enqueue("webhooks.sweep")
    return run_jobs(app)


def deliveries(db) -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_every_event_reaches_the_receiver_signed_and_verified(hook_app, db, receiver, people,
                                                              make_user, clock):
    org, hr, learner = people
    add_endpoint(db, receiver, org, hr)
    course = import_example_course(db)
    meet_rule(db, learner, course)
    certificate = certificates.live_certificate(db.session, learner, course)
    admin, now = make_user("admin"), utcnow()
    certificates.suspend(db.session, admin, certificate.code, INTERNAL_NOTE, now,
                         public_reason="under_review")
    certificates.unsuspend(db.session, admin, certificate.code, now + timedelta(seconds=1))
    certificates.announce_expiring(db.session, certificate.expires_at - timedelta(days=20), 90)
    certificates.revoke(db.session, admin, certificate.code, INTERNAL_NOTE,
                        now + timedelta(seconds=2), public_reason="requirements_not_met")
    db.session.commit()
    clock.now = certificate.expires_at  # every event's moment has come
    run_jobs(hook_app)

    assert receiver.problems() == []
    got = {r.payload["type"]: r for r in receiver.delivered()}
    assert sorted(got) == sorted(EVENT_TYPES)
    assert len(receiver.delivered()) == len(EVENT_TYPES)
    issued = got["certificate.issued"].payload
    assert issued["data"]["certificate"]["code"] == certificate.code
    assert issued["data"]["certificate"]["verify_url"] == \
        f"http://localhost/verify/{certificate.code}"
    assert issued["data"]["holder"] == {"user_id": learner.id, "name": "Robin Holder",
                                        "email": "robin@acme.example"}
    assert issued["data"]["course"] == {"slug": course.slug, "title": course.title,
                                        "version": 1}
    assert issued["timestamp"].endswith("Z")
    assert got["certificate.suspended"].payload["data"]["reason"] == {
        "code": "under_review", "text": "Under review."}
    assert got["certificate.reinstated"].payload["data"]["certificate"]["status"] == "valid"
    revoked = got["certificate.revoked"]
    assert revoked.payload["data"]["reason"]["text"] == \
        "The certification requirements were not met."
    assert revoked.payload["data"]["certificate"]["status"] == "revoked"
    assert b"4471" not in revoked.body and b"colleague" not in revoked.body
    assert got["certificate.expiring"].payload["data"]["days_left"] == 20
    completed = got["learner.completed"].payload["data"]
    assert completed["learner"]["user_id"] == learner.id
    assert completed["course"]["slug"] == course.slug and completed["completed_by"] == "final_exam"
    for request in receiver.delivered():
        assert request.headers["content-type"] == "application/json"
        assert request.webhook_id.startswith("msg_")
    assert {d.status for d in deliveries(db)} == {DELIVERED}


def test_only_the_holders_organisation_hears_and_only_what_it_subscribed_to(
        hook_app, db, receiver, people, make_org, make_user):
    org, hr, learner = people
    add_endpoint(db, receiver, org, hr, "issued-only", events=["certificate.issued"])
    other = make_org("Other Corp")
    add_endpoint(db, receiver, other, make_user("hr", org=other), "other-org")
    course = import_example_course(db)
    meet_rule(db, learner, course)
    meet_rule(db, make_user(name="No Organisation"), course)
    certificates.announce_expiring(db.session, utcnow() + timedelta(days=800), 90)
    db.session.commit()
    run_jobs(hook_app)
    assert [(r.path, r.payload["type"]) for r in receiver.delivered()] == [
        ("/hooks/issued-only", "certificate.issued")]
    assert receiver.delivered()[0].payload["data"]["holder"]["user_id"] == learner.id


def test_an_event_announced_twice_or_rolled_back_is_delivered_once_or_not_at_all(
        hook_app, db, receiver, people):
    org, hr, learner = people
    endpoint = add_endpoint(db, receiver, org, hr)
    for _ in range(2):
        outbox.write_event(db.session, org.id, "certificate.issued", {"n": 1},
                           cause="certificate.issued:42", now=utcnow())
    db.session.commit()
    outbox.write_event(db.session, org.id, "certificate.issued", {"n": 2},
                       cause="certificate.issued:43", now=utcnow())
    db.session.rollback()
    run_jobs(hook_app)
    assert [r.payload["data"] for r in receiver.delivered()] == [{"n": 1}]
    assert [d.endpoint_id for d in deliveries(db)] == [endpoint.id]


def test_a_receiver_down_for_a_while_gets_every_event_once_it_is_back(
        hook_app, db, receiver, people, clock):
    org, hr, _ = people
    add_endpoint(db, receiver, org, hr)
    receiver.stop()
    for n in range(3):
        outbox.write_event(db.session, org.id, "certificate.issued", {"n": n},
                           cause=f"down:{n}", now=clock.now)
    db.session.commit()
    run_jobs(hook_app)
    written = deliveries(db)
    assert [(d.status, d.attempts) for d in written] == [(PENDING, 1)] * 3
    assert all("ConnectionRefused" in d.last_error for d in written)
    assert all(d.next_attempt_at == clock.now + timedelta(seconds=5) for d in written)
    assert deliveries(db)[0].endpoint.failing_since == clock.now

    receiver.start()
    receiver.mode = UNAVAILABLE
    clock.advance(4)
    assert sweep(hook_app) == 1  # only the sweep itself: nothing is due yet
    clock.advance(1)
    sweep(hook_app)
    assert [(d.attempts, d.last_status_code) for d in deliveries(db)] == [(2, 503)] * 3
    assert all(d.last_response == "down for maintenance" for d in deliveries(db))

    receiver.mode = "up"
    clock.advance(RETRY_DELAYS[1])
    sweep(hook_app)
    clock.advance(RETRY_DELAYS[2])
    sweep(hook_app)
    assert sorted(r.payload["data"]["n"] for r in receiver.delivered()) == [0, 1, 2]
    assert receiver.problems() == []
    by_id = {d.event_id: d for d in deliveries(db)}
    assert {d.status for d in by_id.values()} == {DELIVERED}
    # the 503 attempts and the delivery carried the same webhook-id
    assert sorted(r.webhook_id for r in receiver.requests) == sorted(list(by_id) * 2)
    assert deliveries(db)[0].endpoint.failing_since is None  # a success ends the failing


def test_an_endpoint_failing_for_a_day_is_turned_off_and_hr_is_mailed(
        hook_app, db, receiver, people, clock):
    org, hr, _ = people
    add_endpoint(db, receiver, org, hr)
    receiver.mode = UNAVAILABLE
    outbox.write_event(db.session, org.id, "certificate.issued", {"n": 0}, cause="day:0",
                       now=clock.now)
    db.session.commit()
    run_jobs(hook_app)
    for wait in RETRY_DELAYS[:5]:  # 5 s, 5 min, 30 min, 2 h, 5 h: 7.6 h of failures
        clock.advance(wait)
        sweep(hook_app)
    [delivery] = deliveries(db)
    assert delivery.attempts == 6 and delivery.endpoint.enabled
    assert sent_mails(hook_app, to=hr.email) == []
    clock.advance(RETRY_DELAYS[5])  # 10 h more: the endpoint fails for 17.6 h
    sweep(hook_app)
    assert deliveries(db)[0].endpoint.enabled
    clock.advance(RETRY_DELAYS[6])  # 27.6 h after the first failure
    sweep(hook_app)
    [delivery] = deliveries(db)
    endpoint = delivery.endpoint
    assert delivery.attempts == MAX_ATTEMPTS and delivery.status == FAILED
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    [mail] = sent_mails(hook_app, to=hr.email)
    assert mail["Subject"] == f"Webhook endpoint turned off: {endpoint.url}"
    assert f"/organisations/{org.slug}/webhooks/{endpoint.id}" in text_of(mail)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.disable"))

    # while it is off, events are not written for it, and nothing is sent
    outbox.write_event(db.session, org.id, "certificate.issued", {"n": 1}, cause="day:1",
                       now=clock.now)
    db.session.commit()
    assert len(deliveries(db)) == 1


def test_messages_waiting_for_a_turned_off_endpoint_go_once_it_is_on(
        hook_app, db, receiver, people, clock):
    org, hr, _ = people
    endpoint = add_endpoint(db, receiver, org, hr)
    receiver.mode = UNAVAILABLE
    outbox.write_event(db.session, org.id, "certificate.issued", {"n": 0}, cause="wait:0",
                       now=clock.now)
    db.session.commit()
    run_jobs(hook_app)
    services.turn_off(db.session, hr, endpoint, clock.now)
    db.session.commit()
    receiver.mode = "up"
    clock.advance(3600)
    sweep(hook_app)
    assert receiver.delivered() == []
    services.turn_on(db.session, hr, endpoint, clock.now)
    db.session.commit()
    run_jobs(hook_app)
    assert [r.payload["data"] for r in receiver.delivered()] == [{"n": 0}]


def test_redelivery_sends_the_same_message_with_the_same_webhook_id(
        hook_app, db, receiver, people):
    org, hr, _ = people
    add_endpoint(db, receiver, org, hr)
    outbox.write_event(db.session, org.id, "certificate.issued", {"n": 0}, cause="again:0",
                       now=utcnow())
    db.session.commit()
    run_jobs(hook_app)
    [delivery] = deliveries(db)
    services.redeliver(db.session, hr, delivery, utcnow())
    db.session.commit()
    run_jobs(hook_app)
    first, second = receiver.delivered()
    assert first.webhook_id == second.webhook_id == delivery.event_id
    assert first.body == second.body
    assert deliveries(db)[0].attempts == 1


def test_after_a_rotation_both_secrets_verify_for_a_day(hook_app, db, receiver, people, clock):
    org, hr, _ = people
    endpoint = add_endpoint(db, receiver, org, hr, "old")
    old = endpoint.secret
    new = services.rotate_secret(db.session, hr, endpoint, clock.now)
    endpoint.url = receiver.url("new")
    db.session.commit()
    receiver.expect("new", new)
    services.send_test_event(db.session, hr, endpoint, clock.now)
    db.session.commit()
    run_jobs(hook_app)
    [request] = receiver.delivered()
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    receiver.expect("new", old)  # a receiver that has not switched yet
    services.send_test_event(db.session, hr, endpoint, clock.now)
    db.session.commit()
    run_jobs(hook_app)
    assert len(receiver.delivered()) == 2 and receiver.problems() == []

    clock.advance(24 * 3600 + 1)
    services.send_test_event(db.session, hr, endpoint, clock.now)
    db.session.commit()
    run_jobs(hook_app)
    assert receiver.problems() == ["/hooks/new: not verified: No matching signature found"]


@pytest.mark.parametrize("mode, error", [(REDIRECT, "HTTP 302: redirect to"),
                                         (SLOW, "Timeout")])
def test_redirects_are_not_followed_and_slow_receivers_time_out(
        hook_app, db, receiver, people, mode, error):
    org, hr, _ = people
    hook_app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.3
    add_endpoint(db, receiver, org, hr)
    receiver.mode = mode
    outbox.write_event(db.session, org.id, "certificate.issued", {}, cause="x", now=utcnow())
    db.session.commit()
    run_jobs(hook_app)
    [delivery] = deliveries(db)
    assert delivery.status == PENDING and delivery.last_error.startswith(error)
    assert [r.path for r in receiver.requests] == ["/hooks/hris"]  # nothing at /elsewhere


def test_only_an_excerpt_of_the_answer_is_kept(hook_app, db, receiver, people):
    org, hr, _ = people
    add_endpoint(db, receiver, org, hr)
    receiver.mode = CHATTY
    outbox.write_event(db.session, org.id, "certificate.issued", {}, cause="x", now=utcnow())
    db.session.commit()
    run_jobs(hook_app)
    [delivery] = deliveries(db)
    assert delivery.status == DELIVERED and delivery.last_status_code == 200
    assert len(delivery.last_response) == 200 and delivery.last_response.startswith('{"ok"')


def test_a_loopback_endpoint_is_refused_at_delivery_unless_allowed(app, db, receiver, people):
    org, hr, _ = people
    add_endpoint(db, receiver, org, hr)  # saved while allowed (a development machine)
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    outbox.write_event(db.session, org.id, "certificate.issued", {}, cause="x", now=utcnow())
    db.session.commit()
    run_jobs(app)
    [delivery] = deliveries(db)
    assert "private network (127.0.0.1)" in delivery.last_error
    assert receiver.requests == []


def test_a_course_with_a_capstone_is_completed_when_both_exam_and_capstone_passed(
        hook_app, db, receiver, people, capstone_course, trainer):
    org, hr, learner = people
    add_endpoint(db, receiver, org, hr, events=["learner.completed"])
    ready_for_exam(db, learner, capstone_course)
    take_quiz(db, learner, capstone_course, FINAL_EXAM_KEY)
    run_jobs(hook_app)
    assert receiver.delivered() == []  # the exam alone does not complete this course
    submission = submissions.submit(db.session, learner, capstone_course, "## Our OKRs", [],
                                    QUIZ_TIME)
    db.session.commit()
    grading.claim(db.session, trainer, submission.id, QUIZ_TIME)
    grading.grade(db.session, trainer, submission.id, PASSING, COMMENTS, "Well done.", QUIZ_TIME)
    db.session.commit()
    run_jobs(hook_app)
    [request] = receiver.delivered()
    data = request.payload["data"]
    assert request.payload["type"] == "learner.completed" and data["completed_by"] == "capstone"
    assert data["course"]["slug"] == capstone_course.slug and data["learner"]["user_id"] == learner.id
