"""Open Badges 3.0 as its verifiers read it: the JWT proof format, the holder's identity, the
embedded Data Integrity proof, the content, checked with tools we did not write (the 1EdTech
JSON schema, PyJWT, Digital Bazaar's verifier from npm)."""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates import data_integrity, services
from app.certificates.badge import (
    OB_SCHEMA_URL, BadgeError, build_credential, email_identity_hash, holder_identity,
    sign_credential, verify_badge,
)
from app.certificates.did import base58btc, base58btc_decode, did_web
from app.certificates.pdf import sample_facts
from app.certificates.signing import KeyConfigError, KeyRing, RsaKey, generate_key_file
from tests.factories import import_example_course
from tests.test_certificate_issuance import meet_rule, no_auto_issue  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
NODE_VERIFIER = ROOT / "tests" / "node" / "verify_credential.mjs"
NODE_PACKAGES = ("@digitalbazaar/vc", "@digitalbazaar/data-integrity",
                 "@digitalbazaar/eddsa-rdfc-2022-cryptosuite")
#: a day the test certificates are valid on (issued 2025-05-05, valid until 2027-05-05)
VALID_DAY = "2026-01-01T00:00:00Z"


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def holder(db, make_user, course):
    user = make_user(name="Morgan Holder", email="morgan.holder@example.com")
    meet_rule(db, user, course)
    return user


@pytest.fixture
def certificate(db, holder, course):
    return services.live_certificate(db.session, holder, course)


@pytest.fixture
def badge_json(client, login_as, holder, certificate) -> dict:
    login_as(holder)
    response = client.get(f"/certificates/{certificate.code}/badge.json")
    assert response.status_code == 200
    return response.get_json()


def jwt_of(client, certificate, alg: str | None = None) -> str:
    query = f"?alg={alg}" if alg else ""
    response = client.get(f"/certificates/{certificate.code}/badge.jwt{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def segment(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def did_document(client) -> dict:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    return response.get_json()


# --- the JWT proof format ---------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "EdDSA"])
def test_the_jwt_verifies_with_pyjwt_and_the_key_its_kid_serves(app, client, login_as, holder,
                                                                 certificate, badge_json, alg):
    token = jwt_of(client, certificate, alg)
    header = segment(token, 0)
    assert set(header) == {"alg", "kid", "typ"}  # OB 3.0 allows no other JOSE header
    assert header["alg"] == alg and header["typ"] == "JWT"
    kid_url = urlsplit(header["kid"])
    assert (kid_url.scheme, kid_url.netloc) == ("http", "localhost")
    served = app.test_client().get(kid_url.path)  # what a verifier dereferences, anonymously
    assert served.status_code == 200 and served.headers["Access-Control-Allow-Origin"] == "*"
    jwk = served.get_json()
    assert "d" not in jwk and jwk["alg"] == alg
    claims = pyjwt.decode(token, pyjwt.PyJWK(jwk).key, algorithms=[alg],
                          options={"require": ["iss", "sub", "jti", "nbf", "exp"],
                                   "verify_exp": False, "verify_nbf": False})
    subject = badge_json["credentialSubject"]
    assert claims["iss"] == badge_json["issuer"]["id"]
    assert claims["sub"] == subject["id"]
    assert claims["jti"] == badge_json["id"]
    assert claims["nbf"] == 1746403200  # validFrom 2025-05-05T00:00:00Z
    assert claims["exp"] == 1809475200  # validUntil 2027-05-05T00:00:00Z
    assert {key: claims[key] for key in badge_json} == badge_json  # the credential, proof included


def test_rs256_is_the_default_and_other_algorithms_are_refused(client, login_as, holder,
                                                                certificate):
    login_as(holder)
    assert segment(jwt_of(client, certificate), 0)["alg"] == "RS256"
    for alg in ("none", "HS256", "ES256", ""):
        response = client.get(f"/certificates/{certificate.code}/badge.jwt?alg={alg}")
        assert response.status_code == 400


def test_a_jwt_signed_by_another_key_or_changed_does_not_verify(client, login_as, holder,
                                                                 certificate):
    login_as(holder)
    token = jwt_of(client, certificate, "RS256")
    jwk = client.get(urlsplit(segment(token, 0)["kid"]).path).get_json()
    head, payload, signature = token.split(".")
    claims = segment(token, 1)
    claims["credentialSubject"]["result"][0]["value"] = "Failed"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(f"{head}.{forged}.{signature}", pyjwt.PyJWK(jwk).key, algorithms=["RS256"],
                     options={"verify_exp": False})
    ed_jwk = client.get(urlsplit(segment(jwt_of(client, certificate, "EdDSA"), 0)["kid"]).path)
    with pytest.raises(pyjwt.InvalidTokenError):  # the RS256 token under the EdDSA key
        pyjwt.decode(token, pyjwt.PyJWK(ed_jwk.get_json()).key, algorithms=["EdDSA"],
                     options={"verify_exp": False})


def test_the_jwks_and_the_key_urls_publish_both_keys_and_nothing_private(client, certificate):
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert {(key["kty"], key["alg"], key["use"]) for key in keys} == {
        ("OKP", "EdDSA", "sig"), ("RSA", "RS256", "sig")}
    for key in keys:
        served = client.get(f"/keys/{key['kid']}.json")
        assert served.get_json() == key
        assert served.headers["Cache-Control"] == "public, max-age=300"
    rsa = next(key for key in keys if key["kty"] == "RSA")
    assert len(base64.urlsafe_b64decode(rsa["n"] + "==")) * 8 >= 2048
    assert client.get("/keys/no-such-key.json").status_code == 404
    assert client.get("/keys/..%2F..%2Fsecret_key.json").status_code == 404


# --- the holder ---------------------------------------------------------------------------------

def test_the_holder_has_a_stable_subject_id_that_reveals_nothing(app, db, client, login_as,
                                                                 make_user, course, holder,
                                                                 certificate, badge_json):
    subject = badge_json["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:")
    text = json.dumps(badge_json) + jwt_of(client, certificate, "EdDSA")
    assert holder.email not in text and "holder@" not in text
    again = client.get(f"/certificates/{certificate.code}/badge.json").get_json()
    assert again["credentialSubject"]["id"] == subject["id"]
    other = make_user(name="Robin Other", email="robin.other@example.com")
    meet_rule(db, other, course)
    login_as(other)
    code = services.live_certificate(db.session, other, course).code
    theirs = client.get(f"/certificates/{code}/badge.json").get_json()["credentialSubject"]
    assert theirs["id"].startswith("urn:uuid:") and theirs["id"] != subject["id"]
    assert theirs["identifier"][1]["salt"] != subject["identifier"][1]["salt"]


def test_the_email_is_only_a_salted_identity_hash(holder, badge_json):
    name, email = badge_json["credentialSubject"]["identifier"]
    assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                    "identityHash": "Morgan Holder"}
    assert email["type"] == "IdentityObject" and email["identityType"] == "emailAddress"
    assert email["hashed"] is True and len(email["salt"]) == 32
    expected = "sha256$" + hashlib.sha256(
        (holder.email + email["salt"]).encode()).hexdigest()  # as OB 3.0 says a verifier checks
    assert email["identityHash"] == expected == email_identity_hash(holder.email, email["salt"])


# --- content ----------------------------------------------------------------------------------

def test_the_credential_validates_against_the_1edtech_schema(badge_json):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    errors = [f"{list(error.path)}: {error.message[:200]}"
              for error in validator.iter_errors(badge_json)]
    assert errors == []


def test_the_credential_shows_what_wallets_show(client, badge_json):
    achievement = badge_json["credentialSubject"]["achievement"]
    assert achievement["criteria"]["narrative"]
    assert badge_json["credentialSchema"] == [
        {"id": OB_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]
    assert (badge_json["validFrom"], badge_json["validUntil"]) == (
        "2025-05-05T00:00:00Z", "2027-05-05T00:00:00Z")
    (description,) = achievement["resultDescription"]
    (result,) = badge_json["credentialSubject"]["result"]
    assert result == {"type": ["Result"], "resultDescription": description["id"],
                      "value": "Passed"}
    assert description["requiredValue"] == "Passed"
    # the score only if the holder agreed to show it: nobody is asked yet, so never
    assert not {"achievedLevel", "valueMax", "valueMin"} & (result.keys() | description.keys())
    assert "%" not in json.dumps(badge_json["credentialSubject"]["result"])
    image = achievement["image"]
    assert image["type"] == "Image"
    served = client.get(urlsplit(image["id"]).path)
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"
    assert b"OKR Essentials" in served.data and b"<script" not in served.data
    assert served.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/certificates/achievements/no-such-course/image.svg").status_code == 404


# --- the embedded Data Integrity proof ------------------------------------------------------------

def test_the_did_document_lists_our_ed25519_key_as_a_multikey(client, certificate, badge_json):
    document = did_document(client)
    assert document["id"] == "did:web:localhost" == badge_json["issuer"]["id"]
    (method,) = document["verificationMethod"]
    assert method["type"] == "Multikey" and method["controller"] == document["id"]
    assert document["assertionMethod"] == [method["id"]]
    (proof,) = badge_json["proof"]
    assert proof["verificationMethod"] == method["id"]
    multikey = base58btc_decode(method["publicKeyMultibase"][1:])
    assert method["publicKeyMultibase"].startswith("z6Mk") and multikey[:2] == b"\xed\x01"
    jwk = client.get(f"/keys/{certificate.key_id}.json").get_json()
    assert multikey[2:] == base64.urlsafe_b64decode(jwk["x"] + "=")


def test_the_proof_verifies_and_breaks_when_a_field_changes(client, badge_json):
    (proof,) = badge_json["proof"]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof", "eddsa-rdfc-2022", "assertionMethod")
    assert proof["proofValue"].startswith("z")
    (method,) = did_document(client)["verificationMethod"]
    key = Ed25519PublicKey.from_public_bytes(
        base58btc_decode(method["publicKeyMultibase"][1:])[2:])
    assert data_integrity.verify_proof(badge_json, key)
    changed = copy.deepcopy(badge_json)
    changed["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    assert not data_integrity.verify_proof(changed, key)


def test_canonicalisation_keeps_every_value_of_the_credential(badge_json):
    """A term no context defines would silently vanish from the signed N-Quads."""
    unsecured = {key: value for key, value in badge_json.items() if key != "proof"}
    nquads = data_integrity.canonical_nquads(unsecured)
    leaves = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif key != "@context":
            leaves.append(value)

    walk(unsecured)
    missing = [leaf for leaf in leaves
               if json.dumps(leaf).strip('"').lower() not in nquads.lower()
               and not (isinstance(leaf, str) and leaf in _type_terms())]
    assert missing == []
    assert "1EdTechJsonSchemaValidator2019>" in nquads  # the schema type, as an IRI


def _type_terms() -> set[str]:
    # JSON-LD types appear in N-Quads as their IRIs, which end with the term
    return {"VerifiableCredential", "OpenBadgeCredential", "Profile", "AchievementSubject",
            "IdentityObject", "Achievement", "ResultDescription", "Result", "Image",
            "1EdTechJsonSchemaValidator2019", "BitstringStatusListEntry"}


def test_contexts_load_offline_only():
    assert data_integrity.document_loader(
        "https://www.w3.org/ns/credentials/v2")["document"]["@context"]
    with pytest.raises(Exception, match="Refusing to load"):
        data_integrity.document_loader("https://example.com/evil-context.json")
    with pytest.raises(data_integrity.ProofError):
        data_integrity.canonical_nquads({"@context": "https://example.com/evil-context.json",
                                         "name": "x"})


# --- an independent verifier from npm ----------------------------------------------------------

def node_verify(tmp_path: Path, credential: dict, did: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    missing = [name for name in NODE_PACKAGES if not (ROOT / "node_modules" / name).is_dir()]
    if missing:
        pytest.skip(f"npm packages not installed ({', '.join(missing)}): run npm ci")
    request = tmp_path / "verify.json"
    request.write_text(json.dumps({
        "credential": credential, "didDocument": did,
        "contextsDir": str(data_integrity.CONTEXTS_DIR),
        "contexts": data_integrity.CONTEXT_FILES, "now": VALID_DAY}))
    result = subprocess.run([node, str(NODE_VERIFIER), str(request)], capture_output=True,
                            text=True, timeout=120, cwd=ROOT, check=False)
    assert result.stdout, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_digital_bazaars_verifier_accepts_the_proof_and_refuses_a_changed_field(
        tmp_path, client, badge_json):
    did = did_document(client)
    assert node_verify(tmp_path, badge_json, did) == {"verified": True, "errors": []}
    changed = copy.deepcopy(badge_json)
    changed["credentialSubject"]["achievement"]["name"] = "Something Else"
    verdict = node_verify(tmp_path, changed, did)
    assert verdict["verified"] is False and "Invalid signature." in verdict["errors"]


# --- the pieces, one by one -------------------------------------------------------------------

@pytest.mark.parametrize(("base_url", "did"), [
    ("https://okr.academy", "did:web:okr.academy"),
    ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
    ("https://example.org/academy/", "did:web:example.org:academy"),
])
def test_did_web_names_the_site(base_url, did):
    assert did_web(base_url) == did


def test_base58btc_round_trips_leading_zeros():
    for data in (b"", b"\0", b"\0\0\x01\xff", bytes(range(34))):
        assert base58btc_decode(base58btc(data)) == data
    assert base58btc(b"hello world") == "StV1DL6CwTryKyV"
    with pytest.raises(ValueError):
        base58btc_decode("0OIl")


def test_holder_identity_is_keyed_by_the_secret():
    first = holder_identity("secret", 7, "a@example.com", "CODE-1")
    assert first == holder_identity("secret", 7, "a@example.com", "CODE-1")
    assert first.subject_id == holder_identity("secret", 7, "a@example.com", "CODE-2").subject_id
    assert first.salt != holder_identity("secret", 7, "a@example.com", "CODE-2").salt
    assert first.subject_id != holder_identity("other", 7, "a@example.com", "CODE-1").subject_id
    assert holder_identity("secret", 7, None, "CODE-1").salt is None


def _encode(header: dict, claims: dict, keyring: KeyRing) -> str:
    """Sign any header and claims with the ring's key, as a forger holding it could."""
    from joserfc import jwt
    from joserfc.errors import SecurityWarning
    from joserfc.jwk import OKPKey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # "EdDSA" rather than "Ed25519"
        return jwt.encode(header, claims, OKPKey.import_key(keyring.signing_key),
                          algorithms=["EdDSA"])


def _signed(tmp_path, **header_changes) -> tuple[str, dict]:
    keyring = KeyRing.from_directory(tmp_path / "keys", create=True)
    credential = build_credential(
        sample_facts(), achievement_id="https://okr-academy.example/courses/x",
        description="d", criteria="c",
        holder=holder_identity("secret", 1, "a@example.com", "C"))
    token = sign_credential(credential, keyring)
    header = {**segment(token, 0), **header_changes}
    return _encode(header, segment(token, 1), keyring), keyring.jwks()


@pytest.mark.parametrize(("changes", "message"), [
    ({"cty": "vc"}, "allows no JOSE header cty"),
    ({"typ": "vc+jwt"}, "typ is not"),
    ({"kid": "https://okr-academy.example/keys/unknown.json"}, "not signed by one of"),
])
def test_verify_badge_holds_tokens_to_ob3_rules(tmp_path, changes, message):
    token, jwks = _signed(tmp_path, **changes)
    with pytest.raises(BadgeError, match=message):
        verify_badge(token, jwks)


def test_verify_badge_refuses_claims_that_disagree_with_the_credential(tmp_path):
    token, jwks = _signed(tmp_path)
    claims = {**segment(token, 1), "sub": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    forged = _encode(segment(token, 0), claims, KeyRing.from_directory(tmp_path / "keys"))
    with pytest.raises(BadgeError, match="sub disagree"):
        verify_badge(forged, jwks)


def test_the_rsa_key_setting_is_checked(tmp_path):
    with pytest.raises(KeyConfigError, match="^BADGE_RSA_KEY_PATH is not set"):
        RsaKey.from_path("", "BADGE_RSA_KEY_PATH")
    with pytest.raises(KeyConfigError, match="^BADGE_RSA_KEY_PATH: .* not RSA"):
        RsaKey.from_path(generate_key_file(tmp_path / "ed"), "BADGE_RSA_KEY_PATH")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = tmp_path / "small.pem"
    path.write_bytes(small.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    with pytest.raises(KeyConfigError, match="1024 bits"):
        RsaKey.from_path(path, "BADGE_RSA_KEY_PATH")
    made = RsaKey.from_directory(tmp_path / "dev", create=True)
    assert RsaKey.from_directory(tmp_path / "dev").kid == made.kid  # made once, then kept
