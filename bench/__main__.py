"""Run the benchmarks and print a Markdown table: `python -m bench [--only NAME,...]`."""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

SCENARIOS = {
    "lesson": ("bench.scenarios_web", "lesson_page"),
    "verify": ("bench.scenarios_web", "verification_api"),
    "certificate": ("bench.scenarios_certificates", "certificate_render"),
    "bulk": ("bench.scenarios_certificates", "bulk_issuance"),
    "scale": ("bench.scenarios_scale", "scale"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=8.0, help="load duration per run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    if args.child:
        print(json.dumps(run_scenario(names[0], args.seconds)))
        return 0
    rows = []
    for name in names:
        # Each scenario runs in a process of its own, so none inherits another's state.
        child = subprocess.run([sys.executable, "-m", "bench", "--child", "--only", name,
                                "--seconds", str(args.seconds)], capture_output=True, text=True)
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"scenario {name} failed")
        row = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{name}: {row['ratio']:.2f}x ({'ok' if row['ok'] else 'OVER BUDGET'})",
              file=sys.stderr)
    table = report(rows, " ".join(["make bench"] + (argv or sys.argv[1:])))
    print(table)
    write_results(table)
    return 0 if all(row["ok"] for row in rows) else 1


def run_scenario(name: str, seconds: float) -> dict:
    module_name, function_name = SCENARIOS[name]
    function = getattr(__import__(module_name, fromlist=[function_name]), function_name)
    started = time.time()
    row = function(seconds)
    row["took"] = time.time() - started
    row["ok"] = bool(row["ok"])
    return row


def write_results(table: str, start: str = START, end: str = END) -> None:
    """Replace the block between the `start` and `end` markers of BENCHMARKS.md (the benchmark
    results by default), keeping the analysis around it; the markers are appended when absent."""
    block = f"{start}\n{table}\n{end}"
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1] if end in rest else ""
    RESULTS_FILE.write_text(head + block + tail)


def report(rows: list[dict], command: str) -> str:
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC with `{command}` on "
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{os.getloadavg()[0]:.1f} load average at the end.",
        "",
        "| Benchmark | Measured | Baseline (same run) | Ratio | Budget | Within |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['name']} | {row['measured']} | {row['baseline']} | "
                     f"{row['ratio']:.2f}x | {row['budget']} | {'yes' if row['ok'] else 'no'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
