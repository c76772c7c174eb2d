"""Gunicorn for OKR Academy: threaded workers behind nginx (deploy/nginx.conf).

`gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`; the environment tunes it:
GUNICORN_BIND (default 127.0.0.1:8000, where nginx proxies to), WEB_CONCURRENCY (worker
processes, default 2), GUNICORN_THREADS (threads per worker, default 8). Rate-limit counters
kept in each process (RATELIMIT_STORAGE_URI unset or memory://) or SINGLE_WORKER=true mean one
worker: the limits would otherwise multiply by the number of processes.
"""
from __future__ import annotations

import os


def _single_worker() -> bool:
    """True when one process must serve: per-process rate-limit counters, or the setting."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    single = os.environ.get("SINGLE_WORKER", "").strip().lower() in {"1", "true", "yes", "on"}
    return single or storage.startswith("memory://")


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A thread waits on a slow client instead of a whole process; nginx in front buffers requests
# and responses, so threads only wait on the app itself.
worker_class = "gthread"
workers = 1 if _single_worker() else int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker silent for this long is killed and replaced; nginx's proxy_read_timeout (35 s)
# is longer, so the client gets gunicorn's answer, not a gateway timeout.
timeout = 30
graceful_timeout = 30
# Idle kept-alive connections from nginx cost a file descriptor, not a thread; nginx closes
# its idle upstream connections after 60 s, before gunicorn does.
keepalive = 65
# Bounds on what one request may send before the app sees it (nginx has the same 8 KiB line).
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
# nginx logs the requests; gunicorn's own log has the errors.
accesslog = None
errorlog = "-"
loglevel = "info"


def on_starting(server) -> None:
    """Say why there is one worker when the counters decide it."""
    if server.cfg.workers == 1 and _single_worker():
        server.log.info("One worker: rate-limit counters are per process "
                        "(RATELIMIT_STORAGE_URI memory://) or SINGLE_WORKER is set.")
