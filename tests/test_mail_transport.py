"""The SMTP transport against a real server: STARTTLS and implicit TLS verified against a
private CA (MAIL_CA_FILE), never against nothing; AUTH with the URL's user and password."""
from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.jobs import job_queue
from app.models.notifications import PENDING, Notification
from app.notifications import outbox
from app.notifications.tasks import deliver
from app.notifications.transports import DeliveryError, SmtpTransport, transport_for
from tests.smtp_server import PrivateCa, SmtpServer


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> PrivateCa:
    return PrivateCa(tmp_path_factory.mktemp("mail-ca"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> PrivateCa:
    return PrivateCa(tmp_path_factory.mktemp("other-ca"), name="Someone Else's CA")


def a_message(to: str = "learner@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@okr.academy", to, "Hello"
    message["Message-ID"] = "<20260101T000000Z.1.abc@okr.academy>"
    message.set_content("Over TLS.")
    return message


def settings(server: SmtpServer, ca_file=None, **more) -> dict:
    return {"MAIL_URL": server.url, "MAIL_CA_FILE": str(ca_file or ""),
            "MAIL_TIMEOUT_SECONDS": 5, **more}


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_tls_verified_against_the_configured_ca_delivers_logged_in(tls, ca):
    with SmtpServer(tls=tls, ca=ca) as server:
        assert server.url.startswith("smtps://" if tls == "implicit" else "smtp://")
        transport_for(settings(server, ca.ca_file)).send(a_message())
        [received] = server.received
    assert received.tls and received.login == "mailer"
    assert received.rcpt_tos == ("learner@example.com",)
    assert received.message["Subject"] == "Hello"


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
@pytest.mark.parametrize("trust", ["the system's CAs", "another CA"])
def test_a_certificate_that_does_not_verify_is_refused_for_now(tls, trust, ca, other_ca):
    with SmtpServer(tls=tls, ca=ca) as server:
        ca_file = other_ca.ca_file if trust == "another CA" else None
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED") as refusal:
            transport_for(settings(server, ca_file)).send(a_message())
        assert server.received == []
    assert refusal.value.permanent is False, "an operator can fix it: the mail is retried"


def test_opportunistic_starttls_never_falls_back_to_clear_text_on_a_bad_certificate(ca):
    with SmtpServer(tls="starttls", ca=ca) as server:
        url = server.url.replace("?tls=required", "")
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            SmtpTransport(url, timeout=5).send(a_message())
        assert server.received == []


def test_tls_required_refuses_a_server_without_starttls():
    with SmtpServer() as server:
        transport = SmtpTransport(server.url + "?tls=required", timeout=5)
        with pytest.raises(DeliveryError, match="does not offer STARTTLS") as refusal:
            transport.send(a_message())
        assert server.received == [] and refusal.value.permanent is False


def test_the_url_encoded_password_is_decoded_for_auth():
    password = "p@ss:w/rd%20+?#&="
    with SmtpServer(username="mail+er@okr", password=password) as server:
        assert "%40" in server.url and password not in server.url
        transport_for(settings(server)).send(a_message())
        assert [r.login for r in server.received] == ["mail+er@okr"]


def test_a_wrong_password_is_a_failure_to_retry_not_a_bounce():
    with SmtpServer() as server:
        url = server.url.replace(":s3cret@", ":wrong@")
        with pytest.raises(DeliveryError, match="535") as refusal:
            SmtpTransport(url, timeout=5).send(a_message())
        assert server.received == [] and refusal.value.permanent is False


def test_the_app_keeps_a_mail_it_could_not_send_safely(app, db, ca):
    """Through the deliver job: an untrusted certificate leaves the mail pending, not crashed;
    trusting the CA (MAIL_CA_FILE) delivers it."""
    with SmtpServer(tls="starttls", ca=ca) as server:
        app.config.update(settings(server), MAIL_RETRY_SECONDS=60)
        outbox.queue(db.session, kind="test", to="ops@example.com", key="tls", now=utcnow())
        db.session.commit()
        job_queue(app).run_pending()
        notification = db.session.scalar(select(Notification))
        assert notification.status == PENDING and notification.attempts == 1
        assert "CERTIFICATE_VERIFY_FAILED" in notification.last_error
        assert server.received == []

        app.config["MAIL_CA_FILE"] = str(ca.ca_file)
        notification.next_attempt_at = utcnow()
        db.session.commit()
        deliver(notification_id=notification.id)
        db.session.commit()
        [received] = server.received
        assert received.tls and received.message["To"] == "ops@example.com"
