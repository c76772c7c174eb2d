"""Served budgets: the lesson page and the verification API against their stack limits
(bench/stack_limit_app.py), with a bare route serving the same bytes as context."""
from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bench.load import run_load
from bench.rounds import MIN_PAIRS, interleave, median_of, span
from bench.servers import gunicorn

SECRET = "bench-secret-key-0123456789abcdef0123456789"
LEARNER = ("bench.learner@example.com", "Bench Learner", "Quarterly-Review-77")
STACK_LIMIT_APP = "bench.stack_limit_app:create_app()"


def app_env(instance: Path, database_url: str | None = None) -> dict:
    return {
        "OKR_ACADEMY_ENV": "development",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url or f"sqlite:///{instance / 'bench.sqlite3'}",
        "RATELIMIT_ENABLED": "false",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }


def prepare_instance(env: dict) -> dict:
    """Migrate, import courses/, create a learner with progress; return what the load needs."""
    import os

    os.environ.update(env)
    from flask_migrate import upgrade

    from app import create_app
    from app.auth import services as accounts
    from app.auth.logins import start_login
    from app.courses import services as courses
    from app.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        results = courses.import_courses(db.session, Path(app.config["COURSES_DIR"]))
        db.session.commit()
        course = next(r.course for r in results if r.course.slug == "okr-executive")
        user = accounts.find_user_by_email(db.session, LEARNER[0]) or accounts.create_user(
            db.session, email=LEARNER[0], name=LEARNER[1], password=LEARNER[2],
            policy=accounts.PasswordPolicy.from_config(app.config))
        courses.enroll(db.session, user, course)
        outline = courses.course_outline(db.session, course)
        first = outline[0]
        for lesson in first.lessons[:2]:
            courses.complete_lesson(db.session, user, course, first.slug, lesson.slug)
        db.session.commit()
        lesson = first.lessons[1]
        path = f"/courses/{course.slug}/{first.slug}/{lesson.slug}"
        client = app.test_client()
        login_id = start_login(db.session, user, datetime.now(UTC), timedelta(hours=12))
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = login_id
            session["_fresh"] = True
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        cookie = client.get_cookie("session").value
        return {"app": app, "lesson_path": path, "lesson_html": response.get_data(as_text=True),
                "cookie": cookie}


def lesson_page(seconds: float, connections: int = 8, pairs: int = MIN_PAIRS) -> dict:
    """The lesson page against its stack limit, rounds interleaved; the bare route as context."""
    with tempfile.TemporaryDirectory(prefix="okr-bench-") as tmp:
        instance = Path(tmp)
        env = app_env(instance)
        prepared = prepare_instance(env)
        _release_database(prepared["app"])
        page_file = instance / "page.html"
        page_file.write_text(prepared["lesson_html"])
        headers = {"Cookie": f"session={prepared['cookie']}"}
        path = prepared["lesson_path"]
        with gunicorn("app:create_app()", env) as app_url, \
                gunicorn(STACK_LIMIT_APP, stack_limit_env(env)) as limit_url, \
                gunicorn("bench.baseline_app:create_app()", {"BENCH_PAGE_FILE": str(page_file)},
                         ready_path="/page") as bare_url:
            _same_page(app_url + path, limit_url + path, headers)

            def load(url, with_cookie=True):
                result = run_load(url, connections=connections, seconds=seconds,
                                  headers=headers if with_cookie else None)
                assert result.errors == 0, f"{url} answered {result.errors} errors"
                return result

            for url in (app_url + path, limit_url + path):
                run_load(url, connections=2, seconds=1, headers=headers)
            rounds, bare = interleave(lambda: load(app_url + path), lambda: load(limit_url + path),
                                      pairs=pairs, ratio=_throughput_ratio,
                                      extra=lambda: load(bare_url + "/page", False))
        app_rps = [r.requests_per_second for r in rounds.measured]
        limit_rps = [r.requests_per_second for r in rounds.baseline]
        bare_rps = [r.requests_per_second for r in bare]
        size = len(prepared["lesson_html"]) // 1024
        return {
            "name": f"Lesson page (gunicorn, 2 sync workers, {connections} connections, SQLite)",
            "measured": f"{span(app_rps)} req/s",
            "baseline": f"stack limit {span(limit_rps)} req/s (plain SQL, same template, same "
                        f"writes); bare route {span(bare_rps)} req/s (fixed {size} KiB page)",
            **rounds.spread(),
            "budget": ">= 0.80x of the stack limit",
            "ok": rounds.ratio >= 0.80,
            "tool": rounds.measured[0].tool,
        }


def _throughput_ratio(measured, baseline) -> float:
    return measured.requests_per_second / baseline.requests_per_second


def stack_limit_env(env: dict) -> dict:
    """The stack limit's settings: the app's database file and secret."""
    return {**env, "BENCH_DATABASE": env["DATABASE_URL"].removeprefix("sqlite:///"),
            "BENCH_PUBLIC_BASE_URL": env["PUBLIC_BASE_URL"]}


def _fetch(url: str, headers: dict) -> str:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.read().decode()


def _same_page(app_url: str, limit_url: str, headers: dict) -> None:
    """The stack limit must build the very page the app builds (CSRF tokens aside)."""
    import re

    token = re.compile(r'name="csrf_token" type="hidden" value="[^"]*"')
    served, built = (token.sub("csrf", _fetch(url, headers)) for url in (app_url, limit_url))
    if served != built:
        import difflib

        diff = "\n".join(difflib.unified_diff(served.splitlines(), built.splitlines(),
                                               "app", "stack limit", lineterm="", n=1))
        raise AssertionError(f"the stack limit's page differs from the app's:\n{diff[:3000]}")


def _release_database(app) -> None:
    """Close this process's connections so the served app never waits on its locks."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _issue_one_certificate(app) -> str:
    from app.certificates import services as certificates
    from app.certificates.extension import issuer_for
    from app.courses.services import find_course
    from app.extensions import db
    from app.models import User
    from bench.seed import NOW, seed_certified_learners

    with app.app_context():
        course = find_course(db.session, "okr-executive")
        [user_id] = seed_certified_learners(db.session, course, 1, prefix="holder")
        certificate = certificates.issue_certificate(
            db.session, db.session.get(User, user_id), course, NOW, issuer=issuer_for(app))
        db.session.commit()
        return certificate.code


def verification_api(seconds: float, connections: int = 32, pairs: int = MIN_PAIRS) -> dict:
    """The verification API against its stack limit, rounds interleaved; the bare JSON route as
    context."""
    import json

    with tempfile.TemporaryDirectory(prefix="okr-bench-") as tmp:
        instance = Path(tmp)
        # The limiter runs as in production (one shared budget per client), with a budget no
        # single load generator reaches, so its cost is measured without answering 429.
        env = {**app_env(instance), "RATELIMIT_ENABLED": "true",
               "VERIFY_LIMIT_PER_CLIENT": "1000000000 per minute"}
        prepared = prepare_instance(env)
        code = _issue_one_certificate(prepared["app"])
        # the check symbol may be *, ~, $ or =: quote it so every client sends the same path
        path = f"/api/v1/certificates/{quote(code, safe='-')}"
        document = prepared["app"].test_client().get(path)
        assert document.status_code == 200 and document.json["verdict"] == "valid", document.json
        keys_file = instance / "keys.json"
        keys_file.write_text(json.dumps(_public_keys(prepared["app"])))
        _release_database(prepared["app"])
        json_file = instance / "document.json"
        json_file.write_text(json.dumps(document.json))
        with gunicorn("app:create_app()", env) as app_url, \
                gunicorn(STACK_LIMIT_APP, {**stack_limit_env(env),
                                           "BENCH_KEYS_FILE": str(keys_file)}) as limit_url, \
                gunicorn("bench.baseline_app:create_app()", {"BENCH_JSON_FILE": str(json_file)},
                         ready_path="/json") as bare_url:
            _same_document(app_url + path, limit_url + path)

            def load(url):
                result = run_load(url, connections=connections, seconds=seconds)
                assert result.errors == 0, f"{url} answered {result.errors} errors"
                return result

            for url in (app_url + path, limit_url + path):
                run_load(url, connections=2, seconds=1)
            rounds, bare = interleave(lambda: load(app_url + path), lambda: load(limit_url + path),
                                      pairs=pairs, ratio=_throughput_ratio,
                                      extra=lambda: load(bare_url + "/json"))
        api = rounds.measured
        p99 = median_of([r.p99_ms for r in api])
        return {
            "name": f"Verification API (gunicorn, 2 sync workers, {connections} clients, SQLite)",
            "measured": f"{span([r.requests_per_second for r in api])} req/s, p50 "
                        f"{span([r.p50_ms for r in api], '{:.1f}')} ms, p99 "
                        f"{span([r.p99_ms for r in api], '{:.1f}')} ms",
            "baseline": f"stack limit {span([r.requests_per_second for r in rounds.baseline])}"
                        f" req/s, p99 {span([r.p99_ms for r in rounds.baseline], '{:.1f}')} ms "
                        "(plain SQL, same document, same log entry); bare route "
                        f"{span([r.requests_per_second for r in bare])} req/s (fixed document)",
            **rounds.spread(),
            "budget": ">= 0.80x of the stack limit and p99 < 25 ms (median of rounds)",
            "ok": rounds.ratio >= 0.80 and p99 < 25,
        }


def _public_keys(app) -> dict[str, str]:
    """The verification keys the app publishes: key id to base64url raw public key."""
    from app.certificates.extension import issuer_for

    with app.app_context():
        return {key["kid"]: key["x"] for key in issuer_for(app).keyring.jwks()["keys"]}


def _same_document(app_url: str, limit_url: str) -> None:
    """The stack limit must answer the very document the app answers (the time aside)."""
    import json

    served, built = (json.loads(_fetch(url, {})) for url in (app_url, limit_url))
    for document in (served, built):
        document.pop("checked_at")
    assert served == built, f"the stack limit's document differs:\n{served}\n{built}"
