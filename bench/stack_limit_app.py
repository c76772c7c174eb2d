"""The stack limits: the lesson page and the verification API as a bare Flask app builds them.

Each reads the same rows as the app with plain SQL on the driver alone (sqlite3), renders the
same Jinja template (or the same JSON document) and does the same writes: the lesson's "last
viewed" UPDATE and commit, the verification log entry (batched off the request path, as the app
does). No ORM, no extension beyond Flask itself: what is left is what this stack costs for the
page. The app's URL rules are copied, so every `url_for` builds the same link; the pure helpers
the templates call (dates, navigation, the outline's unlock rule) are the app's own.

`BENCH_DATABASE` names the SQLite file, `BENCH_KEYS_FILE` the published verification keys
(JSON: key id to base64url raw Ed25519 public key), `BENCH_PUBLIC_BASE_URL` the site's address.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, abort, g, jsonify, render_template, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
SECRET = os.environ.get("SECRET_KEY", "")


def create_app() -> Flask:
    from app.courses.catalogue import LessonRef, ModuleRef, duration
    from app.courses.progress import build_progress
    from app.dates import long_date
    from app.i18n import init_i18n
    from config import Config
    from app.navigation import nav_items, url_for_page
    from app.security import init_security
    from app.static_routes import init_static_files
    from app.templating import when

    bare = Flask(__name__, template_folder=str(ROOT / "app" / "templates"),
                 static_folder=str(ROOT / "app" / "static"))
    bare.config.update(SECRET_KEY=SECRET, SESSION_COOKIE_HTTPONLY=True,
                       SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_TIME_LIMIT=60 * 60 * 8,
                       LANGUAGES=Config.LANGUAGES, BABEL_DEFAULT_LOCALE=Config.BABEL_DEFAULT_LOCALE,
                       BABEL_TRANSLATION_DIRECTORIES=Config.BABEL_TRANSLATION_DIRECTORIES)
    _copy_url_rules(bare)
    init_security(bare)
    init_static_files(bare)
    init_i18n(bare)  # the page is the same template, in the reader's language
    bare.jinja_env.globals.update(nav_items=nav_items, url_for_page=url_for_page,
                                  quiz_url=_quiz_url, csrf_token=generate_csrf)
    bare.jinja_env.filters["when"] = when
    bare.jinja_env.filters["duration"] = duration
    bare.context_processor(lambda: {"current_user": g.get("_login_user")})
    outlines: dict[tuple[int, str], tuple] = {}
    keys = _public_keys()
    log = _LogBatch()

    def lesson(slug: str, module_slug: str, lesson_slug: str):
        db = _connection()
        user = _logged_in_user(db)
        if user is None:
            abort(401)
        course = db.execute(
            "SELECT c.id, c.slug, c.title, v.id, v.content_hash, v.sequential FROM courses c"
            " JOIN course_versions v ON v.id = c.current_version_id"
            " WHERE c.slug = ? AND c.status = 'published'", (slug,)).fetchone()
        if course is None:
            abort(404)
        course_id, _, title, version_id, content_hash, sequential = course
        found = db.execute(
            "SELECT module_slug, slug, title, minutes, exercise_minutes, html"
            " FROM version_lessons WHERE version_id = ? AND module_slug = ? AND slug = ?",
            (version_id, module_slug, lesson_slug)).fetchone()
        if found is None:
            abort(404)
        outline = outlines.get((version_id, content_hash))
        if outline is None:
            outline = outlines[(version_id, content_hash)] = _outline(db, version_id,
                                                                     LessonRef, ModuleRef)
        enrolment = db.execute(
            "SELECT last_module_slug, last_lesson_slug, last_viewed_at FROM enrollments"
            " WHERE user_id = ? AND course_id = ?", (user.id, course_id)).fetchone()
        if enrolment is None:
            abort(403)
        completions = {(m, s): _moment(at) for m, s, at in db.execute(
            "SELECT module_slug, lesson_slug, completed_at FROM lesson_progress"
            " WHERE user_id = ? AND course_id = ?", (user.id, course_id))}
        passed = {key for (key,) in db.execute(
            "SELECT DISTINCT quiz_key FROM quiz_attempts WHERE user_id = ? AND course_id = ?"
            " AND status = 'submitted' AND passed = 1", (user.id, course_id))}
        progress = build_progress(outline, completions, passed, bool(sequential),
                                  SimpleNamespace(last_module_slug=enrolment[0],
                                                  last_lesson_slug=enrolment[1],
                                                  last_viewed_at=_moment(enrolment[2])))
        module = progress.module(module_slug)
        if module is None or not module.state.unlocked:
            abort(403)
        page = render_template(
            "courses/lesson.html", course=SimpleNamespace(slug=slug, title=title),
            lesson=SimpleNamespace(module_slug=found[0], slug=found[1], title=found[2],
                                   minutes=found[3], exercise_minutes=found[4], html=found[5]),
            module=module, progress=progress, neighbours=_neighbours(progress, found[:2]),
            form=_CsrfOnlyForm())
        db.execute("UPDATE enrollments SET last_module_slug = ?, last_lesson_slug = ?,"
                   " last_viewed_at = ? WHERE user_id = ? AND course_id = ?",
                   (module_slug, lesson_slug, _stored(datetime.now(UTC)), user.id, course_id))
        db.commit()
        return page

    def certificate(code: str):
        row = _connection().execute(
            "SELECT code, status, expires_at, key_id, payload, signature, capstone_assessed"
            " FROM certificates WHERE code = ?", (code,)).fetchone()
        now = datetime.now(UTC)
        if row is None or not _signed(keys, row[4], row[3], row[5]) or row[1] != "active":
            abort(404)  # the benchmark asks for a valid certificate only
        stated = json.loads(row[4])
        expires = _moment(row[2])
        if expires is not None and now >= expires:
            abort(404)
        base = os.environ.get("BENCH_PUBLIC_BASE_URL", "http://127.0.0.1").rstrip("/")
        until = f" until {long_date(date.fromisoformat(stated['expires_on']))}" \
            if stated.get("expires_on") else ""
        log.add((row[0], "api", "valid", _client_digest(), _stored(now)))
        response = jsonify({
            "verdict": "valid", "valid": True, "code": row[0], "headline": "Valid certificate",
            "summary": f"{stated['holder_name']}'s certificate for {stated['course_title']} "
                       f"is genuine and valid{until}.",
            "reasons": [], "certificate": stated, "status": None,
            "record": {"payload": row[4], "signature": row[5], "key_id": row[3],
                       "algorithm": "EdDSA", "jwks_url": base + url_for("certificates.jwks")},
            "verify_url": base + url_for("verify.certificate_page", code=row[0]),
            "checked_at": now.isoformat(),
        })
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    bare.view_functions["courses.lesson"] = lesson
    bare.view_functions["verify.api_certificate"] = certificate
    return bare


def _copy_url_rules(bare: Flask) -> None:
    """Every URL rule of the app, each answering 404 here unless given a view."""
    from app import create_app

    real = create_app()
    bare.url_map.converters.update(real.url_map.converters)

    def not_here(**_kwargs):
        abort(404)

    for rule in real.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        bare.add_url_rule(rule.rule, endpoint=rule.endpoint, view_func=not_here,
                          methods=rule.methods)


_local = threading.local()


def _connection() -> sqlite3.Connection:
    """This process's connection, tuned as the app tunes SQLite (app/extensions.py)."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(os.environ["BENCH_DATABASE"], check_same_thread=False,
                                     timeout=30)
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        _local.connection = connection
    return connection


def _logged_in_user(db: sqlite3.Connection):
    """The user of the live login the session cookie carries, with their roles."""
    login_id = session.get("_user_id") or ""
    head, _, secret = login_id.partition(".")
    if not head.isdigit() or not secret:
        return None
    row = db.execute(
        "SELECT l.token_hash, l.ended_at, l.expires_at, u.id, u.name, u.is_active_account,"
        " (SELECT group_concat(role) FROM user_roles r WHERE r.user_id = u.id)"
        " FROM login_sessions l JOIN users u ON u.id = l.user_id WHERE l.id = ?",
        (int(head),)).fetchone()
    if row is None or row[1] is not None or datetime.now(UTC) >= _moment(row[2]) \
            or not row[5] or not hmac.compare_digest(
                row[0], hashlib.sha256(secret.encode()).hexdigest()):
        return None
    user = _Learner(row[3], row[4], frozenset({"learner", *(row[6] or "").split(",")} - {""}))
    g._login_user = user
    return user


class _Learner(SimpleNamespace):
    """What the templates and the navigation read of the logged-in user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, id: int, name: str, roles: frozenset[str]):  # noqa: A002
        super().__init__(id=id, name=name, roles=roles)

    def has_role(self, *names: str) -> bool:
        return bool(self.roles & set(names))


class _CsrfOnlyForm:
    """The lesson's form carries only its CSRF token."""

    @staticmethod
    def hidden_tag() -> Markup:
        return Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="%s">'
                      ) % generate_csrf()


def _outline(db: sqlite3.Connection, version_id: int, lesson_ref, module_ref) -> tuple:
    lessons: dict[str, list] = {}
    for module_slug, slug, title, minutes, exercise in db.execute(
            "SELECT module_slug, slug, title, minutes, exercise_minutes FROM version_lessons"
            " WHERE version_id = ? ORDER BY module_position, position", (version_id,)):
        lessons.setdefault(module_slug, []).append(
            lesson_ref(module_slug, slug, title, minutes, exercise))
    modules = db.execute(
        "SELECT slug, title, summary, quiz IS NOT NULL AND quiz != 'null' FROM version_modules"
        " WHERE version_id = ? ORDER BY position", (version_id,)).fetchall()
    return tuple(module_ref(slug, number, title, summary, bool(has_quiz),
                            tuple(lessons.get(slug, ())))
                 for number, (slug, title, summary, has_quiz) in enumerate(modules, 1))


def _neighbours(progress, key: tuple[str, str]) -> tuple:
    order = [status.lesson for module in progress.modules for status in module.lessons]
    index = next(i for i, ref in enumerate(order) if ref.key == key)
    return (order[index - 1] if index > 0 else None,
            order[index + 1] if index + 1 < len(order) else None)


def _quiz_url(course_slug: str, quiz_key: str) -> str:
    return url_for("quizzes.start", slug=course_slug, quiz_key=quiz_key)


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _stored(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _public_keys() -> dict[str, Ed25519PublicKey]:
    path = os.environ.get("BENCH_KEYS_FILE")
    if not path:
        return {}
    return {kid: Ed25519PublicKey.from_public_bytes(_b64url(raw))
            for kid, raw in json.loads(Path(path).read_text()).items()}


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed(keys: dict[str, Ed25519PublicKey], payload: str, kid: str, signature: str) -> bool:
    key = keys.get(kid)
    if key is None:
        return False
    try:
        key.verify(_b64url(signature), payload.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def _client_digest() -> str:
    from flask import request

    key = hashlib.sha256(b"verification-log\x00" + SECRET.encode("utf-8")).digest()
    return hmac.new(key, (request.remote_addr or "unknown").encode(), hashlib.sha256).hexdigest()


class _LogBatch:
    """Verification log entries, written every 0.2 s in one INSERT by a thread of their own."""

    def __init__(self) -> None:
        self._entries: list[tuple] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, entry: tuple) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        db = sqlite3.connect(os.environ["BENCH_DATABASE"], timeout=30)
        db.execute("PRAGMA synchronous=NORMAL")
        while True:
            time.sleep(0.2)
            with self._lock:
                entries, self._entries = self._entries, []
            if entries:
                db.executemany("INSERT INTO verification_logs (code, channel, verdict, client,"
                               " created_at) VALUES (?, ?, ?, ?, ?)", entries)
                db.commit()
