"""Run the benchmarks and print a Markdown table: `python -m bench [--only NAME,...]`."""
from __future__ import annotations

import argparse
import platform
import os
import sys
import time

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
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    rows = []
    for name in names:
        module_name, function_name = SCENARIOS[name]
        module = __import__(module_name, fromlist=[function_name])
        function = getattr(module, function_name, None)
        if function is None:
            print(f"(scenario {name} is not available in this build)", file=sys.stderr)
            continue
        started = time.time()
        row = function(args.seconds)
        row["took"] = time.time() - started
        rows.append(row)
        print(f"{name}: {row['ratio']:.2f}x ({'ok' if row['ok'] else 'OVER BUDGET'})",
              file=sys.stderr)
    print(report(rows))
    return 0 if all(row["ok"] for row in rows) else 1


def report(rows: list[dict]) -> str:
    lines = [
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores",
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
