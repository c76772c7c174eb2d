"""The JSON form of a verdict and the OpenAPI 3.1 description the API answers by.

Both live here so that the description and the documents it describes change together;
the tests validate real responses against this description.
"""
from __future__ import annotations

from typing import Any

from app.certificates.codes import (
    CHECK_ALPHABET, CODE_PREFIX, DATA_ALPHABET, DATA_SYMBOLS, GROUP_SIZE,
)
from app.certificates.pdf import (
    ATTACHMENT_NAME, CREDENTIAL_ATTACHMENT_NAME, INFO_KEY_ID, INFO_PAYLOAD, INFO_SIGNATURE,
)
from app.certificates.payload import FIELD_ORDER as PAYLOAD_FIELD_ORDER
from app.certificates.signing import ALGORITHM
from app.verify.document import PdfVerdict
from app.verify.verdict import Outcome, Verdict

API_VERSION = "1.0.0"
#: HTTP status of a verification answer (page or API), by verdict; any other is 200
HTTP_STATUS = {Outcome.NOT_FOUND: 404, Outcome.MISTYPED: 400, Outcome.MALFORMED: 400}


def http_status(verdict: Verdict | PdfVerdict) -> int:
    """200 for any verdict on a certificate we know; 404 for an unknown code; 400 for junk."""
    return HTTP_STATUS.get(verdict.outcome, 200)


def verdict_document(verdict: Verdict, *, verify_url: str | None,
                     jwks_url: str | None) -> dict[str, Any]:
    """The verdict as the API returns it (same shape for every status); its sentences in the
    request's language, its machine fields never translated."""
    return {
        "verdict": str(verdict.outcome),
        "valid": verdict.is_valid,
        "code": verdict.code,
        "headline": str(verdict.headline),
        "summary": str(verdict.summary),
        "reasons": [str(reason) for reason in verdict.reasons],
        "certificate": _certificate(verdict),
        "status": _status(verdict),
        "record": _record(verdict, jwks_url),
        "verify_url": verify_url,
        "checked_at": verdict.checked_at.isoformat() if verdict.checked_at else None,
    }


def _certificate(verdict: Verdict) -> dict[str, Any] | None:
    stated = verdict.certificate
    if stated is None:
        return None
    return stated.to_dict()


def _status(verdict: Verdict) -> dict[str, Any] | None:
    if verdict.outcome not in (Outcome.REVOKED, Outcome.SUSPENDED):
        return None
    changed = verdict.status_changed_at
    reason = str(verdict.status_reason) if verdict.status_reason is not None else None
    return {"reason": reason, "changed_at": changed.isoformat() if changed else None}


def _record(verdict: Verdict, jwks_url: str | None) -> dict[str, Any] | None:
    if verdict.payload is None or verdict.outcome is Outcome.TAMPERED:
        return None
    return {"payload": verdict.payload, "signature": verdict.signature,
            "key_id": verdict.key_id, "algorithm": ALGORITHM, "jwks_url": jwks_url}


# --- the description ------------------------------------------------------------------------

def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


_STRING = {"type": "string"}
#: a code as printed, e.g. OKR-7K3M-Q9TB-X2HD-4FRW-9 (no alphabet holds a character that is
#: special inside a character class, in Python's or ECMA-262's regular expressions)
_GROUP = f"-[{DATA_ALPHABET}]{{{GROUP_SIZE}}}"
CODE_PATTERN = f"^{CODE_PREFIX}(?:{_GROUP}){{{DATA_SYMBOLS // GROUP_SIZE}}}-[{CHECK_ALPHABET}]$"
_DATE = {"type": "string", "format": "date"}
_DATETIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Verdict": {
        "type": "object",
        "additionalProperties": False,
        "required": ["verdict", "valid", "code", "headline", "summary", "reasons", "certificate",
                     "status", "record", "verify_url", "checked_at"],
        "properties": {
            "verdict": {"type": "string", "enum": [str(o) for o in Outcome],
                        "description": "valid, expired, suspended, revoked: a certificate we "
                                       "issued (its record intact); tampered: its record fails "
                                       "our integrity check; not_found: no certificate has "
                                       "this code; mistyped: the check symbol disagrees; "
                                       "malformed: not a certificate code at all."},
            "valid": {"type": "boolean", "description": "True only for verdict valid."},
            "code": _nullable({**_STRING, "description": "The canonical code."}),
            "headline": _STRING,
            "summary": {**_STRING, "description": "One sentence for a person."},
            "reasons": {"type": "array", "items": _STRING},
            "certificate": {"oneOf": [{"$ref": "#/components/schemas/Certificate"},
                                      {"type": "null"}]},
            "status": {"oneOf": [{"$ref": "#/components/schemas/StatusChange"},
                                 {"type": "null"}]},
            "record": {"oneOf": [{"$ref": "#/components/schemas/SignedRecord"},
                                 {"type": "null"}]},
            "verify_url": _nullable({**_STRING, "format": "uri"}),
            "checked_at": _nullable(_DATETIME),
        },
    },
    "Certificate": {
        "type": "object",
        "additionalProperties": False,
        "description": "What the certificate states, from its signed record; nothing else.",
        "required": list(PAYLOAD_FIELD_ORDER),
        "properties": {**{name: _STRING for name in PAYLOAD_FIELD_ORDER},
                       "course_version": {"type": "integer", "minimum": 1,
                                          "description": "An integer, as in the signed payload."},
                       "issued_on": _DATE, "expires_on": _nullable(_DATE)},
    },
    "StatusChange": {
        "type": "object",
        "additionalProperties": False,
        "description": "Why and when a certificate was revoked or suspended.",
        "required": ["reason", "changed_at"],
        "properties": {"reason": _nullable(_STRING), "changed_at": _nullable(_DATETIME)},
    },
    "SignedRecord": {
        "type": "object",
        "additionalProperties": False,
        "description": "The Ed25519-signed payload, to check offline against the JWKS.",
        "required": ["payload", "signature", "key_id", "algorithm", "jwks_url"],
        "properties": {
            "payload": {**_STRING, "description": (
                "The signed payload: canonical JSON (keys sorted, no spaces). Its UTF-8 bytes, "
                "exactly as served here, are what was signed: verify those bytes, do not "
                "re-serialise the JSON.")},
            "signature": {**_STRING, "pattern": "^[A-Za-z0-9_-]{86}$", "description": (
                "The Ed25519 signature (64 bytes) over the payload's raw UTF-8 bytes, in "
                "base64url without padding.")},
            "key_id": _STRING,
            "algorithm": {"type": "string", "enum": [ALGORITHM]},
            "jwks_url": _nullable({**_STRING, "format": "uri"}),
        },
    },
    "Error": {
        "type": "object",
        "additionalProperties": False,
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": _STRING},
        }},
    },
}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verdict"}}}}


PDF_DESCRIPTION = (
    "**The certificate PDF** carries the same signed record, so it can be checked offline: an "
    f"embedded file `{ATTACHMENT_NAME}` (JSON with `payload`, the exact signed string; "
    "`signature`, unpadded base64url Ed25519 over the payload's UTF-8 bytes; `kid`, the key's "
    "RFC 7638 thumbprint in the JWKS; `alg`, `EdDSA`), the same three values in the document "
    f"information keys `/{INFO_PAYLOAD}`, `/{INFO_SIGNATURE}` and `/{INFO_KEY_ID}`, and an "
    f"embedded file `{CREDENTIAL_ATTACHMENT_NAME}` holding the Open Badges 3.0 credential; both "
    "files have the associated-file relationship `Data`. The PDF is PDF/A-3b and carries a "
    "PAdES signature covering the whole file.")


def openapi_document(server_url: str, issuer: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the public verification API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{issuer} certificate verification",
            "version": API_VERSION,
            "description": "Check a certificate code: is it genuine, and is it valid today? "
                           "No account is needed; requests are rate-limited per client.\n\n"
                           + PDF_DESCRIPTION,
        },
        "servers": [{"url": server_url}],
        "paths": {**ORG_PATHS, "/api/v1/certificates/{code}": {"get": {
            "operationId": "verifyCertificate",
            "summary": "Verify a certificate by its code",
            "parameters": [{
                "name": "code", "in": "path", "required": True,
                "schema": {**_STRING, "pattern": CODE_PATTERN},
                "description": "The code as printed, e.g. OKR-7K3M-Q9TB-X2HD-4FRW-9. A code "
                               "typed by a person is read too: case, spaces and dashes do not "
                               "matter, O stands for 0, I and L for 1.",
            }],
            "responses": {
                "200": _answer("A certificate we issued: valid, expired, suspended, revoked "
                               "or tampered."),
                "400": _answer("Not a usable code: mistyped or malformed."),
                "404": _answer("No certificate has this code."),
                "429": {"description": "Too many requests from this client; retry later.",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }}},
        "components": {"schemas": {**SCHEMAS, **ORG_SCHEMAS},
                       "securitySchemes": {"organisationToken": {
                           "type": "http", "scheme": "bearer",
                           "description": "An organisation API token, created by the "
                                          "organisation's HR on its API tokens page, with the "
                                          "scope the operation names."}}},
    }


# --- the organisation read API (served by the organisation's integrations) -------------------

def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_INTEGER = {"type": "integer"}
_ORG_ERRORS = {
    "401": {**_json("No token, or not a live token of the organisation with this scope.",
                    "Error"), "headers": {"WWW-Authenticate": {"schema": _STRING}}},
    "429": {**_json("Too many requests with this token; retry later.", "Error"),
            "headers": {"Retry-After": {"schema": _INTEGER}}},
}
_PAGING = [
    {"name": "page", "in": "query", "required": False, "description": "From 1; default 1.",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "required": False,
     "description": "1 to 100; default 50.",
     "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]


def _paged(item: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["data", "page", "per_page", "total"],
            "properties": {"data": {"type": "array", "items": _ref(item)}, "page": _INTEGER,
                           "per_page": _INTEGER, "total": _INTEGER}}


def _operation(operation_id: str, summary: str, scope: str, answer: dict[str, Any],
               parameters: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"get": {
        "operationId": operation_id, "summary": summary, "parameters": parameters,
        "description": f"Needs an organisation API token with the scope `{scope}`; it reads "
                       "that organisation only.",
        "security": [{"organisationToken": []}],
        "responses": {"200": answer, **more, **_ORG_ERRORS}}}


ORG_SCHEMAS: dict[str, Any] = {
    "OrgCertificate": {
        "type": "object", "additionalProperties": False,
        "required": ["code", "learner_id", "holder_name", "course_slug", "course_title",
                     "issued_at", "expires_at", "status", "verify_url"],
        "properties": {
            "code": _STRING, "learner_id": _INTEGER, "holder_name": _STRING,
            "course_slug": _STRING, "course_title": _STRING, "issued_at": _DATETIME,
            "expires_at": _nullable(_DATETIME),
            "status": {"type": "string",
                       "enum": ["valid", "expired", "suspended", "revoked", "superseded"]},
            "verify_url": {**_STRING, "format": "uri"},
        },
    },
    "Enrolment": {
        "type": "object", "additionalProperties": False,
        "required": ["course_slug", "course_title", "enrolled_at", "lessons_completed",
                     "lessons_total", "progress_percent"],
        "properties": {
            "course_slug": _STRING, "course_title": _STRING, "enrolled_at": _DATETIME,
            "lessons_completed": _INTEGER, "lessons_total": _INTEGER,
            "progress_percent": {"type": "integer", "minimum": 0, "maximum": 100,
                                 "description": "Lessons completed in the course's current "
                                                "version, in whole percent."},
        },
    },
    "Learner": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "name", "email", "active", "enrolments", "certificates"],
        "properties": {
            "id": _INTEGER, "name": {**_STRING, "description": "The name certificates carry."},
            "email": _STRING, "active": {"type": "boolean"},
            "enrolments": {"type": "array", "items": _ref("Enrolment")},
            "certificates": {"type": "array", "items": _ref("OrgCertificate")},
        },
    },
    "LearnerPage": _paged("Learner"),
    "CertificatePage": _paged("OrgCertificate"),
}

ORG_PATHS: dict[str, Any] = {
    "/api/v1/org/learners": _operation(
        "listOrganisationLearners", "The organisation's learners, their progress and "
        "certificates", "read:learners", _json("A page of learners, by id.", "LearnerPage"),
        _PAGING),
    "/api/v1/org/learners/{learner_id}": _operation(
        "getOrganisationLearner", "One learner of the organisation", "read:learners",
        _json("The learner.", "Learner"),
        [{"name": "learner_id", "in": "path", "required": True,
          "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}],
        **{"404": _json("No learner with this id in the organisation.", "Error")}),
    "/api/v1/org/certificates": _operation(
        "listOrganisationCertificates", "The certificates of the organisation's learners",
        "read:certificates", _json("A page of certificates, newest first.", "CertificatePage"),
        _PAGING),
}
