"""The verification API: verdicts as JSON, status codes, and responses that match the OpenAPI."""
from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.certificates import services as certificates
from tests.factories import import_example_course
from tests.factories import meet_rule

UNKNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


@pytest.fixture
def certificate(db, make_user):
    course = import_example_course(db)
    user = make_user(name="Grace Hopper")
    meet_rule(db, user, course, datetime.now(UTC) - timedelta(days=1))
    return certificates.live_certificate(db.session, user, course)


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    return document


# --- a small JSON Schema check: the subset our description uses ----------------------------------

def schema_errors(value, schema, spec, path="$") -> list[str]:
    """Where `value` breaks `schema` (type, enum, required, properties, items, oneOf, $ref)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return schema_errors(value, spec["components"]["schemas"][name], spec, path)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not schema_errors(value, s, spec, path)]
        return [] if len(matches) == 1 else [f"{path}: matches {len(matches)} of oneOf"]
    errors = []
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_is_type(value, t) for t in types):
            return [f"{path}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str) and "format" in schema:
        errors += _format_errors(value, schema["format"], path)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{path}: missing {name}" for name in schema.get("required", ())
                   if name not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {name}" for name in value if name not in properties]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], spec, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], spec, f"{path}[{i}]")
    return errors


def _is_type(value, kind: str) -> bool:
    return {
        "object": isinstance(value, dict), "array": isinstance(value, list),
        "string": isinstance(value, str), "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "null": value is None,
    }[kind]


def _format_errors(value: str, kind: str, path: str) -> list[str]:
    try:
        if kind == "date":
            date.fromisoformat(value)
        elif kind == "date-time":
            assert datetime.fromisoformat(value).tzinfo is not None
        elif kind == "uri":
            assert urlsplit(value).scheme in ("http", "https")
    except (ValueError, AssertionError):
        return [f"{path}: {value!r} is not a {kind}"]
    return []


def assert_matches_spec(response, spec, path_template="/api/v1/certificates/{code}"):
    """The response's status is described and its body matches the schema given for it."""
    operation = spec["paths"][path_template]["get"]
    described = operation["responses"].get(str(response.status_code))
    assert described is not None, f"status {response.status_code} is not described"
    assert response.mimetype == "application/json"
    schema = described["content"]["application/json"]["schema"]
    assert schema_errors(response.get_json(), schema, spec) == []


def test_the_schema_check_catches_mismatches(spec):
    verdict = {"$ref": "#/components/schemas/Verdict"}
    assert schema_errors({"verdict": "valid"}, verdict, spec)
    assert schema_errors({"code": "x"}, spec["components"]["schemas"]["Certificate"], spec)
    assert schema_errors("2026-13-01", {"type": "string", "format": "date"}, spec)


# --- the answers ------------------------------------------------------------------------------

def test_a_valid_certificate_as_json(client, certificate, spec):
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    assert response.status_code == 200
    assert_matches_spec(response, spec)
    body = response.get_json()
    assert body["verdict"] == "valid" and body["valid"] is True
    assert body["code"] == certificate.code
    assert body["certificate"]["holder_name"] == "Grace Hopper"
    assert body["certificate"]["expires_on"] == certificate.expires_at.date().isoformat()
    assert body["verify_url"] == f"http://localhost/verify/{certificate.code}"
    assert body["status"] is None
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Robots-Tag"].startswith("noindex")


def test_the_signed_record_checks_out_offline_against_the_jwks(client, certificate):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    record = client.get(f"/api/v1/certificates/{certificate.code}").get_json()["record"]
    jwks = client.get(urlsplit(record["jwks_url"]).path).get_json()
    key = next(k for k in jwks["keys"] if k["kid"] == record["key_id"])
    public_key = Ed25519PublicKey.from_public_bytes(b64url(key["x"]))
    public_key.verify(b64url(record["signature"]), record["payload"].encode())  # raises if bad


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_revoked_certificate_as_json_carries_reason_and_time(client, certificate, db, spec):
    certificates.revoke(db.session, None, certificate.code, "Fraud (case #4411).",
                        datetime.now(UTC), "assessment_integrity")
    db.session.commit()
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    assert response.status_code == 200
    assert_matches_spec(response, spec)
    body = response.get_json()
    assert body["verdict"] == "revoked" and body["valid"] is False
    assert body["status"]["reason"] == "The integrity of the assessment could not be confirmed."
    assert body["status"]["changed_at"] and "4411" not in response.get_data(as_text=True)


def test_a_tampered_record_as_json_has_no_facts(client, certificate, db, spec):
    certificate.holder_name = "Mallory Impostor"
    db.session.commit()
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    assert response.status_code == 200
    assert_matches_spec(response, spec)
    body = response.get_json()
    assert body["verdict"] == "tampered" and body["certificate"] is None
    assert body["record"] is None and body["reasons"]


@pytest.mark.parametrize("code, status, verdict", [
    (UNKNOWN, 404, "not_found"),
    ("OKR-7K3M-Q9TB-X2HD-4FRW-8", 400, "mistyped"),
    ("okr 7k3m q9tb x2hd 4frw", 400, "malformed"),
    ("1; DROP TABLE certificates", 400, "malformed"),
    ("Z" * 10_000, 400, "malformed"),
])
def test_unknown_and_unusable_codes_keep_the_same_shape(client, spec, code, status, verdict):
    response = client.get(f"/api/v1/certificates/{code}")
    assert response.status_code == status
    assert_matches_spec(response, spec)
    body = response.get_json()
    assert body["verdict"] == verdict and body["certificate"] is None and body["summary"]


def test_the_rate_limit_answer_matches_the_description(client, app, spec):
    app.config["VERIFY_LIMIT_PER_CLIENT"] = "1 per minute"
    client.get(f"/api/v1/certificates/{UNKNOWN}")
    response = client.get(f"/api/v1/certificates/{UNKNOWN}")
    assert response.status_code == 429
    assert_matches_spec(response, spec)
    assert int(response.headers["Retry-After"]) > 0


def test_the_description_names_every_verdict_and_the_server(spec):
    enum = spec["components"]["schemas"]["Verdict"]["properties"]["verdict"]["enum"]
    assert set(enum) == {"valid", "expired", "suspended", "revoked", "not_found", "mistyped",
                         "malformed", "tampered"}
    assert spec["servers"] == [{"url": "http://localhost"}]
    assert set(spec["paths"]["/api/v1/certificates/{code}"]["get"]["responses"]) == {
        "200", "400", "404", "429"}
