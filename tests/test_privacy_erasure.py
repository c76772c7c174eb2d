"""Erasure: the account anonymised at once, certificates withdrawn (or kept by the organisation's
choice) through their own status change, no mail to the erased address, nothing personal kept in
the audit log, the old address free again; a refused confirmation changes nothing."""
from __future__ import annotations

import json

import pytest

from app.auth.logins import user_for_login
from app.clock import utcnow
from app.models import (
    AuditEvent, CapstoneFile, CapstoneSubmission, Certificate, Notification, QuizAttempt, User,
    WebhookDelivery,
)
from app.models.notifications import SKIPPED
from app.notifications import outbox
from app.privacy import erasure
from tests.conftest import DEFAULT_PASSWORD, log_in
from tests.privacy_support import make_holder, subscribe, text_of

ERASE = "/account/erase"


@pytest.fixture
def org(make_org):
    return make_org("Northwind")


@pytest.fixture
def holder(db, make_user, org):
    return make_holder(db, make_user, org=org)


def erase_own(browser, holder, typed=None):
    return browser.post(ERASE, {"email": typed if typed is not None else holder.email.upper()})


def verdict_page(client, code: str) -> str:
    return text_of(client.get(f"/verify/{code}"))


def fresh(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_erasure_anonymises_withdraws_and_logs_out(app, db, client, browser, holder, org):
    subscribe(db, org)
    other_login = log_in(app.test_client(), holder.user)  # a second device
    log_in(client, holder.user)
    page = text_of(browser.get(ERASE))
    assert "What erasing does" in page and "1 certificate is withdrawn" in page

    response = erase_own(browser, holder)
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    user = fresh(db, User, holder.user.id)
    assert user.name == "Erased account" and user.email == f"erased-{user.id}@invalid"
    assert not user.is_active_account and user.roles == {"learner"}
    assert user.locale is None and user.timezone is None and user.content_locale is None
    assert not user.password_hash.startswith("$argon2")
    assert user_for_login(db.session, other_login, utcnow()) is None  # every login ended
    assert client.get("/account").status_code == 302  # this browser is logged out too

    certificate = fresh(db, Certificate, holder.certificate.id)
    assert certificate.status == "revoked" and certificate.public_reason == "holder_request"
    page = verdict_page(client, certificate.code)
    assert "Revoked certificate" in page and "Withdrawn at the holder's request." in page
    revocation = db.session.query(AuditEvent).filter_by(
        action="certificate.revoke", target_id=certificate.code).one()
    assert revocation.details["public_reason"] == "holder_request"
    [delivery] = db.session.query(WebhookDelivery).filter_by(event_type="certificate.revoked")
    assert holder.email not in delivery.payload


def test_no_mail_goes_to_the_erased_address(db, browser, login_as, holder):
    login_as(holder.user)
    erase_own(browser, holder)
    mails = db.session.query(Notification).all()
    revoked = [m for m in mails if m.kind == "certificate_status"]
    assert revoked and all(m.status == SKIPPED for m in revoked)
    policy = outbox.RetryPolicy()
    assert not any(outbox.claim(db.session, m.id, utcnow(), policy) for m in revoked)
    assert all(m.recipient == f"erased-{holder.user.id}@invalid" for m in mails
               if m.user_id == holder.user.id)
    assert not db.session.query(Notification).filter_by(recipient=holder.email).count()


def test_free_text_goes_scores_stay_and_the_audit_names_nobody(db, browser, login_as, holder):
    from app.audit import record
    from app.auth.services import update_profile
    record(db.session, holder.user, "user.email_change", "user", holder.user.id,
           f"Address changed from first.address@example.com to {holder.email}",
           old="first.address@example.com", new=holder.email)
    update_profile(db.session, holder.user, "Morgan H. Holder")  # audited with old and new
    db.session.commit()
    login_as(holder.user)
    erase_own(browser, holder, holder.email)
    submission = fresh(db, CapstoneSubmission, holder.submission.id)
    assert submission.text_md == "" and submission.comment == ""
    assert submission.scores == {"clarity": {"points": 3}}
    assert not db.session.query(CapstoneFile).count()
    attempts = db.session.query(QuizAttempt).filter_by(user_id=holder.user.id).all()
    assert attempts and all(a.answers is None and a.score is not None for a in attempts)
    assert all(o["given"] is None and "correct" in o
               for a in attempts for o in a.result["per_question"])

    actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"privacy.anonymise", "privacy.remove_learning_text", "certificate.revoke",
            "privacy.erase"} <= actions
    for entry in db.session.query(AuditEvent):
        written = entry.summary + json.dumps(entry.details)
        for trace in (holder.email, holder.name, "Morgan H. Holder", "first.address@"):
            assert trace not in written, (entry.action, written)


def test_the_old_address_is_free_and_the_erased_account_cannot_sign_in(client, db, browser,
                                                                       login_as, holder):
    login_as(holder.user)
    erase_own(browser, holder)
    assert not db.session.query(User).filter(User.email == holder.email).count()
    browser.post("/login", {"email": holder.email, "password": DEFAULT_PASSWORD})
    assert client.get("/account").status_code == 302  # not signed in
    response = browser.post("/register", {"email": holder.email, "name": "Morgan Again",
                                          "password": "Brand-New-Start-77",
                                          "confirm": "Brand-New-Start-77"})
    assert response.status_code in (302, 303)
    again = db.session.query(User).filter_by(email=holder.email).one()
    assert again.id != holder.user.id and again.name == "Morgan Again"


def test_the_organisation_can_keep_certificates_verifiable(db, client, browser, login_as,
                                                           holder, org):
    org.keep_certificates_after_erasure = True
    db.session.commit()
    login_as(holder.user)
    assert "stay valid" in text_of(browser.get(ERASE)) or "stays valid" in text_of(
        browser.get(ERASE))
    erase_own(browser, holder)
    certificate = fresh(db, Certificate, holder.certificate.id)
    assert certificate.status == "active"
    page = verdict_page(client, certificate.code)
    assert "Valid certificate" in page and holder.name in page
    assert db.session.query(AuditEvent).filter_by(action="privacy.keep_certificates").one()
    assert not db.session.query(AuditEvent).filter_by(action="certificate.revoke").count()
    assert fresh(db, User, holder.user.id).name == "Erased account"


def test_a_wrong_or_forged_confirmation_changes_nothing(db, client, browser, login_as, holder):
    login_as(holder.user)
    for typed in ("someone.else@example.com", "", "morgan.holder@example"):
        assert erase_own(browser, holder, typed).status_code == 400, typed
    assert client.post(ERASE, data={"email": holder.email}).status_code == 400  # no CSRF token
    user = fresh(db, User, holder.user.id)
    assert user.email == holder.email and user.is_active_account
    assert fresh(db, Certificate, holder.certificate.id).status == "active"
    assert not db.session.query(AuditEvent).filter(AuditEvent.action.like("privacy.%")).count()


def test_an_administrator_erases_on_request(db, browser, login_as, holder):
    admin = login_as("admin")
    page = f"/admin/users/{holder.user.id}"
    assert "Erase account" in browser.get(page).get_data(as_text=True)
    url = f"/admin/users/{holder.user.id}/erase"
    assert browser.post(url, {"email": "wrong@example.com"}).status_code == 400
    response = browser.post(url, {"email": holder.email})
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert fresh(db, User, holder.user.id).name == "Erased account"
    entry = db.session.query(AuditEvent).filter_by(action="privacy.erase").one()
    assert entry.actor_id == admin.id and entry.details["by_administrator"] is True
    assert "Erased account" in text_of(browser.get(page))
    again = browser.post(url, {"email": f"erased-{holder.user.id}@invalid"})
    assert again.status_code == 400 and "This account is erased" in text_of(again)


def test_erasure_is_all_or_nothing(db, browser, login_as, holder, monkeypatch):
    """A withdrawal refused half-way (the certificate changed meanwhile) keeps nothing."""
    from app.certificates.errors import StatusChangeRefused

    def changed_meanwhile(*args, **kwargs):
        raise StatusChangeRefused("Certificate changed meanwhile.")
    monkeypatch.setattr(erasure.certificate_status, "revoke", changed_meanwhile)
    login_as(holder.user)
    response = erase_own(browser, holder)
    assert response.status_code == 303 and response.headers["Location"].endswith(ERASE)
    user = fresh(db, User, holder.user.id)
    assert user.email == holder.email and user.name == holder.name and user.is_active_account
    assert fresh(db, CapstoneSubmission, holder.submission.id).text_md
    assert db.session.query(CapstoneFile).count() == 1
    assert not db.session.query(AuditEvent).filter(AuditEvent.action.like("privacy.%")).count()
    assert browser.get("/account").status_code == 200  # still signed in


@pytest.mark.parametrize(("before", "kept"), [("active", False), ("suspended", False),
                                              ("revoked", False), ("suspended", True)])
def test_each_certificate_ends_as_the_rule_says(db, app, holder, org, before, kept):
    """Kept by the organisation: as it was. Else revoked at the holder's request, except one
    revoked before, which keeps its own reason."""
    from app.certificates import services as certificates
    code, now = holder.certificate.code, utcnow()
    if before == "suspended":
        certificates.suspend(db.session, None, code, "Under review", now, "under_review")
    elif before == "revoked":
        certificates.revoke(db.session, None, code, "Cheating", now, "assessment_integrity")
    org.keep_certificates_after_erasure = kept
    db.session.commit()
    result = erasure.erase_account(db.session, holder.user, holder.user, now)
    db.session.commit()
    certificate = fresh(db, Certificate, holder.certificate.id)
    if kept or before == "revoked":
        assert certificate.status == before
        assert result.certificates_withdrawn == 0
        assert result.certificates_kept == (1 if kept and before != "revoked" else 0)
    else:
        assert certificate.status == "revoked" and certificate.public_reason == "holder_request"
        assert result.certificates_withdrawn == 1
    if before == "revoked":
        assert certificate.public_reason == "assessment_integrity"


# --- the organisation's retention setting -----------------------------------------------------

def test_hr_sets_the_retention_of_their_own_organisation(db, browser, login_as, org, make_org):
    login_as("hr", org=org)
    page = browser.get("/hr/organisation").get_data(as_text=True)
    assert "Certificates after erasure" in page
    url = f"/organisations/{org.slug}/certificate-retention"
    response = browser.post(url, {"keep": "y"}, token_from="/hr/organisation")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/hr/organisation")
    assert fresh(db, type(org), org.id).keep_certificates_after_erasure is True
    browser.post(url, {}, token_from="/hr/organisation")
    assert fresh(db, type(org), org.id).keep_certificates_after_erasure is False
    assert db.session.query(AuditEvent).filter_by(action="privacy.retention").count() == 2
    elsewhere = make_org("Contoso")
    assert browser.post(f"/organisations/{elsewhere.slug}/certificate-retention", {"keep": "y"},
                        token_from="/hr/organisation").status_code == 403


def test_only_administrators_and_the_organisations_hr_decide(db, browser, login_as, org):
    url = f"/organisations/{org.slug}/certificate-retention"
    login_as("learner", org=org)
    assert browser.get(url).status_code == 403
    login_as("admin")
    assert browser.get(url).status_code == 200
    assert browser.post(url, {"keep": "y"}).status_code == 303
    assert fresh(db, type(org), org.id).keep_certificates_after_erasure is True
    assert browser.get("/organisations/no-such-org/certificate-retention").status_code == 404
