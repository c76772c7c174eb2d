"""The soak's checks as pure functions: no server, no database, only what was recorded.

- errors: every request is classified against the statuses its step expects; any exception,
  timeout, 5xx or other status is an error, counted by kind with the first few examples;
- nothing lost: the attempts the clients started and submitted, reconciled with the rows the
  database holds at the end (exactly once, with the posted answers);
- memory: the gunicorn workers' RSS samples, against a bound on the growth after the warm-up,
  and the set of worker pids, which must never change (no crash, no recycling);
- slow clients: what the slow-header probe sends, how each of its connections ended, and the
  other traffic's p99 latency while they were open, against a bound.
"""
from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIB = 1024  # RSS samples are in KiB, as /proc reports them


# --- errors -----------------------------------------------------------------------------------

def classify(status: int | None, expected: Iterable[int], error: BaseException | None = None,
             timed_out: bool = False) -> str | None:
    """Why a request failed, or None when it got an expected answer."""
    if timed_out:
        return "timeout"
    if error is not None:
        return f"exception {type(error).__name__}"
    if status is None:
        return "no response"
    expected = tuple(expected)
    if status >= 500:
        return f"HTTP {status}"
    if status not in expected:
        return f"unexpected HTTP {status} (expected {'/'.join(map(str, expected))})"
    return None


@dataclass
class ErrorExample:
    kind: str
    reason: str
    method: str
    path: str
    status: int | None
    body: str


@dataclass
class ErrorLog:
    """Errors by "request kind: reason", with the first `keep` examples."""

    keep: int = 5
    counts: Counter = field(default_factory=Counter)
    examples: list[ErrorExample] = field(default_factory=list)

    def record(self, kind: str, reason: str, *, method: str = "", path: str = "",
               status: int | None = None, body: str | bytes = "") -> None:
        self.counts[f"{kind}: {reason}"] += 1
        if len(self.examples) < self.keep:
            if isinstance(body, bytes):
                body = body.decode("utf-8", errors="replace")
            self.examples.append(ErrorExample(kind, reason, method, path, status,
                                              " ".join(body.split())[:200]))

    def merge(self, other: ErrorLog) -> None:
        self.counts.update(other.counts)
        room = self.keep - len(self.examples)
        self.examples.extend(other.examples[:max(room, 0)])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_kind(self) -> Counter:
        """Error counts per request kind (the part before the colon)."""
        kinds: Counter = Counter()
        for key, count in self.counts.items():
            kinds[key.split(":", 1)[0]] += count
        return kinds


@dataclass(frozen=True)
class Verdict:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"- **{self.name}: {'pass' if self.ok else 'FAIL'}**: {self.detail}"


def check_errors(log: ErrorLog, requests: int) -> Verdict:
    """Zero errors, and some traffic at all (an idle soak proves nothing)."""
    if requests == 0:
        return Verdict("No errors", False, "no request completed")
    if log.total:
        worst = ", ".join(f"{key} x{count}" for key, count in log.counts.most_common(4))
        return Verdict("No errors", False, f"{log.total} errors in {requests:,} requests: {worst}")
    return Verdict("No errors", True, f"0 errors in {requests:,} requests")


# --- latency ----------------------------------------------------------------------------------

def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# --- nothing lost -----------------------------------------------------------------------------

@dataclass
class Submission:
    """What a client saw of one submitted attempt: what it posted and the score shown."""

    attempt_id: int
    learner_id: int
    quiz_key: str
    fields: dict[str, list[str]]  # question id -> the posted tokens (option positions or a number)
    score: float | None = None
    replay_scores: list[float | None] = field(default_factory=list)
    refused_changes: int = 0  # different answers posted afterwards, refused with 409


@dataclass(frozen=True)
class AttemptRow:
    """One quiz_attempts row as read back at the end."""

    id: int
    user_id: int
    quiz_key: str
    number: int
    status: str
    answers: dict | None
    score: float | None
    snapshot: dict
    closure: str | None = None


def expected_answers(snapshot: Mapping[str, Any], fields: Mapping[str, Sequence[str]]) -> dict:
    """The answers the database must hold for these posted fields: option positions mapped to
    the option ids of the attempt's own snapshot (its order), lists sorted, blanks dropped."""
    questions = {q["id"]: q for q in snapshot.get("questions", [])}
    answers: dict[str, Any] = {}
    for question_id, tokens in fields.items():
        tokens = [t for t in tokens if t != ""]
        question = questions.get(question_id)
        if not tokens or question is None:
            continue
        if question["kind"] == "numeric":
            answers[question_id] = tokens[0]
            continue
        options = [o["id"] for o in question["options"]]
        ids = [options[int(t) - 1] for t in tokens]
        answers[question_id] = sorted(ids) if question["kind"] == "multiple" else ids[0]
    return answers


@dataclass
class Reconciliation:
    started: int
    submitted: int
    replays: int
    refused_changes: int
    recorded: int
    duplicates: int
    lost: int
    unknown: int
    mismatched: int
    open_rows: int
    in_doubt: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def verdict(self) -> Verdict:
        if self.ok:
            return Verdict("Nothing lost", True,
                           f"all {self.submitted:,} submitted attempts recorded exactly once with "
                           f"the posted answers; {self.replays:,} replays gave the same result and "
                           "no new row")
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return Verdict("Nothing lost", False, shown + more)


def reconcile(started: Mapping[int, set[int]], submissions: Mapping[int, Submission],
              rows: Sequence[AttemptRow], in_doubt: Iterable[int] = ()) -> Reconciliation:
    """Every attempt a client saw graded is in the database exactly once, submitted, with the
    answers it posted (and the score it was shown); no row the clients did not start; as many
    rows per learner as its client started.

    `started`: learner id -> the attempt ids its client was sent to after "Start";
    `submissions`: attempt id -> what the client posted and saw; `rows`: the attempts created
    during the soak; `in_doubt`: attempts whose submission got no answer (an error was counted
    already), which may be open or submitted.
    """
    problems: list[str] = []
    in_doubt = set(in_doubt)
    ids = Counter(row.id for row in rows)
    keys = Counter((row.user_id, row.quiz_key, row.number) for row in rows)
    duplicates = sum(n - 1 for n in ids.values() if n > 1) + \
        sum(n - 1 for n in keys.values() if n > 1)
    if duplicates:
        problems.append(f"{duplicates} duplicate rows (same id, or same learner, quiz and number)")
    by_id = {row.id: row for row in rows}
    known = set().union(*started.values()) if started else set()

    lost = mismatched = 0
    for attempt_id, submission in sorted(submissions.items()):
        row = by_id.get(attempt_id)
        if row is None or row.status != "submitted":
            lost += 1
            state = "missing" if row is None else f"status {row.status}"
            problems.append(f"attempt {attempt_id} was graded for the client but is {state}")
            continue
        reasons = []
        if row.user_id != submission.learner_id or row.quiz_key != submission.quiz_key:
            reasons.append("belongs to another learner or quiz")
        if attempt_id not in started.get(submission.learner_id, set()):
            reasons.append("was never started by its client")
        want = expected_answers(row.snapshot, submission.fields)
        if (row.answers or {}) != want:
            reasons.append(f"answers {row.answers!r} differ from the posted {want!r}")
        if submission.score is not None and (row.score is None or
                                             abs(row.score - submission.score) > 0.01):
            reasons.append(f"score {row.score} differs from the {submission.score} shown")
        replays = [s for s in submission.replay_scores if s != submission.score]
        if replays:
            reasons.append(f"a replay showed {replays[0]} instead of {submission.score}")
        if row.closure not in (None, "submitted"):
            reasons.append(f"closed as {row.closure!r}")
        if reasons:
            mismatched += 1
            problems.append(f"attempt {attempt_id} " + ", ".join(reasons))

    if not submissions:
        problems.append("no attempt was submitted, so nothing was reconciled")
    unknown = [row for row in rows if row.id not in known]
    if unknown:
        problems.append(f"{len(unknown)} rows no client started: ids "
                        f"{', '.join(str(r.id) for r in unknown[:10])}")
    stray = [row for row in rows if row.status == "submitted" and row.id in known
             and row.id not in submissions and row.id not in in_doubt]
    if stray:
        problems.append(f"{len(stray)} submitted rows whose submission no client made: ids "
                        f"{', '.join(str(r.id) for r in stray[:10])}")
    per_learner = Counter(row.user_id for row in rows)
    for learner_id in sorted(set(started) | set(per_learner)):
        expected, found = len(started.get(learner_id, set())), per_learner.get(learner_id, 0)
        if expected != found:
            problems.append(f"learner {learner_id}: {found} attempts in the database, "
                            f"its client started {expected}")
    return Reconciliation(
        started=len(known), submitted=len(submissions),
        replays=sum(len(s.replay_scores) for s in submissions.values()),
        refused_changes=sum(s.refused_changes for s in submissions.values()),
        recorded=sum(1 for row in rows if row.status == "submitted" and row.id in submissions),
        duplicates=duplicates, lost=lost, unknown=len(unknown), mismatched=mismatched,
        open_rows=sum(1 for row in rows if row.status == "open"),
        in_doubt=len(in_doubt), problems=problems,
    )


# --- memory -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemorySample:
    """RSS in KiB at `t` seconds from the start: the master's and each worker's by pid."""

    t: float
    master_kib: int | None
    workers: Mapping[int, int]


@dataclass(frozen=True)
class MemoryRow:
    process: str
    pid: int
    warm_kib: int | None
    final_kib: int | None
    within: bool | None  # None for the master, which has no bound

    @property
    def growth_kib(self) -> int | None:
        if self.warm_kib is None or self.final_kib is None:
            return None
        return self.final_kib - self.warm_kib


@dataclass
class MemoryVerdict:
    rows: list[MemoryRow]
    bound_mib: float
    stable: Verdict
    bounded: Verdict

    @property
    def ok(self) -> bool:
        return self.stable.ok and self.bounded.ok


def evaluate_memory(samples: Sequence[MemorySample], warmup_end: float, bound_mib: float,
                    workers: int, master_pid: int = 0) -> MemoryVerdict:
    """The workers must be the same `workers` pids in every sample, and each one's RSS in the
    last sample within `bound_mib` of its RSS in the first sample taken at or after
    `warmup_end`."""
    samples = sorted(samples, key=lambda s: s.t)
    if not samples:
        none = Verdict("Workers stable", False, "no memory sample was taken")
        return MemoryVerdict([], bound_mib, none,
                             Verdict("Memory bound", False, "no memory sample was taken"))
    first = set(samples[0].workers)
    changes = []
    seen = previous = set(first)
    for sample in samples[1:]:
        pids = set(sample.workers)
        if pids != previous:  # each change once, from the sample where it shows
            gone, new = sorted(previous - pids), sorted(pids - previous)
            changes.append(f"at {sample.t:.0f} s: gone {gone or '-'}, new {new or '-'}")
        seen |= pids
        previous = pids
    if len(first) != workers:
        changes.insert(0, f"{len(first)} workers at the start, expected {workers}")
    stable = Verdict("Workers stable", not changes,
                     "; ".join(changes[:4]) if changes else
                     f"the same {len(first)} worker pids in all {len(samples)} samples")

    warm = next((s for s in samples if s.t >= warmup_end), None)
    final = samples[-1]
    bound_kib = bound_mib * MIB
    rows = []
    if warm is not None:
        rows.append(MemoryRow("master", master_pid, warm.master_kib, final.master_kib, None))
    over = []
    for pid in sorted(seen):
        warm_kib = warm.workers.get(pid) if warm else None
        final_kib = final.workers.get(pid)
        within = None if warm_kib is None or final_kib is None \
            else final_kib - warm_kib <= bound_kib
        rows.append(MemoryRow("worker", pid, warm_kib, final_kib, within))
        if within is False:
            over.append(f"worker {pid} grew {(final_kib - warm_kib) / MIB:.1f} MiB")
    if warm is None or warm is final:
        bounded = Verdict("Memory bound", False,
                          "no sample after the warm-up to compare with the end "
                          f"({len(samples)} samples, warm-up ends at {warmup_end:.0f} s)")
    elif over:
        bounded = Verdict("Memory bound", False, f"over {bound_mib:g} MiB: " + ", ".join(over))
    elif any(row.within is None for row in rows if row.process == "worker"):
        bounded = Verdict("Memory bound", False,
                          "a worker is missing from the warm-up or the final sample")
    else:
        worst = max(row.growth_kib for row in rows if row.process == "worker")
        bounded = Verdict("Memory bound", True,
                          f"largest worker growth after the warm-up {worst / MIB:+.1f} MiB "
                          f"(bound {bound_mib:g} MiB, from {warm.t:.0f} s to {final.t:.0f} s)")
    return MemoryVerdict(rows, bound_mib, stable, bounded)


# --- the verification log ---------------------------------------------------------------------

def check_verification_log(answered: Mapping[tuple[str, str], int],
                           logged: Mapping[tuple[str, str], int], in_doubt: int = 0) -> Verdict:
    """Every verification that got its answer has its entry in the log, by (channel, verdict):
    none lost (the log may be written in batches, off the request path), none doubled. Requests
    that got no answer (`in_doubt`, errors already) may or may not have an entry."""
    name = "Verification log complete"
    keys = sorted(set(answered) | set(logged))
    missing = {key: answered.get(key, 0) - logged.get(key, 0) for key in keys
               if logged.get(key, 0) < answered.get(key, 0)}
    extra = sum(max(0, logged.get(key, 0) - answered.get(key, 0)) for key in keys)
    total = sum(answered.values())
    if missing:
        shown = ", ".join(f"{channel}/{verdict}: {count}"
                          for (channel, verdict), count in missing.items())
        return Verdict(name, False, f"{sum(missing.values())} of {total:,} answered "
                                    f"verifications have no log entry ({shown})")
    if extra > in_doubt:
        return Verdict(name, False, f"{extra} log entries more than the {total:,} answered "
                                    f"verifications (and {in_doubt} unanswered)")
    if total == 0:
        return Verdict(name, False, "no verification was answered")
    return Verdict(name, True, f"{sum(logged.values()):,} entries for {total:,} answered "
                               "verifications, by channel and verdict")


# --- slow clients -----------------------------------------------------------------------------

#: what a slow client sends as soon as it connects: a request line and Host, and no blank line,
#: so the server goes on reading headers
SLOW_REQUEST_HEAD = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
HELD, ANSWERED, CLOSED, RESET, REFUSED = (
    "held to the end", "answered", "closed by the server", "reset", "refused")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})")


def slow_header_bytes() -> Iterator[bytes]:
    """The rest of a slow client's headers, one byte at a time, without end: short well-formed
    fields (``X-Slow-1: 1``, ``X-Slow-2: 2``...), never the blank line that ends them."""
    for number in itertools.count(1):
        for byte in f"X-Slow-{number}: {number}\r\n".encode("ascii"):
            yield bytes([byte])


@dataclass
class SlowConnection:
    """One connection of the probe: when it opened and ended (seconds from the start of the
    traffic), the bytes it sent and how it ended."""

    opened: float
    ended: float | None = None
    sent: int = 0
    outcome: str = HELD
    status: int | None = None  # the status line the server answered with, if any

    @property
    def seconds(self) -> float:
        return 0.0 if self.ended is None else self.ended - self.opened


def slow_outcome(reply: bytes) -> tuple[str, int | None]:
    """How the server ended a slow connection, from what it sent: nothing (it closed the
    connection) or an answer, with its status when it starts with a status line."""
    if not reply:
        return CLOSED, None
    match = _STATUS_LINE.match(reply)
    return ANSWERED, int(match.group(1)) if match else None


def describe_slow_connections(connections: Sequence[SlowConnection]) -> str:
    """One sentence: how many connections, how they ended, the longest one held."""
    if not connections:
        return "no slow connection was opened"
    ends = Counter(c.outcome if c.status is None else f"{c.outcome} {c.status}"
                   for c in connections)
    how = ", ".join(f"{count} {outcome}" for outcome, count in sorted(ends.items()))
    longest = max(c.seconds for c in connections)
    sent = sum(c.sent for c in connections)
    return (f"{len(connections)} slow connections ({how}), the longest open {longest:.0f} s, "
            f"{sent:,} bytes sent")


def check_slow_clients(connections: Sequence[SlowConnection], wanted: int,
                       latencies: Sequence[float], bound_ms: float) -> Verdict:
    """With `wanted` slow clients holding connections open, the other requests' p99 latency
    stays within `bound_ms`; no slow connection at all, or no request, proves nothing."""
    name = "Latency under slow clients"
    if wanted == 0:
        return Verdict(name, True, "no slow clients in this run")
    if not connections:
        return Verdict(name, False, "no slow connection was opened")
    p99 = percentile(latencies, 0.99)
    if math.isnan(p99):
        return Verdict(name, False, "no other request completed")
    return Verdict(name, p99 <= bound_ms,
                   f"p99 {p99:.0f} ms (bound {bound_ms:g} ms) with {wanted} clients sending "
                   f"their headers a byte a second: {describe_slow_connections(connections)}")
