"""Issuing certificates: the rule, the signed record, immutability, expiry, renewal, revocation."""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app, events
from app.certificates import issuance, services
from app.certificates.codes import parse_code
from app.certificates.receivers import issue_after_exam
from app.certificates.extension import issuer_for
from app.certificates.issuer import outside_event_loop
from app.certificates.pki import ensure_dev_pki
from app.certificates.signing import (
    KeyConfigError, canonical_payload, generate_key_file, generate_rsa_key_file,
)
from app.courses import services as course_services
from app.models import AuditEvent, Certificate, QuizAttempt
from app.models.quizzes import FINAL_EXAM_KEY
from config import ProductionConfig
from tests.factories import import_example_course, meet_rule

NOW = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)


# --- shared with the other certificate test modules ----------------------------------------------

def pass_final_exam_again(db, user, course, now: datetime) -> None:
    """Record another passed final exam (the quiz area decides when it reopens)."""
    number = db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.quiz_key == FINAL_EXAM_KEY)) or 0
    db.session.add(QuizAttempt(
        user_id=user.id, course_id=course.id, version_id=course.current_version_id,
        quiz_key=FINAL_EXAM_KEY, number=number + 1, snapshot={}, answers={},
        status="submitted", started_at=now, submitted_at=now, score=100.0, passed=True))
    db.session.commit()


@pytest.fixture
def no_auto_issue():
    """Passing the final exam meets the rule but issues nothing (as if issuance had failed)."""
    events.final_exam_passed.disconnect(issue_after_exam)
    yield
    events.final_exam_passed.connect(issue_after_exam)


def live_count(db, user, course) -> int:
    return db.session.scalar(select(func.count(Certificate.id)).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id,
        Certificate.status.in_(("active", "suspended"))))


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def issuer(app):
    return issuer_for(app)


@pytest.fixture
def certified(db, make_user, course):
    """A learner who passed the final exam, which issued their certificate."""
    user = make_user(name="Zoë Ångström")
    meet_rule(db, user, course)
    return user


def certificate_of(db, user, course) -> Certificate:
    return services.live_certificate(db.session, user, course)


# --- issuing --------------------------------------------------------------------------------------

def test_passing_the_final_exam_issues_a_signed_certificate(db, course, certified, issuer):
    certificate = certificate_of(db, certified, course)
    assert certificate is not None and certificate.status == "active"
    assert parse_code(certificate.code).canonical == certificate.code
    assert (certificate.holder_name, certificate.course_slug, certificate.version_number) == \
        ("Zoë Ångström", "example-course", 1)
    assert certificate.issued_at == NOW
    assert certificate.expires_at == NOW.replace(year=2027)  # validity_months: 24
    payload = json.loads(certificate.payload)
    assert payload == {
        "code": certificate.code, "holder_name": "Zoë Ångström", "course_title": "OKR Essentials",
        "course_slug": "example-course", "course_version": 1, "issued_on": "2025-05-05",
        "expires_on": "2027-05-05", "issuer": "http://localhost",
    }
    assert certificate.payload.encode() == canonical_payload(payload)
    assert issuer.keyring.verify(certificate.payload.encode(), certificate.key_id,
                                 certificate.signature)
    assert certificate.pdf.startswith(b"%PDF-")
    assert certificate.pdf_sha256 == hashlib.sha256(certificate.pdf).hexdigest()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.target_id == certificate.code


@pytest.mark.renders_pdf
def test_the_stored_pdf_states_the_facts_and_embeds_the_signed_payload(db, course, certified):
    from pypdf import PdfReader

    certificate = certificate_of(db, certified, course)
    reader = PdfReader(io.BytesIO(certificate.pdf))
    text = reader.pages[0].extract_text()
    for expected in ("Zoë Ångström", "OKR Essentials", certificate.code, "5 May 2027"):
        assert expected in text
    record = json.loads(reader.attachments["certificate.json"][0])
    assert (record["payload"], record["signature"], record["kid"]) == \
        (certificate.payload, certificate.signature, certificate.key_id)


def test_refused_with_the_reasons_when_the_rule_is_not_met(db, make_user, course, issuer):
    user = make_user()
    course_services.enroll(db.session, user, course, NOW)
    with pytest.raises(services.NotEligible) as refusal:
        services.issue_certificate(db.session, user, course, NOW, issuer=issuer)
    assert refusal.value.reasons[-1] == "Pass the final exam."
    assert "Complete the lessons of module 'Foundations' (0 of 2 done)." in refusal.value.reasons
    assert services.issue_certificate_if_eligible(db.session, user, course, NOW, issuer=issuer) is None
    assert live_count(db, user, course) == 0


def test_issuing_again_returns_the_one_live_certificate(db, course, certified, issuer):
    first = certificate_of(db, certified, course)
    again = services.issue_certificate(db.session, certified, course, NOW + timedelta(days=3),
                                       issuer=issuer)
    assert again.id == first.id
    assert live_count(db, certified, course) == 1


def test_a_lost_race_returns_the_winners_certificate(db, make_user, course, issuer, monkeypatch,
                                                      no_auto_issue):
    user = make_user()
    meet_rule(db, user, course)
    competitor, _ = issuance._new_certificate(user, course, course.current_version, NOW, issuer,
                                              previous=None)
    new_certificate = issuance._new_certificate

    def sign_while_another_request_stores(*args, **kwargs):
        db.session.add(competitor)  # the other request inserts first; the index stops this one
        db.session.flush()
        return new_certificate(*args, **kwargs)

    monkeypatch.setattr(issuance, "_new_certificate", sign_while_another_request_stores)
    certificate = services.issue_certificate(db.session, user, course, NOW, issuer=issuer)
    assert certificate.id == competitor.id
    assert live_count(db, user, course) == 1


@pytest.mark.renders_pdf
def test_an_issued_certificate_never_changes(db, course, certified, issuer):
    certificate = certificate_of(db, certified, course)
    pdf, payload = certificate.pdf, certificate.payload
    certified.name = "Zoe Angstrom-Smith"
    course.current_version.title = "Renamed course"
    db.session.commit()
    db.session.expire_all()
    again = certificate_of(db, certified, course)
    assert (again.pdf, again.payload, again.holder_name) == (pdf, payload, "Zoë Ångström")
    facts = services.certificate_facts(db.session, again, issuer.name)
    assert (facts.payload.holder_name, facts.payload.course_title) == ("Zoë Ångström",
                                                                     "OKR Essentials")


def test_pdf_signing_also_works_where_an_event_loop_is_running():
    def sign_like_pyhanko() -> str:
        return asyncio.run(asyncio.sleep(0, "signed"))  # pyHanko's sync API does this

    async def request_handler() -> str:
        return outside_event_loop(sign_like_pyhanko)

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of our own, with no loop yet
        assert pool.submit(asyncio.run, request_handler()).result() == "signed"


# --- expiry and renewal ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (datetime(2025, 1, 31, tzinfo=UTC), 1, datetime(2025, 2, 28, tzinfo=UTC)),
    (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
    (datetime(2025, 11, 15, tzinfo=UTC), 3, datetime(2026, 2, 15, tzinfo=UTC)),
    (datetime(2025, 5, 5, 12, tzinfo=UTC), 24, datetime(2027, 5, 5, 12, tzinfo=UTC)),
])
def test_validity_is_counted_in_calendar_months(start, months, expected):
    assert services.add_months(start, months) == expected


def test_a_certificate_is_valid_until_its_expiry_then_expired(db, course, certified):
    certificate = certificate_of(db, certified, course)
    assert services.certificate_state(certificate, NOW) == "valid"
    assert services.certificate_state(
        certificate, certificate.expires_at - timedelta(seconds=1)) == "valid"
    assert services.certificate_state(certificate, certificate.expires_at) == "expired"


def test_a_course_without_validity_issues_certificates_that_never_expire(
        db, make_user, course, issuer):
    course.current_version.validity_months = None
    db.session.commit()
    user = make_user()
    meet_rule(db, user, course)
    certificate = certificate_of(db, user, course)
    assert certificate.expires_at is None and json.loads(certificate.payload)["expires_on"] is None
    assert services.renewal_opens_at(certificate) is None
    assert services.certificate_state(certificate, NOW.replace(year=2090)) == "valid"


def test_renewal_opens_in_the_window_before_expiry(db, course, certified):
    certificate = certificate_of(db, certified, course)
    opens = certificate.expires_at - services.RECERTIFICATION_WINDOW
    assert services.renewal_opens_at(certificate) == opens
    assert not services.can_renew(db.session, certified, course, opens - timedelta(minutes=1))
    assert services.can_renew(db.session, certified, course, opens)
    assert services.can_renew(db.session, certified, course, certificate.expires_at.replace(
        year=2030))


def test_passing_again_in_the_window_renews_and_links_the_certificates(db, course, certified,
                                                                       issuer):
    old = certificate_of(db, certified, course)
    later = old.expires_at - timedelta(days=30)
    pass_final_exam_again(db, certified, course, later)
    new = services.issue_certificate_if_eligible(db.session, certified, course, later,
                                                 issuer=issuer)
    db.session.commit()
    assert new.id != old.id and new.previous_id == old.id and new.previous.code == old.code
    assert new.issued_at == later and new.expires_at == services.add_months(later, 24)
    db.session.refresh(old)
    assert old.status == "superseded" and new.code in old.status_reason
    assert services.renewed_by(db.session, old).id == new.id
    assert live_count(db, certified, course) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.renew"))


def test_an_expired_certificate_is_renewed_by_passing_again(db, course, certified, issuer):
    old = certificate_of(db, certified, course)
    later = old.expires_at + timedelta(days=200)
    pass_final_exam_again(db, certified, course, later)
    new = services.issue_certificate(db.session, certified, course, later, issuer=issuer)
    assert new.previous_id == old.id and services.certificate_state(new, later) == "valid"


def test_no_renewal_before_the_window_or_without_a_new_pass(db, course, certified, issuer):
    old = certificate_of(db, certified, course)
    early = old.expires_at - services.RECERTIFICATION_WINDOW - timedelta(days=1)
    pass_final_exam_again(db, certified, course, early)
    assert services.issue_certificate(db.session, certified, course, early,
                                      issuer=issuer).id == old.id
    in_window = old.expires_at - timedelta(days=10)  # the last pass predates the window
    assert services.issue_certificate(db.session, certified, course, in_window,
                                      issuer=issuer).id == old.id


def test_a_suspended_certificate_is_not_renewed(db, course, certified, issuer):
    old = certificate_of(db, certified, course)
    services.suspend(db.session, None, old.code, "Exam under review", NOW)
    later = old.expires_at - timedelta(days=5)
    pass_final_exam_again(db, certified, course, later)
    with pytest.raises(services.NotEligible, match="is suspended while it is reviewed"):
        services.issue_certificate(db.session, certified, course, later, issuer=issuer)
    assert services.issue_certificate_if_eligible(db.session, certified, course, later,
                                                  issuer=issuer) is None


# --- revoking and suspending ----------------------------------------------------------------------

def test_revoking_keeps_the_reason_and_time_and_is_final(db, course, certified, make_user):
    admin = make_user("admin")
    code = certificate_of(db, certified, course).code
    revoked = services.revoke(db.session, admin, code.lower().replace("-", " "),
                              "Exam taken by someone else", NOW + timedelta(days=1))
    assert (revoked.status, revoked.status_reason, revoked.status_changed_at,
            revoked.status_changed_by_id) == ("revoked", "Exam taken by someone else",
                                              NOW + timedelta(days=1), admin.id)
    assert services.find_certificate(db.session, code).status == "revoked"  # never "unknown"
    with pytest.raises(services.StatusChangeRefused, match="was already revoked on 6 May 2025"):
        services.revoke(db.session, admin, code, "again", NOW)
    with pytest.raises(services.StatusChangeRefused, match="revoked certificate cannot be"):
        services.suspend(db.session, admin, code, "review", NOW)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert event.actor_id == admin.id and event.details["reason"] == "Exam taken by someone else"


@pytest.mark.parametrize("code, message", [
    ("OKR-0000-0000-0000-0000-0", "No certificate has the code OKR-0000-0000-0000-0000-0."),
    ("OKR-0000-0000-0000-0000-1", "looks mistyped"),
    ("nonsense", "has 17 letters and digits"),
])
def test_unknown_or_mistyped_codes_are_told_apart(db, code, message):
    with pytest.raises(services.CertificateNotFound, match=message):
        services.revoke(db.session, None, code, "reason", NOW)


def test_a_reason_is_required(db, course, certified):
    code = certificate_of(db, certified, course).code
    with pytest.raises(services.StatusChangeRefused, match="Give a reason"):
        services.revoke(db.session, None, code, "   ", NOW)
    with pytest.raises(services.StatusChangeRefused, match="under 500 characters"):
        services.suspend(db.session, None, code, "x" * 501, NOW)


def test_suspension_can_be_lifted(db, course, certified):
    code = certificate_of(db, certified, course).code
    suspended = services.suspend(db.session, None, code, "Complaint received", NOW)
    assert (suspended.status, suspended.status_reason) == ("suspended", "Complaint received")
    with pytest.raises(services.StatusChangeRefused, match="already suspended"):
        services.suspend(db.session, None, code, "again", NOW)
    lifted = services.unsuspend(db.session, None, code, NOW + timedelta(days=2), "Cleared")
    assert (lifted.status, lifted.status_reason) == ("active", None)
    with pytest.raises(services.StatusChangeRefused, match="is not suspended"):
        services.unsuspend(db.session, None, code, NOW)


def test_a_renewed_certificate_points_to_its_successor(db, course, certified, issuer):
    old = certificate_of(db, certified, course)
    later = old.expires_at - timedelta(days=1)
    pass_final_exam_again(db, certified, course, later)
    new = services.issue_certificate(db.session, certified, course, later, issuer=issuer)
    with pytest.raises(services.StatusChangeRefused, match=re.escape(f"renewed by {new.code}")):
        services.suspend(db.session, None, old.code, "review", later)


# --- keys in production ---------------------------------------------------------------------------

@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """Environment for a production app on SQLite, with generated key files to point at."""
    for name, value in {"SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite://",
                        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                        "MAIL_URL": "smtp://okr:secret@smtp.example.com:587",
                        "KEYS_DIR": str(tmp_path / "unused"),
                        "INSTANCE_PATH": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    pki = ensure_dev_pki(tmp_path / "pki")
    return {
        "SIGNING_KEY_PATH": str(generate_key_file(tmp_path / "ed25519")),
        "BADGE_RSA_KEY_PATH": str(generate_rsa_key_file(tmp_path / "rsa")),
        "PDF_SIGNING_KEY_PATH": str(pki.key_path),
        "PDF_SIGNING_CERT_PATH": str(pki.cert_path),
        "PDF_SIGNING_CHAIN_PATH": str(pki.chain_paths[0]),
    }


@pytest.mark.parametrize("missing", ["SIGNING_KEY_PATH", "PDF_SIGNING_KEY_PATH",
                                     "PDF_SIGNING_CERT_PATH", "BADGE_RSA_KEY_PATH"])
def test_production_refuses_to_start_without_a_key_setting(production_env, monkeypatch, missing):
    for name, value in production_env.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(KeyConfigError, match=f"^{missing} is not set"):
        create_app(ProductionConfig)


def test_production_names_the_setting_of_an_unreadable_key(production_env, monkeypatch, tmp_path):
    for name, value in production_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PDF_SIGNING_CERT_PATH", str(tmp_path / "nowhere.pem"))
    with pytest.raises(KeyConfigError, match="^PDF_SIGNING_CERT_PATH: .*nowhere.pem does not"):
        create_app(ProductionConfig)
    monkeypatch.setenv("PDF_SIGNING_CERT_PATH", production_env["PDF_SIGNING_CERT_PATH"])
    monkeypatch.setenv("SIGNING_KEY_PATH", production_env["PDF_SIGNING_KEY_PATH"])
    with pytest.raises(KeyConfigError, match="^SIGNING_KEY_PATH: .* not Ed25519"):
        create_app(ProductionConfig)


def test_production_starts_with_its_configured_keys(production_env, monkeypatch, tmp_path):
    for name, value in production_env.items():
        monkeypatch.setenv(name, value)
    app = create_app(ProductionConfig)
    issuer = issuer_for(app)
    assert issuer.pdf_signing_config.key_path == tmp_path / "pki" / "signing-key.pem"
    assert issuer.root_ca_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    assert not (tmp_path / "unused").exists()  # nothing generated in production
