"""Start gunicorn on a free loopback port for the duration of a measurement."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and its master process (whose children are the
    workers)."""

    base: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, *, workers: int = 2, ready_path: str = "/"):
    """Serve `app_spec` (e.g. "app:create_app()") and yield its base URL."""
    with gunicorn_server(app_spec, env, workers=workers, ready_path=ready_path) as server:
        yield server.base


@contextlib.contextmanager
def gunicorn_server(app_spec: str, env: dict, *, workers: int = 2, ready_path: str = "/",
                    log_file: Path | None = None):
    """Serve `app_spec` and yield a :class:`Server`. With `log_file`, gunicorn's (and the
    app's) stderr goes to that file, so a long run never blocks on a full pipe."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(open(log_file, "wb")) if log_file else subprocess.PIPE
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base + ready_path, process, log_file)
            yield Server(base, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen, log_file: Path | None = None,
                timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            output = log_file.read_bytes() if log_file else process.stderr.read()
            raise RuntimeError(f"gunicorn exited: {output.decode(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return  # it answers, if only with a 404
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")
