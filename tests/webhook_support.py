"""A real webhook receiver for the tests: an HTTP server on a free port of 127.0.0.1, in a thread
of the test process, that verifies every request it gets with the reference implementation of
Standard Webhooks (`standardwebhooks.Webhook(secret).verify(body, headers)`), as a customer's
system would.

It can be up (200), answer 503, redirect, answer slowly, or be stopped (connections refused)
and started again on the same port.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

UP, UNAVAILABLE, REDIRECT, SLOW, CHATTY = "up", "503", "redirect", "slow", "chatty"


@dataclass(frozen=True)
class Request:
    """One POST the receiver got: where, its headers and body, and the verified payload (None
    when the signature did not verify; `problem` says why)."""

    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict | None
    problem: str | None
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """The receiving system: `secrets[path]` is the secret each path verifies with."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.secrets: dict[str, str] = {}
        self.requests: list[Request] = []
        self.mode = UP
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def expect(self, name: str, secret: str) -> None:
        self.secrets[f"/hooks/{name}"] = secret

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.secrets.clear()
        self.mode = UP
        if self._server is None:
            self.start()

    # -- what arrived ----------------------------------------------------------------------

    def delivered(self) -> list[Request]:
        """The requests answered 2xx, each verified."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def problems(self) -> list[str]:
        with self._lock:
            return [f"{r.path}: {r.problem}" for r in self.requests if r.problem]

    # -- up and down ----------------------------------------------------------------------

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        payload, problem = self._verify(handler.path, body, headers)
        status, answer, extra = self._answer(problem)
        with self._lock:
            self.requests.append(Request(handler.path, headers, body, payload, problem, status))
        if self.mode == SLOW:
            time.sleep(1.0)
        try:
            handler.send_response(status)
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        except OSError:
            pass  # the sender gave up waiting (the slow mode)

    def _verify(self, path: str, body: bytes, headers: dict) -> tuple[dict | None, str | None]:
        secret = self.secrets.get(path)
        if secret is None:
            return None, "no secret for this path"
        try:
            return Webhook(secret).verify(body, headers), None
        except WebhookVerificationError as error:
            return None, f"not verified: {error}"

    def _answer(self, problem: str | None) -> tuple[int, bytes, dict]:
        if problem:
            return 401, b"signature refused", {}
        if self.mode == UNAVAILABLE:
            return 503, b"down for maintenance", {}
        if self.mode == REDIRECT:
            return 302, b"", {"Location": f"http://127.0.0.1:{self.port}/elsewhere"}
        if self.mode == CHATTY:
            return 200, json.dumps({"ok": True, "echo": "x" * 5000}).encode(), {}
        return 200, b'{"ok": true}', {}


@pytest.fixture(scope="module")
def receiver_server():
    """One receiver per test module, stopped at its end."""
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server):
    """The module's receiver, up, with nothing received and no secrets yet."""
    receiver_server.reset()
    return receiver_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
