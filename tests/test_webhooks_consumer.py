"""A webhook written by one process and delivered by a real Huey consumer (`flask jobs run`) in
another, to the receiving server of tests/webhook_support.py, which verifies its signature.

The database and queue are the ones tests/test_job_consumer.py sets up for its consumers (files
in the test's folder, or PostgreSQL and the Redis of TEST_JOBS_URL)."""
from __future__ import annotations

from app.auth import services as accounts
from app.clock import utcnow
from app.extensions import db
from app.models import WebhookDelivery
from app.models.webhooks import DELIVERED
from app.webhooks import services
from tests.test_job_consumer import stack  # noqa: F401  (the fixture)
from tests.webhook_support import Receiver

#: a consumer starts in a few seconds; a machine busy with other work may take many more
STARTUP_PATIENCE = 60.0


def test_a_consumer_delivers_a_signed_webhook_another_process_wrote(stack):  # noqa: F811
    receiver = Receiver()
    receiver.start()
    try:
        stack.env["WEBHOOK_ALLOW_LOOPBACK"] = "true"
        with stack.app.app_context():
            org = accounts.create_organisation(db.session, "Consumer Corp")
            hr = accounts.create_user(
                db.session, email="hr@consumer.example", name="Casey Consumer",
                password="Correct-Horse-42", roles=("hr",), organisation=org,
                policy=accounts.PasswordPolicy.from_config(stack.app.config))
            endpoint = services.create_endpoint(
                db.session, hr, org, url=receiver.url("consumer"), description="",
                event_types=["certificate.issued"], now=utcnow(), allow_loopback=True)
            delivery_id = services.send_test_event(db.session, hr, endpoint, utcnow())
            receiver.expect("consumer", endpoint.secret)
            db.session.commit()
            db.session.remove()
        stack.start_consumer()
        [request] = stack.wait_until("the receiver got the message", receiver.delivered,
                                     timeout=STARTUP_PATIENCE)
        assert request.payload["type"] == "webhook.test" and receiver.problems() == []

        def recorded():
            with stack.app.app_context():
                try:
                    found = db.session.get(WebhookDelivery, delivery_id)
                    return found.status == DELIVERED and (found.attempts, found.event_id)
                finally:
                    db.session.remove()
        assert stack.wait_until("recorded as delivered", recorded) == (1, request.webhook_id)
    finally:
        receiver.stop()
