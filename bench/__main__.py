"""Run the benchmarks and print a Markdown table: `python -m bench [--only NAME,...]`."""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
    "mail_queue": ("bench.scenarios_mail", "mail_queue"),
    "mail_reminders": ("bench.scenarios_mail", "mail_reminders"),
    "pages": ("bench.scenarios_pages", "pages"),
}
#: which run line of the results block each table row comes from (see `merge`)
ROWS_MARK = "<!-- bench:rows"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="load duration of each round of the served scenarios")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    if args.child:
        print(json.dumps(run_scenario(names[0], args.seconds)))
        return 0
    rows = []
    for name in names:
        # Each scenario runs in a process of its own, so none inherits another's state.
        started = time.time()
        child = subprocess.run([sys.executable, "-m", "bench", "--child", "--only", name,
                                "--seconds", str(args.seconds)], capture_output=True, text=True)
        if child.returncode != 0:
            # the other scenarios still run; this one's row says what broke
            print(child.stderr[-3000:], file=sys.stderr)
            row = failed_row(name, child.stderr, time.time() - started)
        else:
            row = json.loads(child.stdout.strip().splitlines()[-1])
        row["scenario"] = name
        rows.append(row)
        print(f"{name}: {_ratio(row)} ({_verdict(row)}, {row['took']:.0f} s)", file=sys.stderr)
    table = report(rows, " ".join(["make bench"] + (argv or sys.argv[1:])))
    print(table)
    # a run of some scenarios keeps the other rows of the last results, with their run's line
    write_results(merge(table, previous_results()) if args.only else table)
    return 0 if all(row["ok"] for row in rows) else 1


def run_scenario(name: str, seconds: float) -> dict:
    module_name, function_name = SCENARIOS[name]
    function = getattr(__import__(module_name, fromlist=[function_name]), function_name)
    started = time.time()
    row = function(seconds)
    row["took"] = time.time() - started
    row["ok"] = bool(row["ok"])
    return row


def failed_row(name: str, stderr: str, took: float) -> dict:
    """The row of a scenario that stopped with an error: its last line, a missed budget."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    error = (lines[-1] if lines else "no output").replace("|", "/")[:300]
    return {"name": name, "measured": f"failed after {took:.0f} s: `{error}`", "baseline": "—",
            "ratio": None, "budget": "runs to the end", "ok": False, "took": took}


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
                     f"{_ratio(row)} | {row['budget']} | {_verdict(row, 'yes', 'no')} |")
    lines.append(_rows_mark([(row.get("scenario", ""), 0) for row in rows]))
    return "\n".join(lines)


def _rows_mark(origins: list[tuple[str, int]]) -> str:
    """`<!-- bench:rows lesson=0 verify=1 -->`: each row's scenario and run line."""
    return f"{ROWS_MARK} {' '.join(f'{name}={run}' for name, run in origins)} -->"


def _read_mark(line: str) -> list[tuple[str, int]]:
    pairs = [item.split("=", 1) for item in line[len(ROWS_MARK):].strip(" ->").split()]
    return [(name, int(run)) for name, run in pairs]


def _ratio(row: dict) -> str:
    """`0.52x (0.49-0.55, 5 pairs)`: the median of the pairwise ratios, their range."""
    if row.get("ratio") is None:
        return "n/a"
    if "ratio_min" not in row:
        return f"{row['ratio']:.2f}x"
    return f"{row['ratio']:.2f}x ({row['ratio_min']:.2f}-{row['ratio_max']:.2f}, " \
           f"{row['pairs']} pairs)"


def _verdict(row: dict, within: str = "ok", over: str = "OVER BUDGET") -> str:
    return "skipped" if row.get("skipped") else within if row["ok"] else over


def previous_results() -> tuple[list[str], list[tuple[str, int, str]]]:
    """The run lines of the results block, and its table rows as (scenario, run line, text)."""
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else ""
    if START not in text or END not in text.split(START, 1)[1]:
        return [], []
    lines = text.split(START, 1)[1].split(END, 1)[0].strip().splitlines()
    runs = [re.sub(r" Rows: [^.]*\.$", "", line) for line in lines if line.startswith("Run ")]
    table = [line for line in lines if line.startswith("| ")][1:]  # not the column names
    mark = next((line for line in lines if line.startswith(ROWS_MARK)), None)
    if mark is not None:
        origins = _read_mark(mark)
    else:  # written before rows were marked: one run, its scenarios in their order
        only = re.search(r"--only[ =]([\w,]+)", runs[0]) if runs else None
        origins = [(name, 0) for name in (only.group(1).split(",") if only else SCENARIOS)]
    return runs, [(name, run, row) for (name, run), row in zip(origins, table)]


def merge(table: str, previous: tuple[list[str], list[tuple[str, int, str]]]) -> str:
    """This run's table with the previous rows of the scenarios it did not run, in the order
    of SCENARIOS; when rows come from several runs, each run line names its rows."""
    lines = table.splitlines()
    fresh = {name: (0, row) for (name, _), row in zip(
        _read_mark(lines[-1]), [line for line in lines if line.startswith("| ")][1:])}
    old_runs, old_rows = previous
    kept = {name: (run, row) for name, run, row in old_rows if name not in fresh}
    still = sorted({run for run, _ in kept.values()})  # earlier runs that keep a row
    runs = [lines[0]] + [old_runs[run] for run in still]
    merged = {**{name: (1 + still.index(run), row) for name, (run, row) in kept.items()},
              **fresh}
    order = [name for name in SCENARIOS if name in merged] + \
        [name for name in merged if name not in SCENARIOS]
    if len(runs) > 1:
        runs = [f"{line} Rows: {', '.join(n for n in order if merged[n][0] == number)}."
                for number, line in enumerate(runs)]
    return "\n".join([*runs, "", *lines[2:4], *(merged[name][1] for name in order),
                      _rows_mark([(name, merged[name][0]) for name in order])])


if __name__ == "__main__":
    sys.exit(main())
