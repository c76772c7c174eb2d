"""The production front: rate-limit counters the workers share, the client's address taken
through the trusted proxies only, and HTTP answers that say what they are (Allow on every 405,
API bodies as the OpenAPI description documents them, a property-based fuzzer over the API)."""
from __future__ import annotations

import re
import shutil
import string
import subprocess
from datetime import UTC, datetime, timedelta
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter, NumberConverter

from app import create_app
from app.certificates import services as certificates
from app.certificates.codes import CHECK_ALPHABET, DATA_ALPHABET, new_code
from app.models import VerificationLog
from app.verify.services import client_digest
from config import Config, ProductionConfig, TestConfig
from tests.factories import import_example_course, meet_rule

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

WRONG = "Wrong-password-1"
OPERATION = "/api/v1/certificates/{code}"
API_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]


# --- rate-limit counters: shared by the workers, or one worker -------------------------------

@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/okr")
    monkeypatch.setenv("MAIL_URL", "smtp://okr:secret@smtp.example.com:587")
    for name in ("RATELIMIT_STORAGE_URI", "SINGLE_WORKER", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("storage", [None, "memory://"], ids=["default", "explicit"])
def test_production_refuses_counters_kept_in_each_worker(production_env, monkeypatch, storage):
    if storage:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI is 'memory://'") as refusal:
        ProductionConfig.load()
    assert "SINGLE_WORKER=true" in str(refusal.value) and "redis://" in str(refusal.value)


def test_the_app_factory_refuses_them_at_start_up(production_env):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(ProductionConfig)


def test_production_starts_with_shared_counters_or_a_single_worker(production_env, monkeypatch):
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis.internal:6379/0")
    assert ProductionConfig.load()["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("SINGLE_WORKER", "true")
    assert ProductionConfig.load()["SINGLE_WORKER"] is True


# --- the client's address: through the trusted proxies only ----------------------------------

def guess(browser, n: int, peer: str, forwarded: str | None = None) -> int:
    """One failed login for a fresh account (so only the per-client limit can refuse it)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return browser.post("/login", {"email": f"guess{n}@example.com", "password": WRONG},
                        environ_base={"REMOTE_ADDR": peer}, headers=headers).status_code


def logged_client(client, db, peer: str, forwarded: str) -> str | None:
    """Verify an unknown code through the API and return the client the log recorded."""
    response = client.get(f"/api/v1/certificates/{new_code()}",
                          environ_base={"REMOTE_ADDR": peer},
                          headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 404
    return db.session.scalars(select(VerificationLog.client)
                              .order_by(VerificationLog.id.desc())).first()


@pytest.fixture
def no_trusted_proxy(monkeypatch) -> None:
    """TRUSTED_PROXIES left at its default; a test lists it before `app`, which reads it."""
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(no_trusted_proxy, app,
                                                                        db, browser, client):
    app.config["LOGIN_LIMIT_PER_CLIENT"] = "3 per minute"
    codes = [guess(browser, n, "203.0.113.9", forwarded=f"198.51.100.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 429]
    secret = app.config["SECRET_KEY"]
    assert logged_client(client, db, "203.0.113.9", "198.51.100.1") == \
        client_digest("203.0.113.9", secret)


@pytest.fixture(params=[1, 2], ids=["one-proxy", "two-proxies"])
def trusted_proxies(request, monkeypatch) -> int:
    """TRUSTED_PROXIES in the environment; a test lists it before `app`, which reads it."""
    monkeypatch.setenv("TRUSTED_PROXIES", str(request.param))
    return request.param


def chain(client_address: str, proxies: int, forged: str | None = None) -> str:
    """X-Forwarded-For as the app receives it behind `proxies` proxies: what the client wrote,
    the client's address appended by the outermost proxy, then each inner proxy's peer."""
    hops = ([forged] if forged else []) + [client_address] + \
        [f"10.0.1.{n}" for n in range(1, proxies)]
    return ", ".join(hops)


def test_behind_trusted_proxies_each_client_has_its_own_budget(trusted_proxies, app, db,
                                                               browser, client):
    app.config["LOGIN_LIMIT_PER_CLIENT"] = "3 per minute"
    proxy = "10.0.0.5"  # the nearest proxy: the peer of every request
    first = [guess(browser, n, proxy, chain("198.51.100.7", trusted_proxies)) for n in range(4)]
    other = guess(browser, 4, proxy, chain("198.51.100.8", trusted_proxies))
    forged = guess(browser, 5, proxy, chain("198.51.100.7", trusted_proxies, forged="192.0.2.1"))
    assert first == [401, 401, 401, 429], "one client behind the proxy"
    assert other == 401, "another client behind the same proxy has its own budget"
    assert forged == 429, "a value the client wrote before its own address changes nothing"
    secret = app.config["SECRET_KEY"]
    logged = logged_client(client, db, proxy,
                           chain("198.51.100.9", trusted_proxies, forged="192.0.2.1"))
    assert logged == client_digest("198.51.100.9", secret)


def test_behind_trusted_proxies_the_scheme_and_host_are_the_proxys(trusted_proxies, app):
    seen = {}

    @app.get("/_front_probe")
    def probe():
        seen.update(url=app.url_for("probe", _external=True))
        return ""

    app.test_client().get("/_front_probe", environ_base={"REMOTE_ADDR": "10.0.0.5"}, headers={
        "X-Forwarded-For": chain("198.51.100.7", trusted_proxies),
        "X-Forwarded-Proto": ", ".join(["https"] * trusted_proxies),
        "X-Forwarded-Host": ", ".join(["academy.example.com"] * trusted_proxies)})
    assert seen["url"] == "https://academy.example.com/_front_probe"


def test_a_negative_number_of_proxies_is_refused(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "-1")
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be 0 or more"):
        create_app(TestConfig)


# --- 405 carries Allow, on every route --------------------------------------------------------

def sample_arguments(rule) -> dict:
    """Values any of the rule's converters accept (routing answers 405 before a view runs)."""
    return {name: 1 if isinstance(converter, NumberConverter)
            else sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "x"
            for name, converter in rule._converters.items()}


def test_every_route_answers_a_method_it_does_not_take_with_405_and_allow(app, client):
    adapter = app.url_map.bind("localhost")
    rules = list(app.url_map.iter_rules())
    checked = []
    for rule in rules:
        url = adapter.build(rule.endpoint, sample_arguments(rule), method=sorted(rule.methods)[0])
        allowed = set(adapter.allowed_methods(url.split("?", 1)[0]))
        assert rule.methods <= allowed, rule.rule
        method = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in allowed)
        response = client.open(url, method=method)
        assert response.status_code == 405, (method, url, response.status_code)
        assert set(response.headers.get("Allow", "").split(", ")) == allowed, (method, url)
        if url.startswith("/api/"):
            assert response.get_json()["error"]["status"] == 405
        checked.append(rule.endpoint)
    assert len(checked) == len(rules) > 50


# --- the verification API: bodies as documented, and a fuzzer over its description -----------

@pytest.fixture
def api(app):
    """The verification API's one operation, loaded by the fuzzer from /api/openapi.json."""
    app.config["VERIFY_LIMIT_PER_CLIENT"] = "100000 per minute"  # 429 is documented, not wanted
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)[OPERATION]["GET"]


@pytest.fixture
def issued_code(db, make_user) -> str:
    course = import_example_course(db)
    user = make_user(name="Grace Hopper")
    meet_rule(db, user, course, datetime.now(UTC) - timedelta(days=1))
    return certificates.live_certificate(db.session, user, course).code


def mistyped(code: str) -> str:
    return code[:-1] + next(c for c in CHECK_ALPHABET if c != code[-1])


def test_every_answer_of_the_api_matches_its_documented_schema(api, issued_code):
    answers = {}
    for code in (issued_code, issued_code.lower().replace("-", " "), new_code(),
                 mistyped(issued_code), "", "not a code", "a/b", "%", "\x00", "x" * 5000):
        response = api.Case(path_parameters={"code": code}).call_and_validate(checks=API_CHECKS)
        answers[code] = (response.status_code, response.json()["verdict"])
    assert answers[issued_code] == answers[issued_code.lower().replace("-", " ")] == \
        (200, "valid")
    assert answers[""] == (400, "malformed"), "no code is a verdict too, not the generic 404"
    assert {answer[0] for answer in answers.values()} == {200, 400, 404}


def test_a_code_with_control_characters_gets_its_verdict_and_a_clean_log_entry(client, db):
    response = client.get("/api/v1/certificates/OKR%00-7K3M%0A%1B")
    assert response.status_code == 400 and response.get_json()["verdict"] == "malformed"
    logged = db.session.scalars(select(VerificationLog.code)).one()
    assert logged == "OKR -7K3M", "PostgreSQL's text holds no NUL"


def test_the_code_parameter_is_described_by_the_printed_format(client):
    operation = client.get("/api/openapi.json").get_json()["paths"][OPERATION]["get"]
    pattern = next(p["schema"]["pattern"] for p in operation["parameters"] if p["name"] == "code")
    codes = [new_code() for _ in range(200)]
    assert all(re.search(pattern, code) for code in codes)
    assert not any(re.search(pattern, text) for text in (
        codes[0].lower(), codes[0].replace("-", ""), codes[0][4:], codes[0] + "-X", ""))
    printable = set(string.printable)
    data_class, check_class = re.findall(r"\[[^\]]+\]", pattern)
    assert {c for c in printable if re.fullmatch(data_class, c)} == set(DATA_ALPHABET)
    assert {c for c in printable if re.fullmatch(check_class, c)} == set(CHECK_ALPHABET)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_a_property_based_fuzzer_finds_no_failure_in_the_api(api, mode):
    statuses = []
    checks = API_CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(max_examples=100, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=api.as_strategy(generation_mode=mode))
    def fuzz(case) -> None:
        statuses.append(case.call_and_validate(checks=checks).status_code)

    fuzz()
    assert len(statuses) >= 50 and set(statuses) <= {400, 404}, statuses


# --- the shipped front: nginx and gunicorn agree with each other and with the app ------------

def nginx_directives(name: str) -> list[str]:
    """The values of every `name` directive in deploy/nginx.conf, comments left out."""
    text = re.sub(r"#[^\n]*", "", (DEPLOY / "nginx.conf").read_text())
    return [value.strip() for value in re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)]


def nginx_size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def nginx_seconds(value: str) -> int:
    return int(re.fullmatch(r"(\d+)s", value).group(1))


def gunicorn_conf(monkeypatch, **environment):
    """deploy/gunicorn.conf.py as gunicorn reads it, under this environment."""
    for name in ("RATELIMIT_STORAGE_URI", "SINGLE_WORKER", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = spec_from_file_location("gunicorn_conf", DEPLOY / "gunicorn.conf.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nginx_buffers_slow_clients_and_bounds_what_reaches_the_app():
    assert [nginx_seconds(v) for v in nginx_directives("client_header_timeout")] == [10]
    assert nginx_seconds(nginx_directives("client_body_timeout")[0]) <= 30
    assert nginx_directives("proxy_request_buffering") == ["on"]
    assert nginx_directives("proxy_buffering") == ["on"]
    body = nginx_size(nginx_directives("client_max_body_size")[0])
    assert Config.MAX_CONTENT_LENGTH < body <= Config.MAX_CONTENT_LENGTH + 1024 * 1024
    assert any(v.startswith("zone=") for v in nginx_directives("limit_req"))
    assert nginx_directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]


def test_nginx_writes_the_forwarded_headers_one_trusted_proxy_reads():
    forwarded = dict(v.split(None, 1) for v in nginx_directives("proxy_set_header"))
    assert forwarded["X-Forwarded-For"] == "$remote_addr", "one hop: TRUSTED_PROXIES=1"
    assert forwarded["X-Forwarded-Proto"] == "$scheme"
    assert forwarded["X-Forwarded-Host"] == forwarded["Host"] == "$host"


def test_gunicorn_runs_threads_within_nginxs_timeouts_and_limits(monkeypatch):
    conf = gunicorn_conf(monkeypatch, RATELIMIT_STORAGE_URI="redis://redis.internal:6379/0",
                         WEB_CONCURRENCY="3")
    assert (conf.worker_class, conf.workers) == ("gthread", 3) and conf.threads >= 4
    assert conf.bind.startswith("127.0.0.1:"), "only nginx should reach gunicorn"
    assert conf.timeout < nginx_seconds(nginx_directives("proxy_read_timeout")[0])
    assert conf.keepalive > nginx_seconds(nginx_directives("keepalive_timeout")[0])
    count, size = nginx_directives("large_client_header_buffers")[0].split()
    assert conf.limit_request_line + 2 == conf.limit_request_field_size + 2 == nginx_size(size)
    assert 0 < conf.limit_request_fields <= 100 and conf.graceful_timeout > 0


@pytest.mark.parametrize("environment", [{}, {"RATELIMIT_STORAGE_URI": "memory://"},
                                         {"RATELIMIT_STORAGE_URI": "redis://r:6379/0",
                                          "SINGLE_WORKER": "true"}])
def test_gunicorn_starts_one_worker_when_the_counters_are_per_process(monkeypatch,
                                                                      environment):
    assert gunicorn_conf(monkeypatch, WEB_CONCURRENCY="4", **environment).workers == 1


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "academy.example.com")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    site = (DEPLOY / "nginx.conf").read_text() \
        .replace("/etc/ssl/okr-academy/fullchain.pem", str(tmp_path / "cert.pem")) \
        .replace("/etc/ssl/okr-academy/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n")
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True, timeout=30, check=False)
    assert check.returncode == 0, check.stderr
