"""Status anyone can check: the W3C Bitstring Status Lists of revocation and suspension."""
from __future__ import annotations

import base64
import gzip
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import KeySet

from app import create_app
from app.certificates import data_integrity, routes, services, status_list
from app.certificates.extension import issuer_for
from app.extensions import db as database
from app.models import Certificate
from config import TestConfig
from tests.factories import import_example_course, meet_rule, statements_run

ROOT = Path(__file__).resolve().parent.parent
NODE_CHECK = ROOT / "tests" / "node" / "status_list_check.mjs"
NODE_LIBRARY = ROOT / "node_modules" / "@digitalbazaar" / "vc-bitstring-status-list"
#: when the lists are served in these tests (routes read the clock once per request)
SERVED_AT = datetime(2025, 6, 1, 10, 42, tzinfo=UTC)
ACTION_AT = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
REVOCATION_URL = "/credentials/status/revocation"
SUSPENSION_URL = "/credentials/status/suspension"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: SERVED_AT)


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def certificates(db, make_user, course) -> list[Certificate]:
    """Three learners' certificates, issued in this order."""
    issued = []
    for name in ("Ada First", "Ben Second", "Cy Third"):
        user = make_user(name=name)
        meet_rule(db, user, course)
        issued.append(services.live_certificate(db.session, user, course))
    return issued


def fetch_list(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def bits_of(client, url: str) -> bytes:
    credential = fetch_list(client, url).get_json()
    return status_list.decode(credential["credentialSubject"]["encodedList"])


def set_in(client, url: str) -> set[int]:
    return status_list.set_entries(bits_of(client, url))


# --- encoding -------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3).flatmap(lambda blocks: st.tuples(
    st.just(blocks * status_list.BLOCK_ENTRIES),
    st.frozensets(st.integers(min_value=0, max_value=blocks * status_list.BLOCK_ENTRIES - 1),
                  max_size=200))))
def test_encoding_round_trips_any_set_of_entries(case):
    length, indexes = case
    encoded = status_list.encode(indexes, length)
    assert encoded.startswith("u") and "=" not in encoded
    assert set(encoded[1:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_")
    bits = status_list.decode(encoded)
    assert len(bits) * 8 == length
    assert status_list.set_entries(bits) == set(indexes)
    assert all(status_list.is_set(bits, index) for index in indexes)


def test_entry_zero_is_the_left_most_bit_of_the_first_byte():
    bits = status_list.decode(status_list.encode({0, 9}, status_list.BLOCK_ENTRIES))
    assert bits[:2] == bytes([0b1000_0000, 0b0100_0000])
    assert gzip.decompress(base64.urlsafe_b64decode(
        status_list.encode({0}, 8)[1:] + "==="))[0] == 0x80


def test_the_same_statuses_encode_to_the_same_text():
    assert status_list.encode({5, 3}, 1024) == status_list.encode([3, 5], 1024)


def test_lists_cover_every_entry_in_whole_16_kilobyte_blocks():
    assert status_list.list_length(None) == 131_072 == 16 * 1024 * 8
    assert status_list.list_length(131_071) == 131_072
    assert status_list.list_length(131_072) == 2 * 131_072


@pytest.mark.parametrize("bad", [
    "", "zAAAA", "u!!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode(),
    "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 100, mtime=0)[:-6]).decode(),
    "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 2_000_000, mtime=0)).decode(),
])
def test_a_malformed_list_is_refused(bad):
    with pytest.raises(status_list.StatusListError):
        status_list.decode(bad)


def test_encoding_refuses_entries_outside_the_list():
    with pytest.raises(ValueError):
        status_list.encode({8}, 8)
    with pytest.raises(ValueError):
        status_list.encode({-1}, 8)
    with pytest.raises(IndexError):
        status_list.is_set(bytes(1), 8)


# --- entries and credentialStatus -----------------------------------------------------------

def test_issuance_gives_each_certificate_the_next_entry(certificates):
    assert [c.status_list_index for c in certificates] == [0, 1, 2]


def test_a_credential_names_its_entry_in_both_lists(certificates):
    entries = status_list.credential_status(certificates[1], "https://academy.example/")
    assert entries == [
        {"id": "https://academy.example/credentials/status/revocation#1",
         "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
         "statusListIndex": "1",
         "statusListCredential": "https://academy.example/credentials/status/revocation"},
        {"id": "https://academy.example/credentials/status/suspension#1",
         "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
         "statusListIndex": "1",
         "statusListCredential": "https://academy.example/credentials/status/suspension"},
    ]


def test_the_badge_carries_its_revocation_entry(client, login_as, certificates):
    certificate = certificates[2]
    login_as(certificate.user)
    credential = client.get(f"/certificates/{certificate.code}/badge.json").get_json()
    # OB 3.0 allows one credentialStatus, an object (its JSON schema refuses a list)
    assert credential["credentialStatus"] == status_list.credential_status(
        certificate, "http://localhost")[0]
    assert credential["credentialStatus"]["statusListIndex"] == "2"
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"


# --- the published lists --------------------------------------------------------------------

def test_the_lists_are_public_and_at_least_16_kilobytes(client, certificates):
    for url, purpose in ((REVOCATION_URL, "revocation"), (SUSPENSION_URL, "suspension")):
        response = fetch_list(client, url)
        assert response.mimetype == "application/json"
        credential = response.get_json()
        assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert credential["id"] == f"http://localhost{url}"
        assert credential["issuer"]["id"] == "did:web:localhost"
        assert (credential["validFrom"], credential["validUntil"]) == (
            "2025-06-01T10:00:00Z", "2025-06-02T10:00:00Z")
        subject = credential["credentialSubject"]
        assert subject["type"] == "BitstringStatusList"
        assert subject["statusPurpose"] == purpose
        assert subject["ttl"] == 300_000
        bits = status_list.decode(subject["encodedList"])
        assert len(bits) >= 16 * 1024 and not any(bits)


def test_revoking_sets_the_bit_in_the_revocation_list_only(db, client, certificates):
    services.revoke(db.session, None, certificates[1].code, "Exam fraud", ACTION_AT)
    db.session.commit()
    assert set_in(client, REVOCATION_URL) == {1}
    assert set_in(client, SUSPENSION_URL) == set()


def test_suspending_sets_the_bit_in_the_suspension_list_and_reinstating_clears_it(
        db, client, certificates):
    services.suspend(db.session, None, certificates[0].code, "Complaint", ACTION_AT)
    services.suspend(db.session, None, certificates[2].code, "Complaint", ACTION_AT)
    db.session.commit()
    assert set_in(client, SUSPENSION_URL) == {0, 2}
    assert set_in(client, REVOCATION_URL) == set()
    services.unsuspend(db.session, None, certificates[0].code, ACTION_AT, "Cleared")
    db.session.commit()
    assert set_in(client, SUSPENSION_URL) == {2}
    services.revoke(db.session, None, certificates[2].code, "Confirmed", ACTION_AT)
    db.session.commit()
    assert (set_in(client, SUSPENSION_URL), set_in(client, REVOCATION_URL)) == (set(), {2})


def test_an_admin_revoking_in_the_browser_updates_the_list(db, browser, login_as, certificates):
    login_as("admin")
    code = certificates[0].code
    url = f"/admin/certificates/{code}/status"
    response = browser.post(url, {"action": "revoke", "reason": "Issued to the wrong account",
                                  "public_reason": "issued_in_error", "confirm_code": code},
                            token_from=f"{url}?action=revoke")
    assert response.status_code == 302
    assert set_in(browser, REVOCATION_URL) == {0}


def test_the_list_is_cached_with_a_strong_etag_and_answers_304(db, client, certificates):
    first = fetch_list(client, REVOCATION_URL)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept" in [part.strip() for part in first.headers["Vary"].split(",")]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(REVOCATION_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    services.revoke(db.session, None, certificates[0].code, "Fraud", ACTION_AT)
    db.session.commit()
    changed = client.get(REVOCATION_URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    jwt_etag = fetch_list(client, REVOCATION_URL, Accept="application/vc+jwt").headers["ETag"]
    assert jwt_etag not in (etag, changed.headers["ETag"])


def test_an_unknown_list_is_not_found(client):
    assert client.get("/credentials/status/refresh").status_code == 404
    assert client.get("/credentials/status/").status_code == 404


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_the_jwt_verifies_with_the_published_jwks(db, client, certificates):
    services.revoke(db.session, None, certificates[1].code, "Fraud", ACTION_AT)
    db.session.commit()
    response = fetch_list(client, REVOCATION_URL, Accept="application/vc+jwt")
    assert response.mimetype == "application/vc+jwt"
    jwks = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    token = jwt.decode(response.get_data(as_text=True), jwks, algorithms=["EdDSA"])
    assert token.header["typ"] == "vc+jwt" and token.header["alg"] == "EdDSA"
    claims = dict(token.claims)
    credential = fetch_list(client, REVOCATION_URL).get_json()
    credential.pop("proof")
    assert {key: claims[key] for key in credential} == credential
    assert claims["iss"] == credential["issuer"]["id"] and claims["jti"] == credential["id"]
    assert claims["nbf"] < int(SERVED_AT.timestamp()) < claims["exp"]
    bits = status_list.decode(claims["credentialSubject"]["encodedList"])
    assert status_list.set_entries(bits) == {1}


def test_the_json_list_carries_a_data_integrity_proof(app, client, certificates):
    response = fetch_list(client, SUSPENSION_URL, Accept="application/vc")
    assert response.mimetype == "application/vc"
    credential = json.loads(response.data)
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    keyring = issuer_for(app).keyring
    assert data_integrity.verify_proof(credential, keyring.signing_key.public_key())
    credential["credentialSubject"]["encodedList"] = status_list.encode({0}, 131_072)
    assert not data_integrity.verify_proof(credential, keyring.signing_key.public_key())


def test_a_list_is_read_in_one_query(db, certificates):
    statements = statements_run(db, lambda: status_list.load(db.session, "revocation"))
    assert len(statements) == 1


# --- checked by the npm library -------------------------------------------------------------

def run_node_check(payload: dict) -> dict:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not NODE_LIBRARY.is_dir():
        pytest.skip("@digitalbazaar/vc-bitstring-status-list is not installed (npm ci)")
    result = subprocess.run(["node", str(NODE_CHECK)], input=json.dumps(payload),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_npm_status_list_library_reports_a_revoked_certificate_revoked(
        db, client, login_as, certificates):
    revoked, suspended, valid = certificates
    badges = {}
    for certificate in certificates:  # collected while valid: a holder keeps what they saved
        login_as(certificate.user)
        badges[certificate.code] = client.get(
            f"/certificates/{certificate.code}/badge.json").get_json()
    services.revoke(db.session, None, revoked.code, "Fraud", ACTION_AT)
    services.suspend(db.session, None, suspended.code, "Complaint", ACTION_AT)
    db.session.commit()
    documents = {f"http://localhost{url}": fetch_list(client, url).get_json()
                 for url in (REVOCATION_URL, SUSPENSION_URL)}
    revoked_by_library = {}
    for certificate in certificates:
        report = run_node_check({"credential": badges[certificate.code], "documents": documents})
        assert report["checkStatus"]["verified"], report
        [result] = report["checkStatus"]["results"]
        assert result["statusPurpose"] == "revocation"
        revoked_by_library[certificate.code] = result["status"]
    assert revoked_by_library == {revoked.code: True, suspended.code: False, valid.code: False}
    # the suspension list, read by the same library at each certificate's entry
    suspension = documents[f"http://localhost{SUSPENSION_URL}"]["credentialSubject"]
    report = run_node_check({"lists": [{"encodedList": suspension["encodedList"],
                                        "indexes": [c.status_list_index for c in certificates]}]})
    assert report["lists"][0]["statuses"] == [False, True, False]


def test_the_npm_library_reads_our_bit_order():
    indexes = [0, 1, 7, 8, 1000, 131_071]
    report = run_node_check({"lists": [
        {"encodedList": status_list.encode({0, 8, 131_071}, 131_072), "indexes": indexes}]})
    assert report["lists"] == [{"length": 131_072,
                                "statuses": [True, False, False, True, False, True]}]


# --- the migration --------------------------------------------------------------------------

def test_the_migration_numbers_existing_certificates_in_issue_order(tmp_path):
    path = tmp_path / "before.sqlite3"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                  "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0007")
        database.engine.dispose()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("INSERT INTO courses (id, slug, title, status, created_at)"
                           " VALUES (1, 'c', 'C', 'published', '2025-01-01 00:00:00')")
        connection.execute(
            "INSERT INTO course_versions (id, course_id, number, content_hash, title, summary,"
            " description_html, certificate_template, sequential, spec, source, created_at)"
            " VALUES (1, 1, 1, 'h', 'C', '', '', 'default', 0, '{}', 'folder',"
            " '2025-01-01 00:00:00')")
        for row_id in (5, 2, 9):
            connection.execute(
                "INSERT INTO users (id, email, name, password_hash, is_active_account, created_at)"
                " VALUES (?, ?, 'H', 'x', 1, '2025-01-01 00:00:00')",
                (row_id, f"holder{row_id}@example.com"))
            connection.execute(
                "INSERT INTO certificates (id, code, user_id, course_id, version_id, holder_name,"
                " course_title, course_slug, version_number, issued_at, status, key_id, payload,"
                " signature, pdf, pdf_sha256) VALUES (?, ?, ?, 1, 1, 'H', 'T', 't', 1,"
                " '2025-01-01 00:00:00', 'active', 'k', '{}', 's', x'00', 'h')",
                (row_id, f"CODE-{row_id}", row_id))
    connection.close()
    with app.app_context():
        upgrade()
        rows = database.session.execute(database.text(
            "SELECT id, status_list_index FROM certificates ORDER BY id")).all()
        database.session.remove()
        database.engine.dispose()
    assert [tuple(row) for row in rows] == [(2, 0), (5, 1), (9, 2)]
