"""Scale: PostgreSQL with 100k learners, 20k certificates and 2M progress rows against a
near-empty database: p95 of the learner dashboard, the HR dashboard and the verification API."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

ORG_MEMBERS = 50          # the HR user's organisation has the same size in both databases
LESSONS_PER_LEARNER = 20  # 100k learners x 20 lessons = 2M progress rows


def _seed(app, learners: int, certificates: int) -> dict:
    from app.auth import services as accounts
    from app.certificates.extension import issuer_for
    from app.certificates.pdf import sample_facts
    from app.certificates.signing import canonical_payload
    from app.courses.services import find_course
    from app.extensions import db
    from app.models import Certificate, Organisation, User
    from bench.seed import NOW

    with app.app_context():
        session = db.session
        course = find_course(session, "okr-executive")
        version = course.current_version
        org = accounts.create_organisation(session, "Bench Org", slug="bench-org")
        others = [accounts.create_organisation(session, f"Other {i}", slug=f"other-{i}")
                  for i in range(20)]
        session.flush()
        first_other = others[0].id
        password_hash = session.scalar(select(User.password_hash).limit(1))
        session.execute(text(
            "INSERT INTO users (email, name, password_hash, organisation_id, is_active_account,"
            " created_at, email_verified_at) SELECT 'scale' || g || '@bench.example',"
            " 'Scale Learner ' || g, :hash,"
            " CASE WHEN g <= :members THEN :org ELSE :first_other + (g % 20) END, true, :now, :now"
            " FROM generate_series(1, :n) AS g"),
            {"hash": password_hash, "members": ORG_MEMBERS, "org": org.id,
             "first_other": first_other, "n": learners, "now": NOW})
        session.execute(text(
            "INSERT INTO enrollments (user_id, course_id, enrolled_at) SELECT id, :course, :now"
            " FROM users WHERE email LIKE 'scale%@bench.example'"),
            {"course": course.id, "now": NOW})
        lessons = [(l.module_slug, l.slug) for l in version.lessons][:LESSONS_PER_LEARNER]
        session.execute(text(
            "INSERT INTO lesson_progress (user_id, course_id, module_slug, lesson_slug,"
            " completed_at) SELECT u.id, :course, l.module_slug, l.slug, :now"
            " FROM users u CROSS JOIN (SELECT module_slug, slug FROM version_lessons"
            "  WHERE version_id = :version ORDER BY module_position, position LIMIT :per) l"
            " WHERE u.email LIKE 'scale%@bench.example'"),
            {"course": course.id, "now": NOW, "version": version.id,
             "per": LESSONS_PER_LEARNER})
        issuer = issuer_for(app)
        pdf = issuer.render_and_sign(sample_facts())
        holders = session.execute(select(User.id, User.name).where(
            User.email.like("scale%@bench.example")).order_by(User.id).limit(certificates)).all()
        rows = []
        for user_id, name in holders:
            from app.certificates.codes import new_code

            code = new_code()
            payload = canonical_payload({
                "code": code, "holder_name": name, "course_title": version.title,
                "course_slug": course.slug, "course_version": version.number,
                "issued_on": NOW.date(), "expires_on": NOW.date().replace(year=NOW.year + 2),
                "issuer": issuer.url})
            kid, signature = issuer.keyring.sign(payload)
            rows.append({"code": code, "user_id": user_id, "course_id": course.id,
                         "version_id": version.id, "holder_name": name,
                         "course_title": version.title, "course_slug": course.slug,
                         "version_number": version.number, "issued_at": NOW,
                         "expires_at": NOW.replace(year=NOW.year + 2), "status": "active",
                         "key_id": kid, "payload": payload.decode(), "signature": signature,
                         "pdf": pdf, "pdf_sha256": "0" * 64})
        for start in range(0, len(rows), 5000):
            session.execute(insert(Certificate), rows[start:start + 5000])
        hr = accounts.create_user(session, email="hr@bench.example", name="Bench HR",
                                  password="Quarterly-Review-77", roles=("hr",), organisation=org,
                                  policy=accounts.PasswordPolicy(10, 1, 1024))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        learner_id = holders[0][0]
        counts = {name: session.scalar(select(func.count()).select_from(table)) for name, table in
                  (("users", User), ("certificates", Certificate))}
        counts["progress"] = session.scalar(text("SELECT count(*) FROM lesson_progress"))
        return {"learner": learner_id, "hr": hr.id, "code": rows[0]["code"], "counts": counts}


def _p95(client, path: str, runs: int) -> float:
    for _ in range(10):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.quantiles(times, n=20)[-1]


def _measure(learners: int, certificates: int, runs: int) -> dict:
    from bench.pg import temporary_database
    from bench.scenarios_web import app_env, prepare_instance

    with tempfile.TemporaryDirectory(prefix="okr-bench-scale-") as tmp, \
            temporary_database() as url:
        prepared = prepare_instance(app_env(Path(tmp), url))
        app = prepared["app"]
        seeded = _seed(app, learners, certificates)
        learner, hr = app.test_client(), app.test_client()
        for client, user_id in ((learner, seeded["learner"]), (hr, seeded["hr"])):
            with client.session_transaction() as session:
                session["_user_id"] = _login(app, user_id)
                session["_fresh"] = True
        result = {
            "learner dashboard": _p95(learner, "/dashboard/learning", runs),
            "HR dashboard": _p95(hr, "/hr/", runs),
            "verification API": _p95(app.test_client(), f"/api/v1/certificates/{seeded['code']}",
                                     runs),
            "counts": seeded["counts"],
        }
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        return result


def scale(_seconds: float, runs: int = 200) -> dict:
    small = _measure(ORG_MEMBERS + 50, 20, runs)
    large = _measure(100_000, 20_000, runs)
    ratios = {name: large[name] / small[name] for name in ("learner dashboard", "HR dashboard",
                                                          "verification API")}
    worst = max(ratios.values())
    counts = large["counts"]
    return {
        "name": (f"Scale (PostgreSQL, {counts['users']:,} learners, {counts['certificates']:,} "
                 f"certificates, {counts['progress']:,} progress rows): p95"),
        "measured": ", ".join(f"{name} {large[name]:.1f} ms" for name in ratios),
        "baseline": ", ".join(f"{small[name]:.1f} ms" for name in ratios) + " (near-empty)",
        "ratio": worst,
        "budget": "<= 2.00x (worst of the three)",
        "ok": worst <= 2.0,
    }


def _login(app, user_id: int) -> str:
    """A real login for the user, as the login page opens one."""
    from datetime import UTC, datetime, timedelta

    from app.auth.logins import start_login
    from app.extensions import db
    from app.models import User

    with app.app_context():
        login_id = start_login(db.session, db.session.get(User, user_id), datetime.now(UTC),
                               timedelta(hours=12))
        db.session.commit()
    return login_id
