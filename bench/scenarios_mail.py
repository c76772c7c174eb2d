"""Mail budgets: what queueing a notification adds to the request that causes it, and the daily
expiry reminders for 10,000 certificates on PostgreSQL."""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

#: the queue the reminders benchmark uses when Redis answers (its own db, a queue of its own)
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
QUEUE_BUDGET_MS = 1.0
REMINDERS_BUDGET_S = 30.0


def _app(env: dict):
    """The app on `env`, its database migrated (as `make run` and the deployment do)."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from app import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


# --- mail_queue --------------------------------------------------------------------------------

def _requests(actor_id: int, with_mail: bool, count: int, start: int) -> float:
    """Seconds for `count` transactions like a request's: an audit row and a commit, and with
    `with_mail` a notification queued in it (its delivery enqueued after the commit)."""
    from app.audit import record
    from app.clock import utcnow
    from app.extensions import db
    from app.notifications import outbox

    actor = SimpleNamespace(id=actor_id)  # what record() reads of a user, never expired
    session = db.session
    started = time.perf_counter()
    for number in range(start, start + count):
        record(session, actor, "bench.request", "user", actor.id, "One request")
        if with_mail:
            outbox.queue(session, kind="test", to="bench@example.com", now=utcnow(),
                         key=f"bench-request:{number}")
        session.commit()
    return time.perf_counter() - started


def mail_queue(_seconds: float, count: int = 2000, pairs: int = 7) -> dict:
    """Rounds of `count` transactions without and with a queued mail, interleaved A B A B, on
    the development setup (SQLite database, SqliteHuey queue in the instance folder)."""
    from bench.scenarios_web import app_env

    with tempfile.TemporaryDirectory(prefix="okr-bench-mail-") as tmp:
        app = _app(app_env(Path(tmp)))
        from app.auth import services as accounts
        from app.extensions import db
        from app.jobs import job_queue

        with app.app_context():
            user = accounts.create_user(db.session, email="bench.admin@example.com",
                                        name="Bench Admin", password="Quarterly-Review-77",
                                        policy=accounts.PasswordPolicy(10, 1, 1024))
            db.session.commit()
            actor_id, huey = user.id, job_queue(app).huey
            _requests(actor_id, False, 200, 0)  # warm-up: statement caches, both database files
            _requests(actor_id, True, 200, 10_000_000)
            added = []
            for pair in range(pairs):
                plain = _requests(actor_id, False, count, 0)
                mailed = _requests(actor_id, True, count, pair * count)
                added.append((mailed - plain) / count * 1000)
            enqueued = huey.pending_count()
            db.session.remove()
            db.engine.dispose()
    assert enqueued == pairs * count + 200, f"{enqueued} deliveries enqueued"
    median = statistics.median(added)
    return {
        "name": (f"Mail queued in a request (SQLite, SqliteHuey; {pairs} x {count:,} "
                 "transactions each way, interleaved)"),
        "measured": f"+{median:.3f} ms per request (min {min(added):.3f}, max {max(added):.3f})",
        "baseline": f"{plain / count * 1000:.3f} ms (audit row + commit, no mail; last round)",
        "ratio": QUEUE_BUDGET_MS / median if median > 0 else float("inf"),
        "budget": f"<= {QUEUE_BUDGET_MS:g} ms added (ratio = budget / measured)",
        "ok": median <= QUEUE_BUDGET_MS,
    }


# --- mail_reminders ----------------------------------------------------------------------------

def _postgres_answers() -> bool:
    import sqlalchemy as sa

    from bench.pg import SERVER

    engine = sa.create_engine(f"{SERVER}/postgres", connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # not installed, refused, timed out
        return False


def _seed_expiring(app, count: int, now) -> None:
    """`count` learners, each holding an active certificate that expires within 90 days (spread
    over the days, each half a day past a whole number of days from `now`), inserted set-wise."""
    from sqlalchemy import text

    from app.courses.importer import import_course
    from app.extensions import db

    with app.app_context():
        session = db.session
        course = import_course(session, Path(app.config["COURSES_DIR"]) / "okr-executive").course
        version = course.current_version
        session.execute(text(
            "INSERT INTO users (email, name, password_hash, is_active_account, created_at,"
            " mail_reminders, mail_nudges, mail_digests)"
            " SELECT 'remind' || g || '@bench.example', 'Reminded Learner ' || g, 'x', true,"
            " :now, true, true, true FROM generate_series(1, :n) AS g"), {"now": now, "n": count})
        session.execute(text(
            "INSERT INTO certificates (code, user_id, course_id, version_id, holder_name,"
            " course_title, course_slug, version_number, issued_at, expires_at, status, key_id,"
            " payload, signature, pdf, pdf_sha256, status_list_index)"
            " SELECT 'OKR-BENCH-' || u.id, u.id, :course, :version, u.name, :title, :slug,"
            " :number, :now - interval '700 days',"
            " :now + make_interval(days => 1 + (u.id % 89), hours => 12), 'active', 'bench',"
            " '{}', 'x',"
            " ''::bytea, repeat('0', 64), u.id"
            " FROM users u WHERE u.email LIKE 'remind%@bench.example'"),
            {"course": course.id, "version": version.id, "title": version.title,
             "slug": course.slug, "number": version.number, "now": now})
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()


def _announce(app, now) -> tuple[float, float, int, int]:
    """Seconds for the daily reminders (announcing, then the commit with its enqueues), and the
    notifications and queued deliveries after it."""
    from sqlalchemy import func, select

    from app.certificates.services import announce_expiring
    from app.extensions import db
    from app.jobs import job_queue
    from app.models import Notification

    with app.app_context():
        started = time.perf_counter()
        announce_expiring(db.session, now, 90)
        announced = time.perf_counter()
        db.session.commit()  # the deliveries are enqueued once this commit is done
        committed = time.perf_counter()
        written = db.session.scalar(select(func.count(Notification.id)))
        queued = job_queue(app).huey.pending_count()
        db.session.remove()
    return announced - started, committed - announced, written, queued


def mail_reminders(_seconds: float, count: int = 10_000) -> dict:
    """The daily expiry reminders on PostgreSQL for `count` certificates expiring within 90
    days; a second run the same day adds nothing."""
    name = f"Expiry reminders for {count:,} certificates (PostgreSQL"
    budget = (f"<= {REMINDERS_BUDGET_S:g} s, and a second run adds nothing "
              "(ratio = budget / measured)")
    if not _postgres_answers():
        return {"name": name + ")", "measured": "skipped: no PostgreSQL", "baseline": "—",
                "ratio": None, "budget": budget, "ok": True, "skipped": True}
    from bench.pg import temporary_database
    from bench.scenarios_web import app_env

    redis = _redis_answers(REDIS_URL)
    queue_name = f"okr-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="okr-bench-remind-") as tmp, \
            temporary_database() as url:
        env = app_env(Path(tmp), url) | {"JOBS_QUEUE_NAME": queue_name,
                                         "JOBS_URL": REDIS_URL if redis else ""}
        app = _app(env)
        from app.clock import utcnow
        from app.extensions import db
        from app.jobs import job_queue

        now = utcnow()
        try:
            _seed_expiring(app, count, now)
            announcing, committing, written, queued = _announce(app, now)
            # the job again the same day: no certificate reached its next reminder step since
            *again, written_again, queued_again = _announce(app, now + timedelta(hours=1))
        finally:
            job_queue(app).huey.flush()
            with app.app_context():
                db.engine.dispose()
    assert written == count and queued == count, (written, queued)
    first = announcing + committing
    added = (written_again - written, queued_again - queued)
    return {
        "name": name + f", {'RedisHuey' if redis else 'SqliteHuey'} queue)",
        "measured": (f"{first:.1f} s ({announcing:.1f} s announcing, {committing:.1f} s commit "
                     f"and enqueue) for {written:,} notifications and {queued:,} deliveries, "
                     f"{first / count * 1000:.2f} ms each; the same day again {sum(again):.1f} "
                     f"s, {added[0]} notifications and {added[1]} deliveries added"),
        "baseline": "—",
        "ratio": REMINDERS_BUDGET_S / first,
        "budget": budget,
        "ok": first <= REMINDERS_BUDGET_S and added == (0, 0),
    }
