"""Where the lesson page and the verification API spend their time, against their stack limits:
`python -m bench.profile_pages [--requests 500]`. In-process (Flask's test client, no HTTP), on
the benchmark's SQLite setup; prints the time per request by package, from cProfile's own
time of each function, and the wall time without the profiler."""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

_PACKAGE = re.compile(r"site-packages/([A-Za-z0-9_]+)")


def _package(filename: str) -> str:
    found = _PACKAGE.search(filename)
    if found:
        return found.group(1)
    for part in ("/app/", "/bench/"):
        if part in filename:
            return part.strip("/") + " (ours)"
    return "sqlite3 and the standard library" if filename.startswith(("/", "<")) \
        else filename or "built-in"


def profile(client, path: str, requests: int) -> tuple[float, Counter]:
    """Wall ms per request without the profiler, and own ms per request by package with it."""
    for _ in range(50):
        assert client.get(path).status_code == 200, path
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    wall = (time.perf_counter() - started) * 1000 / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    by_package: Counter = Counter()
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():
        by_package[_package(filename)] += own * 1000 / requests
    return wall, by_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args(argv)
    from bench.scenarios_web import (
        _issue_one_certificate, _public_keys, app_env, prepare_instance, stack_limit_env,
    )

    with tempfile.TemporaryDirectory(prefix="okr-bench-profile-") as tmp:
        env = {**app_env(Path(tmp)), "RATELIMIT_ENABLED": "true",
               "VERIFY_LIMIT_PER_CLIENT": "1000000000 per minute"}
        prepared = prepare_instance(env)
        app = prepared["app"]
        code = _issue_one_certificate(app)
        keys = Path(tmp) / "keys.json"
        keys.write_text(json.dumps(_public_keys(app)))
        os.environ.update({**stack_limit_env(env), "BENCH_KEYS_FILE": str(keys)})
        from bench.stack_limit_app import create_app as stack_limit

        limit = stack_limit()
        api = f"/api/v1/certificates/{quote(code, safe='-')}"
        for label, path, cookie in (("lesson page", prepared["lesson_path"], True),
                                    ("verification API", api, False)):
            results = {}
            for side, target in (("app", app), ("stack limit", limit)):
                client = target.test_client()
                if cookie:
                    client.set_cookie("session", prepared["cookie"])
                results[side] = profile(client, path, args.requests)
            _print(label, results)
    return 0


def _print(label: str, results: dict) -> None:
    (app_wall, app_own), (limit_wall, limit_own) = results["app"], results["stack limit"]
    print(f"\n{label}: app {app_wall:.2f} ms per request, stack limit {limit_wall:.2f} ms "
          f"({limit_wall / app_wall:.2f}x); own time under the profiler, ms per request:")
    for package in sorted(set(app_own) | set(limit_own), key=lambda p: -app_own[p])[:14]:
        print(f"  {package:<36} app {app_own[package]:6.3f}   stack limit "
              f"{limit_own[package]:6.3f}")


if __name__ == "__main__":
    sys.exit(main())
