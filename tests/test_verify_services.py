"""The one verification verdict: every outcome, tampering, many codes at once, and the log."""
from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.certificates import services as certificates
from app.certificates.codes import parse_code
from app.certificates.extension import issuer_for
from app.models import VerificationLog
from app.verify import services
from app.verify.services import Outcome
from tests.factories import import_example_course
from tests.factories import meet_rule

ISSUED = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
LATER = ISSUED + timedelta(days=30)


@pytest.fixture
def keyring(app):
    return issuer_for(app).keyring


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def certificate(db, make_user, course):
    """A certificate issued on ISSUED to Grace Hopper, valid for 24 months."""
    user = make_user(name="Grace Hopper")
    meet_rule(db, user, course, ISSUED)
    return certificates.live_certificate(db.session, user, course)


def verify(db, code, keyring, now=LATER):
    return services.verify_certificate(db.session, code, keyring=keyring, now=now)


def mistype(code: str) -> str:
    """The same code with its check symbol changed."""
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


# --- each verdict -------------------------------------------------------------------------------

def test_a_current_certificate_is_valid_with_exactly_its_stated_facts(db, certificate, keyring):
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.VALID and verdict.is_valid
    stated = verdict.certificate
    assert stated.code == certificate.code
    assert stated.holder_name == "Grace Hopper"
    assert stated.course_title == "OKR Essentials" and stated.course_version == 1
    assert stated.issued_on.isoformat() == "2025-05-05"
    assert stated.expires_on.isoformat() == "2027-05-05"
    assert stated.issuer == "http://localhost"
    assert "valid until 5 May 2027" in verdict.summary
    assert verdict.record_intact and verdict.key_id == certificate.key_id
    # Nothing but what the certificate states: no email, no account, no organisation.
    assert {field.name for field in dataclasses.fields(stated)} == {
        "code", "holder_name", "course_title", "course_slug", "course_version", "issued_on",
        "expires_on", "issuer"}


@pytest.mark.parametrize("typed", [
    "okr-{lower}", "  {code}  ", "{spaced}", "{nodash}", "{oh}",
])
def test_codes_are_read_leniently(db, certificate, keyring, typed):
    code = certificate.code
    text = typed.format(lower=code[4:].lower(), code=code, spaced=code.replace("-", " "),
                        nodash=code.replace("-", ""), oh=code.replace("0", "O"))
    assert verify(db, text, keyring).outcome is Outcome.VALID


def test_a_certificate_past_its_expiry_is_expired_not_valid(db, certificate, keyring):
    verdict = verify(db, certificate.code, keyring, now=certificate.expires_at)
    assert verdict.outcome is Outcome.EXPIRED and not verdict.is_valid
    assert "expired on 5 May 2027" in verdict.summary
    assert verdict.certificate.holder_name == "Grace Hopper"


def test_a_revoked_certificate_says_so_with_its_public_reason_and_time(db, certificate,
                                                                       keyring):
    certificates.revoke(db.session, None, certificate.code, "Exam taken by someone else.",
                        ISSUED + timedelta(days=3), "assessment_integrity")
    db.session.commit()
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.REVOKED
    assert verdict.status_reason == "The integrity of the assessment could not be confirmed."
    assert "someone else" not in repr(verdict)  # the internal note is never stated
    assert verdict.status_changed_at == ISSUED + timedelta(days=3)
    assert "revoked on 8 May 2025" in verdict.summary
    assert verdict.certificate is not None  # shown as revoked, never as "not found"


def test_a_suspended_certificate_is_suspended_until_lifted(db, certificate, keyring):
    certificates.suspend(db.session, None, certificate.code, "Complaint #12", ISSUED,
                         "under_review")
    db.session.commit()
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.SUSPENDED and verdict.status_reason == "Under review."
    certificates.unsuspend(db.session, None, certificate.code, ISSUED + timedelta(days=1))
    db.session.commit()
    lifted = verify(db, certificate.code, keyring)
    assert lifted.outcome is Outcome.VALID and lifted.status_reason is None


def test_a_revoked_and_expired_certificate_is_revoked(db, certificate, keyring):
    certificates.revoke(db.session, None, certificate.code, "Fraud.", ISSUED)
    db.session.commit()
    verdict = verify(db, certificate.code, keyring, now=ISSUED + timedelta(days=3650))
    assert verdict.outcome is Outcome.REVOKED


def test_an_unknown_well_formed_code_is_not_found(db, certificate, keyring):
    other = parse_code("OKR-7K3M-Q9TB-X2HD-4FRW-9").canonical
    verdict = verify(db, other, keyring)
    assert verdict.outcome is Outcome.NOT_FOUND and verdict.code == other
    assert verdict.certificate is None and "never issued" in verdict.summary


def test_a_wrong_check_symbol_is_mistyped_not_unknown(db, certificate, keyring):
    verdict = verify(db, mistype(certificate.code), keyring)
    assert verdict.outcome is Outcome.MISTYPED and verdict.code is None
    assert "mistyped" in verdict.summary and verdict.certificate is None


@pytest.mark.parametrize("junk", [
    "", "   ", "hello", "OKR-1234", "' OR 1=1 --", "OKR-7K3M-Q9TB-X2HD-4FRW-9; DROP TABLE users",
    "x" * 10_000, "<script>alert(1)</script>", "\x00\x01\x02", "ÖKR-ÄÄÄÄ-ÜÜÜÜ-ßßßß-ÉÉÉÉ-9",
])
def test_junk_is_malformed_with_a_sentence(db, certificate, keyring, junk):
    verdict = verify(db, junk, keyring)
    assert verdict.outcome is Outcome.MALFORMED
    assert verdict.summary.endswith(".") and len(verdict.summary) < 300
    assert verdict.certificate is None


# --- tampering with the stored record ------------------------------------------------------

def test_a_holder_name_changed_in_the_database_is_tampered(db, certificate, keyring):
    certificate.holder_name = "Mallory Impostor"
    db.session.commit()
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.TAMPERED
    assert verdict.certificate is None  # nothing unconfirmed is shown
    assert any("holder name" in reason for reason in verdict.reasons)


@pytest.mark.parametrize("field, value", [
    ("expires_at", datetime(2099, 1, 1, tzinfo=UTC)),
    ("course_title", "Something Else"),
    ("version_number", 7),
])
def test_any_stated_field_changed_in_the_database_is_tampered(db, certificate, keyring, field,
                                                                 value):
    setattr(certificate, field, value)
    db.session.commit()
    assert verify(db, certificate.code, keyring).outcome is Outcome.TAMPERED


def test_a_rewritten_payload_fails_its_signature(db, certificate, keyring):
    payload = json.loads(certificate.payload)
    payload["holder_name"] = "Mallory Impostor"
    certificate.payload = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    certificate.holder_name = "Mallory Impostor"
    db.session.commit()
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.TAMPERED
    assert verdict.reasons == ("The record's digital signature does not match its contents.",)


def test_a_signature_by_an_unknown_key_is_tampered(db, certificate, keyring):
    certificate.key_id = "not-one-of-ours"
    db.session.commit()
    verdict = verify(db, certificate.code, keyring)
    assert verdict.outcome is Outcome.TAMPERED
    assert verdict.reasons == ("The record is signed with a key we do not publish.",)


# --- renewed certificates ------------------------------------------------------------------

def test_a_renewed_certificate_keeps_its_own_dates_and_says_it_was_renewed(db, certificate,
                                                                           keyring):
    certificate.status = "superseded"
    certificate.status_changed_at = ISSUED + timedelta(days=700)
    db.session.commit()
    verdict = verify(db, certificate.code, keyring, now=ISSUED + timedelta(days=701))
    assert verdict.outcome is Outcome.VALID
    assert verdict.reasons and "newer certificate" in verdict.reasons[0]
    assert verify(db, certificate.code, keyring,
                  now=certificate.expires_at).outcome is Outcome.EXPIRED


# --- many codes, and the log ------------------------------------------------------------------

def test_verify_many_looks_codes_up_in_bulk_and_keeps_their_order(db, certificate, keyring):
    unknown = "OKR-7K3M-Q9TB-X2HD-4FRW-9"
    codes = [certificate.code, "junk", unknown, mistype(certificate.code), certificate.code]
    outcomes = [v.outcome for v in services.verify_many(db.session, codes, keyring=keyring,
                                                        now=LATER)]
    assert outcomes == [Outcome.VALID, Outcome.MALFORMED, Outcome.NOT_FOUND, Outcome.MISTYPED,
                        Outcome.VALID]


def test_the_log_keeps_the_code_channel_verdict_and_a_keyed_hash_of_the_client(db, keyring,
                                                                               certificate):
    digest = services.client_digest("203.0.113.7", "secret")
    assert digest != services.client_digest("203.0.113.7", "other secret")
    assert "203.0.113.7" not in digest and len(digest) == 64
    verdict = verify(db, certificate.code, keyring)
    services.log_verification(db.session, code=services.logged_code(verdict, certificate.code),
                              channel="api", outcome=verdict.outcome, client=digest, now=LATER)
    services.log_verifications(db.session, [("x" * 500, "malformed")], channel="bulk",
                               client=None, now=LATER)
    db.session.commit()
    entries = db.session.scalars(select(VerificationLog).order_by(VerificationLog.id)).all()
    assert [(e.code, e.channel, e.verdict, e.client) for e in entries] == [
        (certificate.code, "api", "valid", digest), ("x" * 64, "bulk", "malformed", None)]
    assert services.verification_counts(db.session, [certificate.code, "nope"]) == {
        certificate.code: 1}


def test_an_unknown_channel_is_refused(db):
    with pytest.raises(ValueError):
        services.log_verification(db.session, code="x", channel="fax", outcome="valid",
                                  client=None, now=LATER)
