"""The organisation read API: learners' progress and certificates, per token scope, one
organisation only, answers as the OpenAPI description documents them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sqlalchemy import select

from app.certificates import services as certificates
from app.courses import services as courses
from app.integrations import tokens
from app.models import OrganisationToken
from tests.factories import import_example_course, meet_rule
from tests.integrations_support import bearer, issue_token
from tests.test_verify_api import schema_errors

LEARNERS = "/api/v1/org/learners"
CERTIFICATES = "/api/v1/org/certificates"


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def assert_documented(response, spec, path: str) -> None:
    """The status is described for the operation and the body matches its schema."""
    described = spec["paths"][path]["get"]["responses"].get(str(response.status_code))
    assert described is not None, response.status_code
    schema = described["content"]["application/json"]["schema"]
    assert schema_errors(response.get_json(), schema, spec) == []


@pytest.fixture
def acme(db, make_org, make_user):
    """Acme with a certified learner, an enrolled one and a newcomer; Globex with one."""
    org = make_org("Acme")
    course = import_example_course(db)
    ada = make_user(org=org, name="Ada Lovelace")
    meet_rule(db, ada, course, datetime.now(UTC) - timedelta(days=1))
    grace = make_user(org=org, name="Grace Hopper")
    courses.enroll(db.session, grace, course, datetime.now(UTC))
    db.session.commit()
    make_user(org=org, name="Newcomer")
    make_user(org=make_org("Globex"), name="Someone Else")
    return org, ada, grace, certificates.live_certificate(db.session, ada, course)


def test_learners_with_their_progress_and_certificates(client, db, acme, spec):
    org, ada, grace, certificate = acme
    response = client.get(LEARNERS, headers=bearer(issue_token(db, org, "read:learners")))
    assert response.status_code == 200
    assert_documented(response, spec, LEARNERS)
    body = response.get_json()
    assert body["total"] == 3 and [p["name"] for p in body["data"]] == \
        ["Ada Lovelace", "Grace Hopper", "Newcomer"]
    first, second, newcomer = body["data"]
    assert first["enrolments"][0]["progress_percent"] == 100
    assert first["certificates"][0]["code"] == certificate.code
    assert first["certificates"][0]["verify_url"].endswith(f"/verify/{certificate.code}")
    assert first["certificates"][0]["status"] == "valid"
    assert second["enrolments"][0]["progress_percent"] == 0 and second["certificates"] == []
    assert newcomer["enrolments"] == []


@pytest.fixture
def plain_org(make_org, make_user):
    """An organisation of three members who have not started anything."""
    org = make_org("Plain")
    for n in range(3):
        make_user(org=org, name=f"Member {n}")
    return org


def test_pages_of_learners(client, db, plain_org):
    headers = bearer(issue_token(db, plain_org, "read:learners"))
    pages = [client.get(LEARNERS, headers=headers, query_string={"page": n, "per_page": 2})
             .get_json() for n in (1, 2, 3)]
    assert [len(p["data"]) for p in pages] == [2, 1, 0] and pages[1]["page"] == 2
    assert {p["total"] for p in pages} == {3}
    for junk in ({"per_page": 0}, {"per_page": 1000}, {"page": "x"}):
        assert client.get(LEARNERS, headers=headers, query_string=junk).status_code == 200


def test_one_learner_and_none_of_another_organisation(client, db, acme, spec, make_user,
                                                      make_org):
    org, ada, _, _ = acme
    headers = bearer(issue_token(db, org, "read:learners"))
    found = client.get(f"{LEARNERS}/{ada.id}", headers=headers)
    assert found.status_code == 200 and found.get_json()["email"] == ada.email
    assert_documented(found, spec, f"{LEARNERS}/{{learner_id}}")
    stranger = make_user(org=make_org("Initech"))
    missing = client.get(f"{LEARNERS}/{stranger.id}", headers=headers)
    assert missing.status_code == 404
    assert_documented(missing, spec, f"{LEARNERS}/{{learner_id}}")


def test_certificates_of_the_organisation(client, db, acme, spec):
    org, ada, _, certificate = acme
    response = client.get(CERTIFICATES, headers=bearer(issue_token(db, org,
                                                                   "read:certificates")))
    assert response.status_code == 200
    assert_documented(response, spec, CERTIFICATES)
    [only] = response.get_json()["data"]
    assert (only["code"], only["holder_name"], only["learner_id"]) == \
        (certificate.code, "Ada Lovelace", ada.id)


def test_scopes_are_kept_apart_and_a_revoked_or_missing_token_is_refused(client, db, plain_org,
                                                                         spec):
    org = plain_org
    learners_only = bearer(issue_token(db, org, "read:learners"))
    refused = client.get(CERTIFICATES, headers=learners_only)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert_documented(refused, spec, CERTIFICATES)
    assert client.get(LEARNERS, headers=bearer(issue_token(db, org, "scim"))).status_code == 401
    assert client.get(LEARNERS).status_code == 401
    token = db.session.scalars(select(OrganisationToken)
                               .where(OrganisationToken.scopes == "read:learners")).one()
    tokens.revoke(db.session, None, token, datetime.now(UTC))
    db.session.commit()
    assert client.get(LEARNERS, headers=learners_only).status_code == 401


def test_another_organisations_token_sees_only_its_own(client, db, plain_org, make_org):
    other = make_org("Initech")
    body = client.get(LEARNERS, headers=bearer(issue_token(db, other, "read:learners",
                                                           "read:certificates"))).get_json()
    assert body == {"data": [], "page": 1, "per_page": 50, "total": 0}


def test_the_description_names_the_operations_and_their_security(spec):
    operations = {path: spec["paths"][path]["get"]["operationId"]
                  for path in (LEARNERS, f"{LEARNERS}/{{learner_id}}", CERTIFICATES)}
    assert len(set(operations.values())) == 3
    assert spec["components"]["securitySchemes"]["organisationToken"]["scheme"] == "bearer"
    assert "security" not in spec["paths"]["/api/v1/certificates/{code}"]["get"]
