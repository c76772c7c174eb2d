"""The soak's checks (bench/soak_checks.py) on recorded data: each one catches what it is for;
and the slow-header probe (bench/soak.py) against a local socket."""
from __future__ import annotations

import itertools
import math
import re
import socket
import threading
from email.parser import BytesHeaderParser

import pytest

from bench import soak
from bench.soak_checks import ANSWERED as SERVER_ANSWERED
from bench.soak_checks import (
    CLOSED,
    HELD,
    SLOW_REQUEST_HEAD,
    AttemptRow,
    ErrorLog,
    MemorySample,
    SlowConnection,
    Submission,
    check_errors,
    check_slow_clients,
    check_verification_log,
    classify,
    describe_slow_connections,
    evaluate_memory,
    expected_answers,
    percentile,
    reconcile,
    slow_header_bytes,
    slow_outcome,
)

SNAPSHOT = {"questions": [
    {"id": "pick-one", "kind": "single", "options": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
    {"id": "pick-many", "kind": "multiple",
     "options": [{"id": "x"}, {"id": "y"}, {"id": "z"}, {"id": "w"}]},
    {"id": "yes-no", "kind": "true_false", "options": [{"id": "true"}, {"id": "false"}]},
    {"id": "how-many", "kind": "numeric", "options": []},
]}
FIELDS = {"pick-one": ["3"], "pick-many": ["1", "4"], "how-many": ["42"]}
ANSWERS = {"pick-one": "c", "pick-many": ["w", "x"], "how-many": "42"}


# --- errors -----------------------------------------------------------------------------------

def test_an_expected_status_is_no_error():
    assert classify(200, (200,)) is None
    assert classify(404, (404,)) is None  # an unknown certificate code is an answer


@pytest.mark.parametrize("status, expected, reason", [
    (500, (200,), "HTTP 500"),
    (503, (503,), "HTTP 503"),  # a 5xx is an error even when a step would accept it
    (302, (200,), "unexpected HTTP 302 (expected 200)"),
    (200, (404,), "unexpected HTTP 200 (expected 404)"),
    (429, (303,), "unexpected HTTP 429 (expected 303)"),
])
def test_5xx_and_unexpected_statuses_are_errors(status, expected, reason):
    assert classify(status, expected) == reason


def test_exceptions_and_timeouts_are_errors():
    assert classify(None, (200,), ConnectionResetError("reset")) == \
        "exception ConnectionResetError"
    assert classify(None, (200,), TimeoutError(), timed_out=True) == "timeout"
    assert classify(None, (200,)) == "no response"


def test_the_error_log_counts_by_kind_and_keeps_the_first_examples():
    log = ErrorLog(keep=2)
    log.record("lesson page", "HTTP 500", method="GET", path="/a", status=500,
               body="<p>" + "x" * 300 + "</p>")
    log.record("lesson page", "HTTP 500", method="GET", path="/b", status=500, body=b"boom")
    log.record("quiz submit", "timeout", method="POST", path="/attempts/1/submit")
    assert log.total == 3
    assert log.counts == {"lesson page: HTTP 500": 2, "quiz submit: timeout": 1}
    assert log.by_kind() == {"lesson page": 2, "quiz submit": 1}
    assert [e.path for e in log.examples] == ["/a", "/b"]
    assert len(log.examples[0].body) == 200 and log.examples[1].body == "boom"


def test_merged_logs_add_their_counts_and_keep_at_most_the_limit():
    total, part = ErrorLog(keep=3), ErrorLog(keep=3)
    total.record("a", "HTTP 500")
    for _ in range(4):
        part.record("b", "timeout")
    total.merge(part)
    assert total.total == 5 and len(total.examples) == 3


def test_the_error_check_passes_only_with_no_error_and_some_traffic():
    assert check_errors(ErrorLog(), 1000).ok
    one = ErrorLog()
    one.record("verify API (valid)", "HTTP 502")
    failed = check_errors(one, 1000)
    assert not failed.ok and "verify API (valid): HTTP 502 x1" in failed.detail
    assert not check_errors(ErrorLog(), 0).ok


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(list(range(1, 11)), 0.99) == 10
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


# --- nothing lost -----------------------------------------------------------------------------

def test_posted_positions_map_to_the_option_ids_of_the_attempts_own_order():
    assert expected_answers(SNAPSHOT, FIELDS) == ANSWERS
    assert expected_answers(SNAPSHOT, {"yes-no": ["2"], "pick-one": [""]}) == {"yes-no": "false"}


def _row(attempt_id=1, user_id=10, quiz_key="module-a", number=1, status="submitted",
         answers=None, score=50.0, closure="submitted"):
    return AttemptRow(attempt_id, user_id, quiz_key, number, status,
                      dict(ANSWERS) if answers is None else answers, score, SNAPSHOT, closure)


def _submission(attempt_id=1, user_id=10, quiz_key="module-a", score=50.0, replays=()):
    return Submission(attempt_id, user_id, quiz_key, dict(FIELDS), score, list(replays))


def test_a_clean_run_reconciles():
    result = reconcile({10: {1, 2}, 11: {3}},
                       {1: _submission(1), 2: _submission(2, replays=[50.0]),
                        3: _submission(3, user_id=11)},
                       [_row(1), _row(2, number=2), _row(3, user_id=11)])
    assert result.ok, result.problems
    assert (result.started, result.submitted, result.replays, result.recorded) == (3, 3, 1, 3)
    assert (result.duplicates, result.lost, result.unknown, result.mismatched) == (0, 0, 0, 0)
    assert result.verdict().ok


def test_a_graded_attempt_missing_from_the_database_is_lost():
    result = reconcile({10: {1, 2}}, {1: _submission(1), 2: _submission(2)}, [_row(1)])
    assert not result.ok and result.lost == 1
    assert any("attempt 2 was graded for the client but is missing" in p for p in result.problems)


def test_a_graded_attempt_still_open_in_the_database_is_lost():
    result = reconcile({10: {1}}, {1: _submission(1)},
                       [_row(1, status="open", answers={}, score=None, closure=None)])
    assert not result.ok and result.lost == 1 and result.open_rows == 1


def test_a_duplicate_row_fails():
    rows = [_row(1), _row(2)]  # same learner, quiz and number twice
    result = reconcile({10: {1, 2}}, {1: _submission(1)}, rows, in_doubt={2})
    assert not result.ok and result.duplicates == 1


def test_a_row_no_client_started_fails():
    # e.g. a replayed submission that opened a second attempt
    result = reconcile({10: {1}}, {1: _submission(1)}, [_row(1), _row(7, number=2)])
    assert not result.ok and result.unknown == 1
    assert any("learner 10: 2 attempts in the database, its client started 1" in p
               for p in result.problems)


def test_a_row_no_client_started_fails_even_when_the_count_matches():
    # the client started 1 and 2 (2's start got no answer); the database holds 1 and 7
    result = reconcile({10: {1, 2}}, {1: _submission(1)}, [_row(1), _row(7, number=2)],
                       in_doubt={2})
    assert not result.ok and result.unknown == 1
    assert any("rows no client started: ids 7" in p for p in result.problems)


def test_fewer_rows_than_the_client_started_fails():
    result = reconcile({10: {1, 2}}, {1: _submission(1)}, [_row(1)])
    assert not result.ok
    assert any("1 attempts in the database, its client started 2" in p for p in result.problems)


def test_other_answers_in_the_database_fail():
    result = reconcile({10: {1}}, {1: _submission(1)}, [_row(1, answers={"pick-one": "a"})])
    assert not result.ok and result.mismatched == 1


def test_another_score_than_the_one_shown_fails():
    result = reconcile({10: {1}}, {1: _submission(1, score=75.0)}, [_row(1, score=50.0)])
    assert not result.ok and result.mismatched == 1


def test_a_replay_that_shows_another_result_fails():
    result = reconcile({10: {1}}, {1: _submission(1, replays=[50.0, 100.0])}, [_row(1)])
    assert not result.ok and any("replay showed 100.0" in p for p in result.problems)


def test_an_attempt_graded_as_late_fails():
    result = reconcile({10: {1}}, {1: _submission(1)}, [_row(1, closure="late")])
    assert not result.ok and result.mismatched == 1


def test_an_attempt_submitted_behind_the_clients_back_fails_unless_its_answer_was_lost():
    rows = [_row(1), _row(2, number=2)]
    assert not reconcile({10: {1, 2}}, {1: _submission(1)}, rows).ok
    # the client posted attempt 2 but its request failed (counted as an error already)
    assert reconcile({10: {1, 2}}, {1: _submission(1)}, rows, in_doubt={2}).ok


def test_nothing_submitted_proves_nothing():
    assert not reconcile({}, {}, []).ok


# --- memory -----------------------------------------------------------------------------------

MIB = 1024


def _samples(*rows, master=30 * MIB):
    """rows: (t, {pid: rss MiB})."""
    return [MemorySample(t, master, {pid: mib * MIB for pid, mib in workers.items()})
            for t, workers in rows]


def test_steady_workers_within_the_bound_pass():
    samples = _samples((0, {1: 60, 2: 60}), (60, {1: 100, 2: 98}), (120, {1: 105, 2: 99}),
                       (600, {1: 120, 2: 100}))
    verdict = evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=2, master_pid=9)
    assert verdict.ok, (verdict.stable, verdict.bounded)
    growth = {row.pid: row.growth_kib / MIB for row in verdict.rows if row.process == "worker"}
    assert growth == {1: 20, 2: 2}  # from the end of the warm-up, not from the start
    assert verdict.rows[0].process == "master" and verdict.rows[0].pid == 9


def test_a_growing_worker_fails_the_bound():
    samples = _samples((0, {1: 60, 2: 60}), (60, {1: 100, 2: 100}), (600, {1: 133, 2: 100}))
    verdict = evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=2)
    assert verdict.stable.ok and not verdict.bounded.ok
    assert "worker 1 grew 33.0 MiB" in verdict.bounded.detail


def test_a_restarted_worker_fails_even_within_the_bound():
    samples = _samples((0, {1: 60, 2: 60}), (60, {1: 100, 2: 100}), (300, {1: 100, 3: 70}),
                       (600, {1: 100, 3: 70}))
    verdict = evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=2)
    assert not verdict.stable.ok and "gone [2], new [3]" in verdict.stable.detail
    assert not verdict.ok


def test_a_worker_that_died_fails():
    samples = _samples((0, {1: 60, 2: 60}), (60, {1: 100, 2: 100}), (600, {1: 100}))
    verdict = evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=2)
    assert not verdict.stable.ok and not verdict.bounded.ok


def test_fewer_workers_than_asked_for_fail():
    samples = _samples((0, {1: 60}), (60, {1: 100}), (600, {1: 100}))
    assert not evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=4).stable.ok


def test_no_sample_after_the_warm_up_fails():
    samples = _samples((0, {1: 60}), (30, {1: 60}))
    verdict = evaluate_memory(samples, warmup_end=60, bound_mib=32, workers=1)
    assert verdict.stable.ok and not verdict.bounded.ok
    # the only sample after the warm-up is the last one: there is nothing to compare
    late = evaluate_memory(_samples((0, {1: 60}), (600, {1: 60})), warmup_end=60, bound_mib=32,
                           workers=1)
    assert late.stable.ok and not late.bounded.ok
    assert not evaluate_memory([], warmup_end=60, bound_mib=32, workers=1).ok


# --- the verification log ---------------------------------------------------------------------

ANSWERED = {("api", "valid"): 30, ("web", "not_found"): 10, ("web", "mistyped"): 5}


def test_a_complete_verification_log_passes():
    assert check_verification_log(ANSWERED, dict(ANSWERED)).ok


def test_a_lost_log_entry_fails():
    logged = {**ANSWERED, ("api", "valid"): 29}
    verdict = check_verification_log(ANSWERED, logged)
    assert not verdict.ok and "api/valid: 1" in verdict.detail


def test_an_entry_under_another_verdict_fails():
    logged = {**ANSWERED, ("web", "not_found"): 9, ("web", "malformed"): 1}
    assert not check_verification_log(ANSWERED, logged).ok


def test_doubled_entries_fail_unless_requests_went_unanswered():
    logged = {**ANSWERED, ("api", "valid"): 32}
    assert not check_verification_log(ANSWERED, logged).ok
    assert not check_verification_log(ANSWERED, logged, in_doubt=1).ok
    assert check_verification_log(ANSWERED, logged, in_doubt=2).ok


def test_no_verification_proves_nothing():
    assert not check_verification_log({}, {}).ok


# --- slow clients -----------------------------------------------------------------------------

def test_a_slow_client_sends_well_formed_headers_one_byte_at_a_time_without_end():
    pieces = list(itertools.islice(slow_header_bytes(), 5000))
    assert all(len(piece) == 1 for piece in pieces)
    sent = SLOW_REQUEST_HEAD + b"".join(pieces)
    assert b"\r\n\r\n" not in sent, "the blank line would end the headers"
    request_line, *fields, unfinished = sent.split(b"\r\n")
    assert request_line == b"GET /login HTTP/1.1" and unfinished  # mid-field at the cut
    assert all(re.fullmatch(rb"[A-Za-z0-9-]+: [0-9.]+", field) for field in fields), fields[:3]
    names = [field.split(b":")[0] for field in fields]
    assert len(set(names)) == len(names) > 300
    parsed = BytesHeaderParser().parsebytes(b"\r\n".join(fields) + b"\r\n\r\n")
    assert parsed["X-Slow-7"] == "7" and parsed["Host"] == "127.0.0.1"


def test_how_the_server_ended_a_slow_connection():
    assert slow_outcome(b"") == (CLOSED, None)
    assert slow_outcome(b"HTTP/1.1 408 Request Time-out\r\nConnection: close\r\n\r\n") == \
        (SERVER_ANSWERED, 408)
    assert slow_outcome(b"HTTP/1.0 400 Bad Request\r\n") == (SERVER_ANSWERED, 400)
    assert slow_outcome(b"garbage") == (SERVER_ANSWERED, None)


def _slow(*outcomes) -> list[SlowConnection]:
    return [SlowConnection(opened=n * 10.0, ended=n * 10.0 + 30, sent=40, outcome=outcome,
                           status=408 if outcome == SERVER_ANSWERED else None)
            for n, outcome in enumerate(outcomes)]


def test_slow_connections_are_described_by_how_they_ended():
    text = describe_slow_connections(_slow(HELD, HELD, SERVER_ANSWERED, CLOSED))
    assert text == ("4 slow connections (1 answered 408, 1 closed by the server, 2 held to the "
                    "end), the longest open 30 s, 160 bytes sent")
    assert describe_slow_connections([]) == "no slow connection was opened"


def test_the_latency_check_passes_within_the_bound_and_fails_over_it():
    fast, stalled = [20.0] * 990 + [400.0] * 10, [20.0] * 900 + [15000.0] * 100
    assert check_slow_clients(_slow(HELD, HELD), 2, fast, 2000).ok
    verdict = check_slow_clients(_slow(CLOSED, CLOSED), 2, stalled, 2000)
    assert not verdict.ok and verdict.detail.startswith("p99 15000 ms (bound 2000 ms)")


def test_the_latency_check_proves_nothing_without_slow_connections_or_traffic():
    assert not check_slow_clients([], 4, [20.0] * 100, 2000).ok
    assert not check_slow_clients(_slow(HELD), 4, [], 2000).ok
    assert check_slow_clients([], 0, [20.0] * 100, 2000).ok  # --slow-clients 0: nothing asked


@pytest.mark.parametrize("base, count", [("http://localhost:8000", 1),
                                         ("http://10.0.0.1:8000", 1),
                                         ("http://127.0.0.1:8000", soak.SLOW_CLIENTS_MAX + 1),
                                         ("http://127.0.0.1:8000", -1)])
def test_the_probe_goes_to_127_0_0_1_only_with_a_bounded_number_of_clients(base, count):
    with pytest.raises(ValueError):
        soak.SlowClients(base, count, started=0.0)


class StallingServer:
    """A server on 127.0.0.1: its first connection is answered 408 once the head and three more
    bytes came; the second one is read until the client closes it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received: list[bytes] = []
        self.second_started = threading.Event()
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with self.listener:
            for number in range(2):
                connection, _ = self.listener.accept()
                with connection:
                    data = b""
                    while chunk := connection.recv(1024):
                        data += chunk
                        if number == 0 and len(data) >= len(SLOW_REQUEST_HEAD) + 3:
                            connection.sendall(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
                        if number == 1 and len(data) > len(SLOW_REQUEST_HEAD):
                            self.second_started.set()
                    self.received.append(data)
        self.done.set()


def test_the_probe_trickles_reconnects_when_answered_and_holds_until_stopped(monkeypatch):
    monkeypatch.setattr(soak, "SLOW_BYTE_EVERY", 0.001)
    server = StallingServer()
    probe = soak.SlowClients(f"http://127.0.0.1:{server.port}", 1, started=0.0)
    probe.start()
    assert server.second_started.wait(10), "the probe did not open a second connection"
    probe.stop()
    assert server.done.wait(10)
    first, second = probe.connections
    assert (first.outcome, first.status) == (SERVER_ANSWERED, 408)
    assert second.outcome == HELD and second.ended is not None
    assert [c.sent for c in probe.connections] == [len(data) for data in server.received]
    assert server.received[0].startswith(SLOW_REQUEST_HEAD + b"X-S")
