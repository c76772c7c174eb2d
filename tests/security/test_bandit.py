"""Static analysis of app/ with bandit: every finding is fixed, or answered in the code with
`# nosec <id>: <why>` on its line, so the reason is reviewed with the code it excuses."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "app"
#: `# nosec` followed by at least one test id and then a reason
ANSWERED = re.compile(r"#\s*nosec\s+(?P<ids>B\d{3}(?:[\s,]+B\d{3})*)\s*[:#]\s*(?P<why>\S.*)")

pytestmark = pytest.mark.skipif(importlib.util.find_spec("bandit") is None,
                                reason="bandit is not installed (pip install -r "
                                       "requirements-dev.txt)")


def bandit_findings() -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "--recursive", str(APP_DIR), "--format", "json",
         "--quiet"], capture_output=True, text=True, timeout=300, check=False)
    assert result.stdout, f"bandit did not run: {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    assert not report["errors"], f"bandit could not read: {report['errors']}"
    return report["results"]


def test_bandit_finds_nothing_unanswered_in_the_app():
    findings = bandit_findings()
    lines = [f"{Path(f['filename']).relative_to(APP_DIR.parent)}:{f['line_number']}: "
             f"{f['test_id']} ({f['issue_severity'].lower()}) {f['issue_text']}"
             for f in findings]
    assert not lines, ("bandit findings: fix each, or answer it on its line with "
                          "`# nosec <id>: <why>`\n" + "\n".join(lines))


def test_every_nosec_names_the_check_and_says_why():
    bare = []
    for path in sorted(APP_DIR.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"#\s*nosec\b", line) and not ANSWERED.search(line):
                bare.append(f"{path.relative_to(APP_DIR.parent)}:{number}: {line.strip()}")
    assert not bare, "a `# nosec` without a check id and a reason:\n" + "\n".join(bare)
