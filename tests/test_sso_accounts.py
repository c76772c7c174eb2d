"""From checked claims to an account: who gets one, who is refused, and that a refusal keeps
its audit entry and nothing else."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, func, select

from app.extensions import db as _db
from app.models import AuditEvent, Notification, User
from app.sso import web
from app.sso.accounts import sign_in_from_claims
from app.sso.claims import Claims, SignOnRefused
from tests.sso.support import enable_sign_on

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def claims(email="ada@acme.example", verified=True, name="Ada Lovelace") -> Claims:
    return Claims(protocol="saml", subject="subject-1", email=email, email_verified=verified,
                  name=name)


@pytest.fixture
def orgs(db, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    enable_sign_on(db, acme, ["acme.example"])
    enable_sign_on(db, globex, ["globex.example"])
    return acme, globex


def users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_a_new_account_is_a_verified_learner_without_a_usable_password(db, orgs):
    acme, _ = orgs
    user = sign_in_from_claims(db.session, acme, claims(email="Ada@ACME.example"), NOW)
    assert (user.email, user.name, user.roles) == ("ada@acme.example", "Ada Lovelace", {"learner"})
    assert user.organisation_id == acme.id and user.email_verified_at == NOW
    assert user.password_hash.startswith("!sso:")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.account_created"))
    assert event.details["subject"] == "subject-1" and event.details["protocol"] == "saml"
    # a verified address needs no confirmation mail
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_names_are_tidied_and_fall_back_to_the_address(db, orgs):
    acme, _ = orgs
    long = sign_in_from_claims(db.session, acme, claims(name="  Ada   " + "x" * 200), NOW)
    assert long.name.startswith("Ada x") and len(long.name) == 120
    bare = sign_in_from_claims(db.session, acme, claims(email="b.o@acme.example", name=" "), NOW)
    assert bare.name == "b.o"


def test_an_existing_account_is_used_and_its_address_counts_as_verified(db, orgs, make_user):
    acme, _ = orgs
    existing = make_user(email="ada@acme.example", org=acme)
    existing.email_verified_at = None
    assert sign_in_from_claims(db.session, acme, claims(), NOW) is existing
    assert existing.email_verified_at == NOW and users(db) == 1


@pytest.mark.parametrize("email, verified, reason", [
    ("ada@acme.example", False, "email-unverified"),
    ("olga@globex.example", True, "domain-other-organisation"),
    ("someone@nowhere.example", True, "domain-unknown"),
    ("no-domain", True, "domain-unknown"),
])
def test_refusals_create_nothing(db, orgs, email, verified, reason):
    acme, _ = orgs
    with pytest.raises(SignOnRefused) as refusal:
        sign_in_from_claims(db.session, acme, claims(email=email, verified=verified), NOW)
    assert refusal.value.reason == reason and users(db) == 0


def test_deactivated_and_foreign_accounts_are_refused(db, orgs, make_user, make_org):
    acme, _ = orgs
    make_user(email="gone@acme.example", org=acme, active=False)
    make_user(email="moved@acme.example", org=make_org("Initech"))
    for email, reason in (("gone@acme.example", "account-deactivated"),
                          ("moved@acme.example", "account-other-organisation")):
        with pytest.raises(SignOnRefused) as refusal:
            sign_in_from_claims(db.session, acme, claims(email=email), NOW)
        assert refusal.value.reason == reason


EXISTING = st.sampled_from(["none", "this", "other-organisation", "deactivated", "no-org"])


@given(verified=st.booleans(), domain=st.sampled_from(["acme.example", "globex.example",
                                                       "nowhere.example"]), existing=EXISTING)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_account_is_given_exactly_when_every_rule_holds(db, orgs, make_user, verified, domain,
                                                          existing):
    acme, globex = orgs
    db.session.execute(delete(User))
    db.session.commit()
    email = f"pat@{domain}"
    if existing != "none":
        org = {"this": acme, "deactivated": acme, "other-organisation": globex,
               "no-org": None}[existing]
        make_user(email=email, org=org, active=existing != "deactivated")
    allowed = verified and domain == "acme.example" and existing in ("none", "this")
    try:
        user = sign_in_from_claims(db.session, acme, claims(email=email, verified=verified), NOW)
    except SignOnRefused:
        assert not allowed
        db.session.rollback()
    else:
        assert allowed and user.organisation_id == acme.id and user.is_active
    assert users(db) == (existing != "none") + (allowed and existing == "none")
    db.session.rollback()


def test_a_refusal_keeps_its_audit_entry_and_nothing_the_attempt_wrote(app, db, orgs, client):
    acme, _ = orgs

    def half_done():
        sign_in_from_claims(_db.session, acme, claims(), NOW)  # flushed, then refused
        refusal = SignOnRefused("replayed-assertion", "This answer was used already.")
        body, status, headers = web.refusal_page(acme, "saml", refusal)
        return render_template_string("{{ body|safe }}", body=body), status, headers

    app.add_url_rule("/test-refusal", "test_refusal", half_done)
    response = client.get("/test-refusal")
    assert response.status_code == 403 and "This answer was used already." in \
        response.get_data(as_text=True)
    db.session.expire_all()
    assert users(db) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.refused"))
    assert (event.details["reason"], event.details["protocol"]) == ("replayed-assertion", "saml")
    assert event.target_id == str(acme.id)
