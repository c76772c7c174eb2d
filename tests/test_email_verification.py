"""Confirming an address: a self-registered account starts unverified and gets a link; opening
the link asks, the button confirms; certificates wait for a confirmed address; registering with
a known address tells its owner and nobody else."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth import services, tokens
from app.certificates.services import live_certificate
from app.models import AuditEvent, Notification, QuizAttempt, User
from app.models.quizzes import FINAL_EXAM_KEY
from app.notifications import account_mails
from tests.conftest import DEFAULT_PASSWORD, CsrfClient
from tests.factories import import_example_course, meet_rule
from tests.mailbox import links_in, path_of, sent_mails, text_of

ADA = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "Analytical-Engine-1843",
       "confirm": "Analytical-Engine-1843"}


def register(app, form: dict = ADA, address: str = "198.51.100.7"):
    browser = CsrfClient(app.test_client())
    response = browser.post("/register", form, environ_base={"REMOTE_ADDR": address})
    return response, browser


def ada(db) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == ADA["email"]))


def confirm_link(app, to: str = ADA["email"]) -> str:
    mails = [m for m in sent_mails(app, to=to) if m["Subject"].startswith("Confirm your")]
    assert mails, f"no confirmation mail to {to}"
    return path_of(next(link for link in links_in(mails[-1]) if "/verify-email/" in link))


def log_in_as_ada(browser) -> None:
    response = browser.post("/login", {"email": ADA["email"], "password": ADA["password"]})
    assert response.status_code == 302


def test_registration_mails_a_link_and_the_button_behind_it_confirms(app, db):
    response, _ = register(app)
    assert (response.status_code, response.location) == (302, "/login")
    user = ada(db)
    assert not user.email_verified
    mail = sent_mails(app, to=ADA["email"])[0]
    assert mail["Subject"] == "Confirm your email address for OKR Academy"
    assert "3 days" in text_of(mail) and "If this wasn't you" in text_of(mail)

    browser = CsrfClient(app.test_client())
    link = confirm_link(app)
    page = browser.get(link)
    assert page.status_code == 200 and "Confirm this address" in page.get_data(as_text=True)
    assert not ada(db).email_verified, "opening the link (a mail scanner) confirms nothing"
    confirmed = browser.post(link, {})
    assert (confirmed.status_code, confirmed.location) == (302, "/login")
    assert "is confirmed as your address" in browser.get("/login").get_data(as_text=True)
    assert ada(db).email_verified
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.email_verified"))
    again = browser.get(link)
    assert again.status_code == 200 and "is confirmed already" in again.get_data(as_text=True)


def test_the_registration_page_says_to_check_the_inbox(app, db):
    response, browser = register(app)
    assert "check your inbox to confirm your address" in \
        browser.get(response.location).get_data(as_text=True).lower()


def test_accounts_made_by_an_administrator_the_command_line_or_a_test_are_verified(
        app, db, make_user, runner):
    assert make_user().email_verified
    result = runner.invoke(args=["users", "create", "--email", "cli@example.com", "--name",
                                 "Cli User", "--password", "Road-Runner-2024"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "cli@example.com")).email_verified
    assert sent_mails(app) == [], "nobody is asked to confirm"


def test_registering_a_known_address_tells_its_owner_once_per_ten_minutes(app, db, make_user):
    make_user(email=ADA["email"], name="Ada Owner")
    answers = [register(app, {**ADA, "email": "ADA@example.com"}, address=f"203.0.113.{n}")[0]
               for n in range(5)]
    assert {(r.status_code, r.location) for r in answers} == {(302, "/login")}
    mails = sent_mails(app, to=ADA["email"])
    assert [m["Subject"] for m in mails] == ["Someone tried to register with your address"]
    text = text_of(mails[0])
    assert "/forgot-password" in text and "/login" in text and "If this wasn't you" in text
    assert db.session.query(User).count() == 1


def test_a_known_and_an_unknown_address_see_the_same_page(app, db, make_user):
    make_user(email="known@example.com")
    pages = []
    for email in ("known@example.com", "unknown@example.com"):
        response, browser = register(app, {**ADA, "email": email})
        html = browser.get(response.location).get_data(as_text=True)
        pages.append((response.status_code, response.location,
                      re.sub(r'value="[^"]*"', "", html)))
    assert pages[0] == pages[1]


def test_an_unverified_learner_gets_the_certificate_once_the_address_is_confirmed(app, db):
    course = import_example_course(db)
    _, browser = register(app)
    user = ada(db)
    meet_rule(db, user, course)
    assert live_certificate(db.session, user, course) is None, "held back for the address"
    attempt = db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.quiz_key == FINAL_EXAM_KEY))
    log_in_as_ada(browser)
    result = browser.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Confirm your email address to receive your certificate" in result
    assert "Send the link again" in result

    link = confirm_link(app)
    assert browser.post(link, {}).status_code == 302
    certificate = live_certificate(db.session, ada(db), course)
    assert certificate is not None
    subjects = [m["Subject"] for m in sent_mails(app, to=ADA["email"])]
    assert f"Congratulations: you are certified in {certificate.course_title}" in subjects
    result = browser.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "your certificates page" in result


def test_confirming_issues_nothing_when_no_course_rule_is_met(app, db):
    import_example_course(db)
    register(app)
    browser = CsrfClient(app.test_client())
    assert browser.post(confirm_link(app), {}, token_from=confirm_link(app)).status_code == 302
    assert ada(db).email_verified


def test_the_dashboard_asks_an_unverified_learner_and_sends_the_link_again(app, db, make_user):
    _, browser = register(app)
    log_in_as_ada(browser)
    dashboard = browser.get("/dashboard/learning").get_data(as_text=True)
    assert "Confirm your email address." in dashboard and "Send the link again" in dashboard
    sent = browser.post("/account/verify-email/send", {}, token_from="/dashboard/learning")
    assert sent.status_code == 303
    assert "We sent the link to ada@example.com again" in \
        browser.get("/account").get_data(as_text=True)
    browser.post("/account/verify-email/send", {}, token_from="/account")
    assert len(sent_mails(app, to=ADA["email"])) == 2, "the first mail, and one more per 10 min"
    assert browser.post(confirm_link(app), {}, token_from="/account").status_code == 302
    assert "Confirm your email address." not in \
        browser.get("/dashboard/learning").get_data(as_text=True)


def test_sending_the_link_again_is_limited_and_needs_a_login(app, db, client):
    assert client.post("/account/verify-email/send").status_code in (302, 400)
    _, browser = register(app)
    log_in_as_ada(browser)
    codes = [browser.post("/account/verify-email/send", {}, token_from="/account").status_code
             for _ in range(6)]
    assert codes == [303] * 5 + [429]
    assert db.session.scalar(select(Notification).where(Notification.kind == "verify_email"))


def test_a_link_older_than_three_days_is_refused(app, db, monkeypatch):
    monkeypatch.setattr(account_mails, "utcnow",
                        lambda: datetime.now(UTC) - timedelta(days=3, minutes=1))
    register(app)
    link = confirm_link(app)
    browser = CsrfClient(app.test_client())
    page = browser.get(link)
    assert page.status_code == 400
    assert "This link has expired or was already used" in page.get_data(as_text=True)
    assert browser.post(link, {}, token_from="/login").status_code == 400
    assert not ada(db).email_verified
    fresh = tokens.email_token(app.secret_key, ada(db), ADA["email"],
                               datetime.now(UTC) - timedelta(days=2, hours=23))
    assert browser.get(f"/verify-email/{fresh}").status_code == 200


@pytest.mark.parametrize("forge", [
    lambda app, user: tokens.email_token(app.secret_key, user, user.email,
                                         datetime.now(UTC))[:-3] + "abc",
    lambda app, user: tokens.email_token("another-secret", user, user.email, datetime.now(UTC)),
    lambda app, user: tokens.password_reset_token(app.secret_key, user, datetime.now(UTC)),
    lambda app, user: "x" * 3000,
], ids=["tampered", "other-secret", "reset-token", "huge"])
def test_forged_links_are_refused(app, db, forge):
    register(app)
    browser = CsrfClient(app.test_client())
    link = f"/verify-email/{forge(app, ada(db))}"
    assert browser.get(link).status_code == 400
    assert browser.post(link, {}, token_from="/login").status_code == 400
    assert not ada(db).email_verified


def test_a_password_change_kills_an_unused_link(app, db):
    register(app)
    link = confirm_link(app)
    user = ada(db)
    services.change_password(db.session, user, ADA["password"], "Brand-New-Pass-77",
                             services.PasswordPolicy.from_config(app.config))
    db.session.commit()
    assert app.test_client().get(link).status_code == 400


def test_a_password_reset_confirms_the_address(app, db):
    register(app)
    CsrfClient(app.test_client()).post("/forgot-password", {"email": ADA["email"]})
    reset = next(path_of(link) for m in sent_mails(app, to=ADA["email"])
                 for link in links_in(m) if "/reset-password/" in link)
    CsrfClient(app.test_client()).post(reset, {"password": DEFAULT_PASSWORD,
                                               "confirm": DEFAULT_PASSWORD})
    assert ada(db).email_verified


def test_an_unverified_learner_cannot_collect_the_certificate_by_hand(app, db):
    course = import_example_course(db)
    _, browser = register(app)
    meet_rule(db, ada(db), course)
    log_in_as_ada(browser)
    response = browser.post(f"/certificates/claim/{course.slug}", {}, token_from="/certificates")
    assert response.status_code == 303
    page = browser.get(response.location).get_data(as_text=True)
    assert "Confirm your email address to receive your certificate" in page
    assert live_certificate(db.session, ada(db), course) is None
