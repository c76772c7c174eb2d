"""HTTP load against a local server: wrk when installed, else a threaded Python client."""
from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str


def run_load(url: str, *, connections: int, seconds: float, headers: dict | None = None,
             threads: int = 2) -> LoadResult:
    if shutil.which("wrk"):
        return _wrk(url, connections, seconds, headers or {}, threads)
    return _python_load(url, connections, seconds, headers or {})


def _wrk(url, connections, seconds, headers, threads) -> LoadResult:
    command = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{int(seconds)}s",
               "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _wrk_latency(output, "50%")
    p99 = _wrk_latency(output, "99%")
    errors = sum(int(n) for n in re.findall(
        r"(?:Non-2xx or 3xx responses:|connect|read|write|timeout)\s+(\d+)", output))
    if rps == 0:
        raise RuntimeError(f"wrk completed no request against {url}:\n{output}")
    return LoadResult(rps, p50, p99, errors, "wrk")


def _wrk_latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _python_load(url, connections, seconds, headers) -> LoadResult:
    match = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        connection = http.client.HTTPConnection(host, port, timeout=5)
        local, failed = [], 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except OSError:
                failed += 1
                connection = http.client.HTTPConnection(host, port, timeout=5)
            local.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(local)
            errors[0] += failed

    workers = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return LoadResult(len(latencies) / elapsed, statistics.median(latencies), p99, errors[0],
                      "python")
