"""Served-page budgets: the lesson page against a bare page of the same size."""
from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bench.load import run_load
from bench.servers import gunicorn

SECRET = "bench-secret-key-0123456789abcdef0123456789"
LEARNER = ("bench.learner@example.com", "Bench Learner", "Quarterly-Review-77")


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


def lesson_page(seconds: float, connections: int = 8, rounds: int = 2) -> dict:
    with tempfile.TemporaryDirectory(prefix="okr-bench-") as tmp:
        instance = Path(tmp)
        env = app_env(instance)
        prepared = prepare_instance(env)
        _release_database(prepared["app"])
        page_file = instance / "page.html"
        page_file.write_text(prepared["lesson_html"])
        headers = {"Cookie": f"session={prepared['cookie']}"}
        app_rps, base_rps = [], []
        with gunicorn("app:create_app()", env) as app_url, \
                gunicorn("bench.baseline_app:create_app()", {"BENCH_PAGE_FILE": str(page_file)},
                         ready_path="/page") as base_url:
            run_load(app_url + prepared["lesson_path"], connections=2, seconds=1, headers=headers)
            for _ in range(rounds):
                lesson = run_load(app_url + prepared["lesson_path"], connections=connections,
                                  seconds=seconds, headers=headers)
                bare = run_load(base_url + "/page", connections=connections, seconds=seconds)
                assert lesson.errors == 0, f"lesson page answered {lesson.errors} errors"
                app_rps.append(lesson.requests_per_second)
                base_rps.append(bare.requests_per_second)
        app_mean, base_mean = sum(app_rps) / rounds, sum(base_rps) / rounds
        return {
            "name": "Lesson page (gunicorn, 2 sync workers, %d connections)" % connections,
            "measured": f"{app_mean:,.0f} req/s",
            "baseline": f"{base_mean:,.0f} req/s (bare Flask route, same {len(prepared['lesson_html']) // 1024} KiB page)",
            "ratio": app_mean / base_mean,
            "budget": ">= 0.70x",
            "ok": app_mean / base_mean >= 0.70,
            "tool": lesson.tool,
        }


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


def verification_api(seconds: float, connections: int = 32, rounds: int = 2) -> dict:
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
        _release_database(prepared["app"])
        json_file = instance / "document.json"
        json_file.write_text(json.dumps(document.json))
        api, bare = [], []
        with gunicorn("app:create_app()", env) as app_url, \
                gunicorn("bench.baseline_app:create_app()", {"BENCH_JSON_FILE": str(json_file)},
                         ready_path="/json") as base_url:
            run_load(app_url + path, connections=2, seconds=1)
            for _ in range(rounds):
                api.append(run_load(app_url + path, connections=connections, seconds=seconds))
                bare.append(run_load(base_url + "/json", connections=connections,
                                     seconds=seconds))
        assert all(r.errors == 0 for r in api), "the verification API answered errors"
        api_rps = sum(r.requests_per_second for r in api) / rounds
        bare_rps = sum(r.requests_per_second for r in bare) / rounds
        p99 = max(r.p99_ms for r in api)
        ratio = api_rps / bare_rps
        return {
            "name": f"Verification API (gunicorn, 2 sync workers, {connections} clients)",
            "measured": f"{api_rps:,.0f} req/s, p50 {api[-1].p50_ms:.1f} ms, p99 {p99:.1f} ms",
            "baseline": f"{bare_rps:,.0f} req/s (bare Flask JSON route, same document)",
            "ratio": ratio,
            "budget": ">= 0.60x and p99 < 25 ms",
            "ok": ratio >= 0.60 and p99 < 25,
        }
