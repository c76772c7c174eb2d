"""Organisation API tokens: shown once, kept as a hash, scoped, revocable, one organisation's."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.domain import DomainError
from app.integrations import tokens
from app.models import AuditEvent, OrganisationToken
from tests.integrations_support import bearer, issue_token

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_token_is_shown_once_and_kept_only_as_its_hash(db, make_org):
    org = make_org("Acme")
    issued = tokens.issue(db.session, None, org, "Okta", ["scim", "read:learners"], NOW)
    db.session.commit()
    assert re.fullmatch(r"okrt_[A-Za-z0-9_-]{43}", issued.secret)
    row = db.session.get(OrganisationToken, issued.token.id)
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert row.prefix == issued.secret[:13] and row.scope_list == ["scim", "read:learners"]
    stored = [str(getattr(row, column.key)) for column in OrganisationToken.__table__.columns]
    assert not any(issued.secret in value for value in stored)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.issue")).one()
    assert issued.secret not in str(audit.details) + audit.summary


def test_authentication_needs_the_exact_token_a_scope_it_carries_and_no_revocation(db, make_org):
    org = make_org()
    issued = tokens.issue(db.session, None, org, "HR system", ["read:learners"], NOW)
    found = tokens.authenticate(db.session, issued.secret, "read:learners", NOW)
    assert found is issued.token and found.last_used_at == NOW
    assert tokens.authenticate(db.session, issued.secret, "scim", NOW) is None
    assert tokens.authenticate(db.session, issued.secret[:-1] + "x", "read:learners", NOW) is None
    for junk in (None, "", "okrt_", "Bearer x", issued.secret + "x" * 100, issued.secret[5:]):
        assert tokens.authenticate(db.session, junk, "read:learners", NOW) is None
    assert tokens.revoke(db.session, None, issued.token, NOW) is True
    assert tokens.revoke(db.session, None, issued.token, NOW) is False
    assert tokens.authenticate(db.session, issued.secret, "read:learners", NOW) is None


def test_last_use_is_written_at_most_once_a_minute(db, make_org):
    issued = tokens.issue(db.session, None, make_org(), "Reports", ["read:learners"], NOW)
    tokens.authenticate(db.session, issued.secret, "read:learners", NOW)
    tokens.authenticate(db.session, issued.secret, "read:learners", NOW + timedelta(seconds=30))
    assert issued.token.last_used_at == NOW
    tokens.authenticate(db.session, issued.secret, "read:learners", NOW + timedelta(minutes=2))
    assert issued.token.last_used_at == NOW + timedelta(minutes=2)


@pytest.mark.parametrize("name, scopes", [("", ["scim"]), ("x" * 81, ["scim"]),
                                          ("Okta", []), ("Okta", ["admin"]),
                                          ("Okta", ["scim", "write:everything"])])
def test_a_token_needs_a_name_and_known_scopes(db, make_org, name, scopes):
    with pytest.raises(DomainError):
        tokens.issue(db.session, None, make_org(), name, scopes, NOW)


# --- the page -------------------------------------------------------------------------------

def test_hr_creates_a_token_sees_it_once_then_only_its_prefix(db, browser, login_as, make_org):
    org = make_org("Acme")
    hr = login_as("hr", org=org)
    page = f"/organisations/{org.slug}/api-tokens/"
    response = browser.post(page, {"name": "Okta", "scopes": ["scim"]})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    secret = re.search(r'value="(okrt_[^"]+)"', html).group(1)
    assert 'data-copy="new-token"' in html and response.headers["Cache-Control"] == "no-store"
    token = db.session.scalars(select(OrganisationToken)).one()
    assert token.created_by_id == hr.id and token.organisation_id == org.id
    later = browser.get(page).get_data(as_text=True)
    assert secret not in later and f"{token.prefix}…" in later and "Never" in later
    assert browser.get("/scim/v2/Users", headers=bearer(secret)).status_code == 200


def test_a_refused_form_says_why_and_creates_nothing(db, browser, login_as, make_org):
    org = make_org()
    login_as("hr", org=org)
    response = browser.post(f"/organisations/{org.slug}/api-tokens/", {"name": "Okta"})
    assert response.status_code == 400
    assert "Choose at least one of the scopes offered." in response.get_data(as_text=True)
    assert db.session.scalars(select(OrganisationToken)).all() == []


def test_revoking_asks_first_then_the_token_stops_working(db, browser, login_as, make_org):
    org = make_org()
    login_as("hr", org=org)
    secret = issue_token(db, org, "scim")
    token = db.session.scalars(select(OrganisationToken)).one()
    confirm = f"/organisations/{org.slug}/api-tokens/{token.id}/revoke"
    assert "cannot be undone" in browser.get(confirm).get_data(as_text=True)
    assert browser.get("/scim/v2/Users", headers=bearer(secret)).status_code == 200
    response = browser.post(confirm, {})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(OrganisationToken, token.id).revoked_at is not None
    assert browser.get("/scim/v2/Users", headers=bearer(secret)).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "token.revoke" in actions


def test_only_the_organisations_hr_and_admins_manage_its_tokens(db, client, login_as,
                                                                make_org, make_user):
    org, other = make_org("Acme"), make_org("Globex")
    page = f"/organisations/{org.slug}/api-tokens/"
    login_as("hr", org=other)
    assert client.get(page).status_code == 403
    login_as("learner", org=org)
    assert client.get(page).status_code == 403
    login_as("admin")
    assert client.get(page).status_code == 200
    assert client.get("/organisations/nowhere/api-tokens/").status_code == 404
    secret = issue_token(db, other, "scim")
    other_token = db.session.scalars(select(OrganisationToken)).one()
    assert client.get(f"{page}{other_token.id}/revoke").status_code == 404
    assert secret


def test_the_organisation_pages_link_to_the_tokens(db, client, login_as, make_org):
    org = make_org("Acme")
    login_as("hr", org=org)
    link = f"/organisations/{org.slug}/api-tokens/"
    assert link in client.get("/hr/organisation").get_data(as_text=True)
    login_as("admin")
    assert link in client.get("/admin/organisations").get_data(as_text=True)
