"""The soak: mixed traffic against gunicorn on PostgreSQL for a long while, then the checks.

`python -m bench.soak [--minutes 10] [--workers 4] [--clients 16] [--warmup-minutes 2]
[--rss-growth-mib 32] [--server gthread|sync] [--slow-clients 4] [--latency-p99-ms 2000]
[--no-write]` (or `make soak SOAK_ARGS="..."`).

gunicorn runs with the production configuration (deploy/gunicorn.conf.py: gthread workers),
or with `--server sync` as plain sync workers with gunicorn's defaults, the setup it replaced.

Each client is one virtual learner with its own session, logged in once at the start. Its loop
reads a lesson (~65%), takes a quiz (~15%: overview, start, the attempt page, sometimes a save,
submit, the result; ~1 in 5 submissions posted again with the same answers, which must give the
same result, and ~1 in 20 with other answers, which must be refused with 409) or verifies a
certificate code (~20%: API and page; valid, unknown and mistyped codes). Meanwhile a few slow
clients (`--slow-clients`, at most 16, to 127.0.0.1 only) each hold a connection open by
sending its headers one byte a second, reconnecting when the server drops it, until the
traffic stops: what a Slowloris attack does to a server with no buffering proxy in front.

Checks (bench/soak_checks.py): no errors (any exception, timeout, 5xx or unexpected status);
nothing lost (every attempt a client saw graded is in the database exactly once with the
answers it posted, and no row appeared that no client started); the workers are the same
processes from start to end, and each one's RSS at the end is within the bound of its RSS at
the end of the warm-up (the first part of the run); every answered verification has its entry
in the verification log; gunicorn's log holds no traceback, error or worker timeout; with
the slow clients connected, the p99 latency of all other requests stays within the bound. Exit
status 0 when all hold, 1 otherwise (2 for wrong arguments). The report is printed and written
into BENCHMARKS.md between the soak markers (not with --no-write).
"""
from __future__ import annotations

import argparse
import html.parser
import http.client
import math
import os
import platform
import random
import re
import select
import shlex
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from bench.soak_checks import (
    HELD, REFUSED, RESET, SLOW_REQUEST_HEAD, AttemptRow, ErrorLog, MemorySample,
    SlowConnection, Submission, Verdict, check_errors, check_slow_clients,
    check_verification_log, classify, describe_slow_connections, evaluate_memory, percentile,
    reconcile, slow_header_bytes, slow_outcome,
)
from bench.servers import ROOT

SOAK_START, SOAK_END = "<!-- soak:results:start -->", "<!-- soak:results:end -->"
COURSE = "okr-essentials"
PASSWORD = "Bench-Password-1"  # what bench.seed gives every learner it creates
REQUEST_TIMEOUT = 15.0
SAMPLE_EVERY = 5.0
#: the rate limits stay on (Redis storage) but far above what the soak sends from one address
RAISED_LIMIT = "100000 per minute"
REDIS_URI = "redis://127.0.0.1:6379/14"
CERTIFICATES = 4
ACTIONS = (("lesson", 65), ("quiz", 15), ("verify", 20))
REPLAY_SHARE, CONFLICT_SHARE, SAVE_SHARE = 0.2, 0.05, 0.3
#: the production gunicorn configuration (`--server gthread`)
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
SLOW_CLIENTS_MAX = 16
LOGIN_RETRY_AFTER = 1.0
SLOW_BYTE_EVERY = 1.0  # seconds between two bytes of a slow client
#: server log lines that mean a request or a worker failed
SERVER_TROUBLE = re.compile(r"Traceback|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT|Worker .* was sent")


# --- setup ------------------------------------------------------------------------------------

@dataclass
class Learner:
    id: int
    email: str
    role: str  # "modules": takes the module quizzes; "exam": module quizzes passed, takes the exam


@dataclass
class Setup:
    env: dict
    app: object
    limiter_storage: str
    learners: list[Learner]
    lesson_paths: list[str]
    module_quizzes: list[str]
    final_exam: str
    codes: dict[str, list[str]]  # "valid", "unknown", "mistyped" -> codes
    first_new_attempt_id: int
    first_new_log_id: int
    postgres: str


def _limiter_storage() -> str:
    """Redis when it answers, else each worker's memory (the limits still apply per worker)."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URI, socket_timeout=1, socket_connect_timeout=1).ping()
        return REDIS_URI
    except Exception:
        return "memory://"


def soak_env(instance: Path, database_url: str, limiter_storage: str) -> dict:
    from bench.scenarios_web import app_env

    return {
        **app_env(instance, database_url),
        "KEYS_DIR": str(instance / "keys"),  # the soak process and the workers sign alike
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": limiter_storage,
        "LOGIN_LIMIT_PER_CLIENT": RAISED_LIMIT,
        "VERIFY_LIMIT_PER_CLIENT": RAISED_LIMIT,
    }


def prepare(instance: Path, database_url: str, clients: int) -> Setup:
    """Migrate, import courses/, seed the learners and issue a few certificates."""
    storage = _limiter_storage()
    env = soak_env(instance, database_url, storage)
    from bench.scenarios_web import _release_database, prepare_instance

    app = prepare_instance(env)["app"]
    from sqlalchemy import func, select, text

    from app.certificates import services as certificates
    from app.certificates.codes import CHECK_ALPHABET, new_code
    from app.certificates.extension import issuer_for
    from app.courses import services as courses
    from app.extensions import db
    from app.models import Certificate, QuizAttempt, User, VerificationLog
    from bench.seed import seed_certified_learners

    with app.app_context():
        course = courses.find_course(db.session, COURSE)
        outline = courses.course_outline(db.session, course)
        modules = [module.slug for module in outline if module.has_quiz]
        lessons = [f"/courses/{COURSE}/{module.slug}/{lesson.slug}"
                   for module in outline for lesson in module.lessons]
        exam_takers = clients // 2
        learners = []
        for role, count in (("exam", exam_takers), ("modules", clients - exam_takers)):
            if count:
                ids = seed_certified_learners(db.session, course, count, prefix=role,
                                              passed_quizzes=modules if role == "exam" else [])
                learners += [Learner(uid, email, role) for uid, email in db.session.execute(
                    select(User.id, User.email).where(User.id.in_(ids)).order_by(User.id))]
        holders = seed_certified_learners(db.session, course, CERTIFICATES, prefix="holder")
        issuer = issuer_for(app)
        valid = [certificates.issue_certificate(db.session, db.session.get(User, uid), course,
                                                datetime.now(timezone.utc), issuer=issuer).code
                 for uid in holders]
        db.session.commit()
        issued = set(db.session.scalars(select(Certificate.code)))
        unknown = [code for code in (new_code() for _ in range(6)) if code not in issued]
        mistyped = [code[:-1] + next(c for c in CHECK_ALPHABET if c != code[-1])
                    for code in valid]
        first_new = (db.session.scalar(select(func.max(QuizAttempt.id))) or 0) + 1
        first_log = (db.session.scalar(select(func.max(VerificationLog.id))) or 0) + 1
        postgres = db.session.scalar(text("SHOW server_version"))
    _release_database(app)
    return Setup(env, app, storage, learners, lessons, modules,
                 _final_exam_key(), {"valid": valid, "unknown": unknown, "mistyped": mistyped},
                 first_new, first_log, f"PostgreSQL {postgres}")


def _final_exam_key() -> str:
    from app.models.quizzes import FINAL_EXAM_KEY

    return FINAL_EXAM_KEY


def read_attempts(setup: Setup) -> list[AttemptRow]:
    """The attempts created since the setup, as the database holds them now."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import QuizAttempt

    with setup.app.app_context():
        rows = [AttemptRow(a.id, a.user_id, a.quiz_key, a.number, a.status, a.answers, a.score,
                           a.snapshot, (a.result or {}).get("closure"))
                for a in db.session.scalars(select(QuizAttempt)
                                            .where(QuizAttempt.id >= setup.first_new_attempt_id)
                                            .order_by(QuizAttempt.id))]
        db.session.remove()
        db.engine.dispose()
    return rows


def read_verification_log(setup: Setup) -> Counter:
    """The verification log entries written since the setup, by (channel, verdict)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import VerificationLog

    with setup.app.app_context():
        rows = db.session.execute(
            select(VerificationLog.channel, VerificationLog.verdict, func.count())
            .where(VerificationLog.id >= setup.first_new_log_id)
            .group_by(VerificationLog.channel, VerificationLog.verdict))
        counts = Counter({(channel, verdict): count for channel, verdict, count in rows})
        db.session.remove()
        db.engine.dispose()
    return counts


# --- one virtual learner ----------------------------------------------------------------------

class _Inputs(html.parser.HTMLParser):
    """The <input> elements of a page, in order, with their attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append({name: value or "" for name, value in attrs})


def csrf_token(page: str) -> str | None:
    return next((i.get("value") for i in _Inputs(page).inputs if i.get("name") == "csrf_token"),
                None)


def question_fields(page: str) -> dict[str, tuple[str, list[str]]]:
    """The attempt form: field name -> (input type, option tokens), in page order."""
    fields: dict[str, tuple[str, list[str]]] = {}
    for element in _Inputs(page).inputs:
        name = element.get("name", "")
        if name.startswith("answer-"):
            kind, tokens = fields.setdefault(name, (element.get("type", "text"), []))
            if kind in ("radio", "checkbox"):
                tokens.append(element.get("value", ""))
    return fields


_PASS_MARK = re.compile(r"pass mark (\d+(?:\.\d+)?)%")
_SCORE = re.compile(r'class="quiz-score-value">\s*(-?\d+(?:\.\d+)?)%')
_ATTEMPT = re.compile(r"/attempts/(\d+)$")


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


@dataclass
class Record:
    """What one client saw: latencies by request kind, errors and its quiz attempts."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: ErrorLog = field(default_factory=ErrorLog)
    started: set[int] = field(default_factory=set)
    submissions: dict[int, Submission] = field(default_factory=dict)
    in_doubt: set[int] = field(default_factory=set)
    started_by: dict[int, set[int]] = field(default_factory=dict)  # learner id -> attempt ids
    verifications: Counter = field(default_factory=Counter)  # answered, by (channel, verdict)
    verifications_in_doubt: int = 0  # no expected answer: logged or not


class VirtualLearner:
    def __init__(self, base: str, learner: Learner, setup: Setup, deadline: float,
                 seed: int) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.learner, self.setup, self.deadline = learner, setup, deadline
        self.rng = random.Random(seed)
        self.cookies: dict[str, str] = {}
        self.connection = self._connect()
        self.record = Record()
        self.passed: set[str] = set(setup.module_quizzes) if learner.role == "exam" else set()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)

    # HTTP

    def request(self, kind: str, method: str, path: str, expected: tuple[int, ...],
                form: list[tuple[str, str]] | None = None) -> Response | None:
        """One request; its latency is kept under `kind`; None (and an error) unless it got one
        of the `expected` statuses."""
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            raw = self.connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
        except Exception as error:  # any failure of the exchange is an error of the soak
            self.connection.close()
            self.connection = self._connect()
            self.record.latencies[kind].append((time.perf_counter() - started) * 1000)
            reason = classify(None, expected, error, timed_out=isinstance(error, TimeoutError))
            self.record.errors.record(kind, reason, method=method, path=path,
                                      body=f"{type(error).__name__}: {error}")
            return None
        self.record.latencies[kind].append((time.perf_counter() - started) * 1000)
        if raw.will_close:
            self.connection.close()
        self._keep_cookies(raw.headers)
        reason = classify(raw.status, expected)
        if reason:
            self.record.errors.record(kind, reason, method=method, path=path, status=raw.status,
                                      body=text)
            return None
        return Response(raw.status, raw.headers, text)

    def _keep_cookies(self, headers) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def fail(self, kind: str, reason: str, response: Response | None = None, path: str = "",
             method: str = "GET") -> None:
        """A response with the right status but the wrong content."""
        self.record.errors.record(kind, reason, method=method, path=path,
                                  status=response.status if response else None,
                                  body=response.body if response else "")

    # the loop

    def run(self) -> None:
        try:
            # a login that failed (an error already) is tried again, so a stalled server keeps
            # being measured for the whole run instead of losing its clients
            while not self.log_in():
                if time.monotonic() + LOGIN_RETRY_AFTER >= self.deadline:
                    return
                time.sleep(LOGIN_RETRY_AFTER)
            actions, weights = zip(*ACTIONS)
            while time.monotonic() < self.deadline:
                action = self.rng.choices(actions, weights)[0]
                getattr(self, action)()
        except Exception as error:  # a bug of the client must show up, not vanish in a thread
            self.record.errors.record("client", f"exception {type(error).__name__}",
                                      body=traceback.format_exc()[-600:])

    def log_in(self) -> bool:
        page = self.request("login page", "GET", "/login", (200,))
        token = page and csrf_token(page.body)
        if not token:
            if page:
                self.fail("login page", "no CSRF token", page, "/login")
            return False
        answer = self.request("login", "POST", "/login", (302, 303), [
            ("csrf_token", token), ("email", self.learner.email), ("password", PASSWORD)])
        if answer is None:
            return False
        if answer.location.startswith("/login"):
            self.fail("login", "sent back to the login page", answer, "/login", "POST")
            return False
        return True

    def lesson(self) -> None:
        path = self.rng.choice(self.setup.lesson_paths)
        page = self.request("lesson page", "GET", path, (200,))
        if page and 'id="lesson-title"' not in page.body:
            self.fail("lesson page", "not a lesson page", page, path)

    def verify(self) -> None:
        codes = self.setup.codes
        outcome = self.rng.choices(("valid", "unknown", "mistyped"), (6, 2, 2))[0]
        code = self.rng.choice(codes[outcome])
        status = {"valid": 200, "unknown": 404, "mistyped": 400}[outcome]
        verdict = {"valid": "valid", "unknown": "not_found", "mistyped": "mistyped"}[outcome]
        quoted = quote(code, safe="-")
        if self.rng.random() < 0.5:
            kind, path, channel = f"verify API ({outcome})", f"/api/v1/certificates/{quoted}", \
                "api"
            expected = f'"verdict":"{verdict}"'
            answer = self.request(kind, "GET", path, (status,))
            right = answer is not None and expected in answer.body.replace(" ", "")
        else:
            kind, path, channel = f"verify page ({outcome})", f"/verify/{quoted}", "web"
            expected = {"valid": "Valid certificate", "unknown": "No such certificate",
                        "mistyped": "This code looks mistyped"}[outcome]
            answer = self.request(kind, "GET", path, (status,))
            right = answer is not None and expected in answer.body
        if right:
            self.record.verifications[(channel, verdict)] += 1
        else:
            self.record.verifications_in_doubt += 1
            if answer is not None:
                self.fail(kind, f"not the {outcome} verdict", answer, path)

    def quiz(self) -> None:
        open_modules = [key for key in self.setup.module_quizzes if key not in self.passed]
        key = self.rng.choice(open_modules) if open_modules else self.setup.final_exam
        exam = key == self.setup.final_exam
        path = f"/courses/{COURSE}/quiz/{key}"
        overview = self.request("quiz overview", "GET", path, (200,))
        token = overview and csrf_token(overview.body)
        if not token:
            if overview:
                self.fail("quiz overview", "no CSRF token", overview, path)
            return
        start = self.request("quiz start", "POST", path, (303,), [("csrf_token", token)])
        match = start and _ATTEMPT.search(start.location)
        if not match:
            if start:
                self.fail("quiz start", f"redirected to {start.location!r}", start, path, "POST")
            return
        attempt_id = int(match.group(1))
        self.record.started.add(attempt_id)
        attempt_path = f"/attempts/{attempt_id}"
        page = self.request("attempt page", "GET", attempt_path, (200,))
        if page is None:
            return
        fields = question_fields(page.body)
        token = csrf_token(page.body)
        if not fields or not token:
            self.fail("attempt page", "no questions or no CSRF token", page, attempt_path)
            return
        answered_at_most = None
        if exam:
            # Never enough answers to pass the exam: a pass would issue a certificate, whose
            # first rendering loads WeasyPrint into that worker, a step the memory bound would
            # read as growth. Certificates are issued in the setup instead.
            mark = _PASS_MARK.search(page.body)
            answered_at_most = max(0, math.ceil(float(mark.group(1)) / 100 * len(fields)) - 1) \
                if mark else 0
        if self.rng.random() < SAVE_SHARE:
            saved = self.request("quiz save", "POST", f"{attempt_path}/save", (303,),
                                 self.form(token, self.answers(fields, answered_at_most)))
            if saved is None:
                return
            if saved.location != attempt_path:
                self.fail("quiz save", f"redirected to {saved.location!r}", saved, attempt_path)
                return
            if self.request("attempt page", "GET", attempt_path, (200,)) is None:
                return
        answers = self.answers(fields, answered_at_most)
        form = self.form(token, answers)
        self.record.in_doubt.add(attempt_id)
        submitted = self.request("quiz submit", "POST", f"{attempt_path}/submit", (303,), form)
        if submitted is None:
            return
        self.record.in_doubt.discard(attempt_id)
        submission = Submission(attempt_id, self.learner.id, key,
                                {name.removeprefix("answer-"): tokens
                                 for name, tokens in answers.items()})
        self.record.submissions[attempt_id] = submission
        result_path = f"{attempt_path}/result"
        if submitted.location != result_path:
            self.fail("quiz submit", f"redirected to {submitted.location!r}", submitted,
                      attempt_path, "POST")
            return
        submission.score, passed = self.result(result_path)
        if passed and not exam:
            self.passed.add(key)
        if self.rng.random() < REPLAY_SHARE:
            again = self.request("quiz replay (same answers)", "POST", f"{attempt_path}/submit",
                                 (303,), form)
            if again is not None and again.location != result_path:
                self.fail("quiz replay (same answers)", f"redirected to {again.location!r}",
                          again, attempt_path, "POST")
            elif again is not None:
                score, _ = self.result(result_path)
                if score is not None:  # else the result page failed, an error already
                    submission.replay_scores.append(score)
        if self.rng.random() < CONFLICT_SHARE:
            other = self.answers(fields, answered_at_most)
            if sorted(self.form(token, other)) != sorted(form):
                refused = self.request("quiz resubmit (other answers)", "POST",
                                       f"{attempt_path}/submit", (409,), self.form(token, other))
                if refused is not None:
                    submission.refused_changes += 1

    def result(self, path: str) -> tuple[float | None, bool]:
        page = self.request("quiz result", "GET", path, (200,))
        score = page and _SCORE.search(page.body)
        if not score:
            if page:
                self.fail("quiz result", "no score on the result page", page, path)
            return None, False
        return float(score.group(1)), "quiz-score is-pass" in page.body

    def answers(self, fields: dict[str, tuple[str, list[str]]],
                at_most: int | None) -> dict[str, list[str]]:
        """Random answers by position; some questions left blank; at most `at_most` answered."""
        names = list(fields)
        if at_most is not None:
            chosen = set(self.rng.sample(names, min(at_most, len(names))))
            names = [name for name in names if name in chosen]
        answers = {}
        for name in names:
            kind, tokens = fields[name]
            if self.rng.random() < 0.1:
                continue
            if kind == "checkbox" and tokens:
                answers[name] = sorted(self.rng.sample(tokens, self.rng.randint(1, len(tokens))))
            elif kind == "radio" and tokens:
                answers[name] = [self.rng.choice(tokens)]
            elif kind == "number":
                answers[name] = [str(self.rng.randint(0, 100))]
        return answers

    @staticmethod
    def form(token: str, answers: dict[str, list[str]]) -> list[tuple[str, str]]:
        return [("csrf_token", token)] + [(name, token_) for name, tokens in answers.items()
                                          for token_ in tokens]


# --- slow clients -----------------------------------------------------------------------------

class SlowClients:
    """`count` connections to the server, each sending its headers one byte a second and
    opening a new one when the server drops it, until `stop` is called."""

    def __init__(self, base: str, count: int, started: float) -> None:
        parts = urlsplit(base)
        if parts.hostname != "127.0.0.1":
            raise ValueError(f"slow clients only go to 127.0.0.1, not {parts.hostname}")
        if not 0 <= count <= SLOW_CLIENTS_MAX:
            raise ValueError(f"between 0 and {SLOW_CLIENTS_MAX} slow clients, not {count}")
        self.address = (parts.hostname, parts.port)
        self.started = started
        self.connections: list[SlowConnection] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"slow-{i}")
                         for i in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Close every slow connection and wait for its thread (a stuck send gives up in 10 s)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=SLOW_BYTE_EVERY + 15)

    def _run(self) -> None:
        while not self._stop.is_set():
            record = SlowConnection(time.monotonic() - self.started)
            with self._lock:
                self.connections.append(record)
            try:
                with socket.create_connection(self.address, timeout=10) as sock:
                    self._trickle(sock, record)
            except ConnectionRefusedError:
                record.outcome = REFUSED
            except OSError:
                record.outcome = RESET
            record.ended = time.monotonic() - self.started
            if record.outcome != HELD:
                self._stop.wait(SLOW_BYTE_EVERY)  # then a new connection, as an attacker would

    def _trickle(self, sock: socket.socket, record: SlowConnection) -> None:
        sock.sendall(SLOW_REQUEST_HEAD)
        record.sent += len(SLOW_REQUEST_HEAD)
        for byte in slow_header_bytes():
            if self._stop.wait(SLOW_BYTE_EVERY):
                return  # held until the soak stopped it
            if select.select([sock], [], [], 0)[0]:
                record.outcome, record.status = slow_outcome(sock.recv(4096))
                return
            sock.sendall(byte)
            record.sent += 1


# --- processes and memory ---------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """The pids whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def sample(master: int, t: float) -> MemorySample:
    workers = {pid: kib for pid in children(master) if (kib := rss_kib(pid)) is not None}
    return MemorySample(t, rss_kib(master), workers)


class Sampler(threading.Thread):
    """Samples the master's and the workers' RSS every SAMPLE_EVERY s, and once exactly at the
    end of the warm-up."""

    def __init__(self, master: int, started: float, warmup_end: float) -> None:
        super().__init__(daemon=True)
        self.master, self.started, self.warmup_end = master, started, warmup_end
        self.samples: list[MemorySample] = []
        self.stop = threading.Event()

    def take(self) -> None:
        self.samples.append(sample(self.master, time.monotonic() - self.started))

    def run(self) -> None:
        warm_taken = False
        next_tick = 0.0
        while not self.stop.is_set():
            now = time.monotonic() - self.started
            if not warm_taken and now >= self.warmup_end:
                warm_taken = True
                self.take()
                next_tick = now + SAMPLE_EVERY
            elif now >= next_tick:
                self.take()
                next_tick = now + SAMPLE_EVERY
            wake = next_tick if warm_taken else min(next_tick, self.warmup_end)
            self.stop.wait(max(0.0, wake - (time.monotonic() - self.started)))


# --- the run ----------------------------------------------------------------------------------

def run_traffic(server, setup: Setup, args) -> tuple[float, Record, list[MemorySample],
                                                   list[SlowConnection]]:
    duration, warmup = args.minutes * 60, args.warmup_minutes * 60
    started = time.monotonic()
    deadline = started + duration
    sampler = Sampler(server.pid, started, warmup)
    sampler.start()
    slow = SlowClients(server.base, args.slow_clients, started)
    slow.start()
    learners = [VirtualLearner(server.base, learner, setup, deadline, seed=args.seed * 1000 + i)
                for i, learner in enumerate(setup.learners)]
    threads = [threading.Thread(target=learner.run, daemon=True, name=f"learner-{i}")
               for i, learner in enumerate(learners)]
    for thread in threads:
        thread.start()
    record = Record()
    # a quiz is at most 9 requests: a client may finish the one it began before the deadline
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 10 * REQUEST_TIMEOUT)
    stragglers = [thread.name for thread in threads if thread.is_alive()]
    elapsed = time.monotonic() - started
    slow.stop()
    sampler.stop.set()
    sampler.join(timeout=10)
    sampler.take()  # the final sample, taken with the traffic stopped and the server still up
    for learner in learners:
        part = learner.record
        for kind, values in part.latencies.items():
            record.latencies[kind].extend(values)
        record.errors.merge(part.errors)
        record.started |= part.started
        record.started_by[learner.learner.id] = set(part.started)
        record.submissions.update(part.submissions)
        record.in_doubt |= part.in_doubt
        record.verifications.update(part.verifications)
        record.verifications_in_doubt += part.verifications_in_doubt
    for name in stragglers:
        record.errors.record("client", "did not stop in time", body=name)
    return elapsed, record, sampler.samples, slow.connections


def server_env(setup: Setup, args) -> dict:
    """The app's environment, with the production gunicorn configuration unless --server sync
    (gunicorn reads GUNICORN_CMD_ARGS; --workers and --bind on its command line still win)."""
    if args.server == "sync":
        return setup.env
    return {**setup.env, "GUNICORN_CMD_ARGS": f"--config {shlex.quote(str(GUNICORN_CONFIG))}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--server", choices=("gthread", "sync"), default="gthread",
                        help="gthread: deploy/gunicorn.conf.py; sync: plain sync workers")
    parser.add_argument("--slow-clients", type=int, default=4,
                        help=f"connections sending their headers a byte a second (0 to "
                             f"{SLOW_CLIENTS_MAX})")
    parser.add_argument("--latency-p99-ms", type=float, default=2000.0,
                        help="bound on the p99 latency of the other requests meanwhile")
    parser.add_argument("--clients", type=int, default=16, help="virtual learners, one thread each")
    parser.add_argument("--warmup-minutes", type=float, default=None,
                        help="first part of the run, after which the workers' RSS is the baseline "
                             "(default 2, or a fifth of a run shorter than 10 minutes)")
    parser.add_argument("--rss-growth-mib", type=float, default=32.0,
                        help="bound on each worker's RSS growth from the warm-up to the end")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    parser.add_argument("--no-write", action="store_true",
                        help="print the report without writing it into BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.warmup_minutes is None:
        args.warmup_minutes = min(2.0, args.minutes / 5)
    if not 0 < args.warmup_minutes < args.minutes:
        parser.error("--warmup-minutes must be above 0 and below --minutes")
    if args.workers < 1 or args.clients < 1:
        parser.error("--workers and --clients must be at least 1")
    if not 0 <= args.slow_clients <= SLOW_CLIENTS_MAX:
        parser.error(f"--slow-clients must be between 0 and {SLOW_CLIENTS_MAX}")
    command = " ".join(["python -m bench.soak"] + (sys.argv[1:] if argv is None else argv))

    from bench.pg import temporary_database
    from bench.servers import gunicorn_server

    with tempfile.TemporaryDirectory(prefix="okr-soak-") as tmp, \
            temporary_database() as database_url:
        instance = Path(tmp)
        print(f"soak: setting up ({args.clients} learners, {CERTIFICATES} certificates)",
              file=sys.stderr)
        setup = prepare(instance, database_url, args.clients)
        log_file = instance / "gunicorn.log"
        print(f"soak: {args.minutes:g} min of traffic on {args.workers} {args.server} workers, "
              f"{args.slow_clients} slow clients", file=sys.stderr)
        with gunicorn_server("app:create_app()", server_env(setup, args), workers=args.workers,
                             log_file=log_file) as server:
            elapsed, record, samples, slow = run_traffic(server, setup, args)
            master = server.pid
        rows = read_attempts(setup)
        logged = read_verification_log(setup)
        trouble = [line for line in log_file.read_text(errors="replace").splitlines()
                   if SERVER_TROUBLE.search(line)]

    requests = sum(len(values) for values in record.latencies.values())
    reconciliation = reconcile(record.started_by, record.submissions, rows, record.in_doubt)
    memory = evaluate_memory(samples, args.warmup_minutes * 60, args.rss_growth_mib,
                             args.workers, master)
    verdicts = [check_errors(record.errors, requests), reconciliation.verdict(), memory.stable,
                memory.bounded,
                check_verification_log(record.verifications, logged,
                                       record.verifications_in_doubt),
                Verdict("Server log clean", not trouble,
                        f"{len(trouble)} error lines, first: {trouble[0][:160]}" if trouble
                        else "no traceback, error or worker timeout in gunicorn's log"),
                check_slow_clients(slow, args.slow_clients,
                                   [ms for values in record.latencies.values() for ms in values],
                                   args.latency_p99_ms)]
    text = report(args, command, setup, elapsed, record, reconciliation, memory, samples,
                  verdicts, slow)
    print(text)
    if not args.no_write:
        from bench.__main__ import write_results

        write_results(text, SOAK_START, SOAK_END)
    failed = [verdict for verdict in verdicts if not verdict.ok]
    for verdict in failed:
        print(f"soak FAILED: {verdict.name}: {verdict.detail}", file=sys.stderr)
    if failed and trouble:
        print("gunicorn log (error lines):\n" + "\n".join(trouble[:20]), file=sys.stderr)
    return 1 if failed else 0


# --- the report -------------------------------------------------------------------------------

def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def _rss_trend(samples: list[MemorySample]) -> str:
    """The workers' mean RSS at each whole minute of the run and at the end, in MiB."""
    points, minute = [], 0
    for item in samples:
        if item.workers and (item.t >= minute * 60 or item is samples[-1]):
            mean = sum(item.workers.values()) / len(item.workers) / 1024
            points.append(f"{item.t / 60:.0f} min {mean:.1f}" if item is not samples[-1]
                          else f"end {mean:.1f} MiB")
            minute = int(item.t // 60) + 1
    return ", ".join(points)


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def _server(args) -> str:
    if args.server == "sync":
        return f"gunicorn with {args.workers} sync workers (gunicorn's defaults, no front)"
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("gunicorn_conf", GUNICORN_CONFIG)
    conf = module_from_spec(spec)
    spec.loader.exec_module(conf)
    return (f"gunicorn with {args.workers} gthread workers of {conf.threads} threads "
            f"(deploy/gunicorn.conf.py, no front)")


def report(args, command: str, setup: Setup, elapsed: float, record: Record, reconciliation,
           memory, samples: list[MemorySample], verdicts: list[Verdict],
           slow: list[SlowConnection]) -> str:
    requests = sum(len(values) for values in record.latencies.values())
    errors = record.errors.by_kind()
    limiter = "Redis" if setup.limiter_storage.startswith("redis") else \
        "in-memory (Redis did not answer)"
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC with `{command}` on "
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{os.getloadavg()[0]:.1f} load average at the end.",
        "",
        f"{elapsed / 60:.1f} minutes of traffic ({args.warmup_minutes:g} of them warm-up), "
        f"{_server(args)}, {args.clients} clients (one logged-in "
        f"learner each), {setup.postgres}. Rate limits on, stored in {limiter}, with the "
        f"per-client login and verification limits raised to {RAISED_LIMIT} by environment: "
        f"all traffic comes from 127.0.0.1. {requests:,} requests, "
        f"{requests / elapsed:,.1f} per second.",
        "",
        f"Meanwhile {args.slow_clients} slow clients sent their headers a byte a second: "
        f"{describe_slow_connections(slow)}." if args.slow_clients else "No slow clients.",
        "",
        "| Request | Count | Errors | p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    all_latencies = []
    for kind in sorted(record.latencies, key=lambda k: -len(record.latencies[k])):
        values = record.latencies[kind]
        all_latencies += values
        lines.append(f"| {kind} | {len(values):,} | {errors.get(kind, 0)} | "
                     f"{_ms(percentile(values, 0.5))} ms | {_ms(percentile(values, 0.99))} ms |")
    for kind in sorted(set(errors) - set(record.latencies)):
        lines.append(f"| {kind} | - | {errors[kind]} | - | - |")
    lines.append(f"| **all** | {requests:,} | {record.errors.total} | "
                 f"{_ms(percentile(all_latencies, 0.5))} ms | "
                 f"{_ms(percentile(all_latencies, 0.99))} ms |")
    r = reconciliation
    lines += [
        "",
        "| Attempts started | Submitted | Replays (same answers) | Changes refused (409) | "
        "Recorded in DB | Duplicates | Lost | Unknown rows | Mismatched | Left open |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {r.started:,} | {r.submitted:,} | {r.replays:,} | {r.refused_changes:,} | "
        f"{r.recorded:,} | {r.duplicates} | {r.lost} | {r.unknown} | {r.mismatched} | "
        f"{r.open_rows} |",
        "",
        f"| Process | PID | RSS after warm-up (MiB) | RSS at the end (MiB) | Growth (MiB) | "
        f"Within {memory.bound_mib:g} MiB |",
        "|---|---|---|---|---|---|",
    ]
    for row in memory.rows:
        growth = "-" if row.growth_kib is None else f"{row.growth_kib / 1024:+.1f}"
        within = "n/a" if row.process == "master" else \
            {True: "yes", False: "no", None: "-"}[row.within]
        lines.append(f"| {row.process} | {row.pid} | {_mib(row.warm_kib)} | "
                     f"{_mib(row.final_kib)} | {growth} | {within} |")
    trend = _rss_trend(samples)
    if trend:
        lines += ["", f"Mean worker RSS over the run: {trend}."]
    lines += ["", *[verdict.line() for verdict in verdicts]]
    if record.errors.examples:
        lines += ["", "First errors:", ""]
        for example in record.errors.examples:
            lines.append(f"- {example.kind}: {example.reason}: `{example.method} {example.path}` "
                         f"-> {example.status}: {example.body!r}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
