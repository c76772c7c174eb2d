"""HR's bulk CSV check costs time in proportion to the file, whatever the file holds.

`csv.Sniffer` guesses the quote character with a regular expression that is quadratic in its
sample: 160 KB of private-use characters and quotes used to cost seconds of CPU. The dialect
is now sniffed from a bounded sample, and rows wider than any export are refused before the
report pads every row to the widest one.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.verify.spreadsheets import MAX_COLUMNS, CsvError, read_csv_rows, sniff_sample

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 2.0
HOSTILE_BYTES = 160 * 1024
UPLOAD_LIMIT = 4 * 1024 * 1024
CODE = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


def repeated(unit: str, head: str = "code,\n", size: int = HOSTILE_BYTES) -> bytes:
    """A first line with a delimiter, then the unit repeated to about size bytes of UTF-8."""
    count = (size - len(head.encode())) // len(unit.encode())
    return (head + unit * count).encode("utf-8")


HOSTILE = {
    # the file of the report: each line a private-use character and a quote
    "private-use characters and quotes, one per line": repeated('\ue000"\n'),
    "private-use characters and quotes on one line": repeated('\ue000"x'),
    "quotes and commas": repeated("',\"", head=""),
    "spaces before quotes": repeated('\ue000 "\n'),
}

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from app.verify.spreadsheets import CsvError, read_csv_rows

data = Path(sys.argv[1]).read_bytes()
used = resource.getrusage(resource.RUSAGE_SELF)
resource.setrlimit(resource.RLIMIT_CPU, (int(used.ru_utime + used.ru_stime) + 3,
                                          resource.RLIM_INFINITY))
started = time.process_time()
try:
    rows = len(read_csv_rows(data))
except CsvError as error:
    rows = str(error)
print(json.dumps({"cpu": time.process_time() - started, "rows": rows}))
"""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_reading_a_hostile_csv_takes_little_cpu(name, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(HOSTILE[name])
    run = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, (f"killed or failed (exit {run.returncode}): over "
                                 f"{CPU_SECONDS} s of CPU?\n{run.stderr[-2000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["cpu"] < CPU_SECONDS / 4, result


def test_the_sniffed_sample_is_a_few_whole_lines():
    text = "".join(f"name {i};{CODE}\n" for i in range(1000))
    sample = sniff_sample(text)
    assert sample.count("\n") == 20 and text.startswith(sample)
    one_long_line = "x;" * 10_000
    assert len(sniff_sample(one_long_line)) == 4096
    assert sniff_sample("a;b\r\nc;d") == "a;b\r\nc;d"


def test_a_row_wider_than_any_export_is_refused():
    from app.verify.spreadsheets import CsvError

    with pytest.raises(CsvError, match=f"at most {MAX_COLUMNS}"):
        read_csv_rows(("," * UPLOAD_LIMIT).encode()[: UPLOAD_LIMIT - 10])
    assert len(read_csv_rows(("x," * (MAX_COLUMNS - 1) + "x\n").encode())[0]) == MAX_COLUMNS


def test_semicolons_and_tabs_are_still_sniffed_from_the_sample():
    semicolons = "".join(f"Person {i};{CODE}\n" for i in range(2000)).encode()
    assert read_csv_rows(semicolons)[1999] == ["Person 1999", CODE]
    tabs = "".join(f"Person {i}\t{CODE}\n" for i in range(10)).encode("utf-16")
    assert read_csv_rows(tabs)[0] == ["Person 0", CODE]


@pytest.fixture
def hr(login_as, make_org):
    return login_as("hr", org=make_org("Acme Corp"))


def send(browser, data: bytes):
    return browser.post("/hr/verify/bulk", {"codes": (io.BytesIO(data), "codes.csv")},
                        token_from="/hr/verify/bulk", content_type="multipart/form-data")


WIDEST = ("Code," + ",".join(f"column {i}" for i in range(MAX_COLUMNS - 1)) + "\n"
          + f"{CODE}\n" * 10_000).encode()
TOO_WIDE = (f"{CODE}," + "," * 20_000 + "\n" + f"{CODE}\n" * 5_000).encode()


@pytest.mark.parametrize("name, data, statuses", [
    # a report of junk verdicts or a sentence saying what is wrong: either is a fair answer
    *[(name, data, (200, 400)) for name, data in sorted(HOSTILE.items())],
    ("a row wider than any export", TOO_WIDE, (400,)),
    ("the widest file allowed, 10,000 rows", WIDEST, (200,)),
])
def test_the_bulk_check_answers_a_hostile_csv_quickly_and_never_with_a_5xx(
        name, data, statuses, browser, hr):
    assert len(data) <= UPLOAD_LIMIT
    started = time.process_time()
    response = send(browser, data)
    cpu = time.process_time() - started
    assert response.status_code in statuses, response.get_data(as_text=True)[:500]
    assert cpu < CPU_SECONDS, f"{name}: {cpu:.2f} s of CPU"


def test_bulk_verification_is_rate_limited_per_hr_account(app, browser, login_as, make_user):
    """Each upload may hold thousands of codes: an HR account gets a budget of its own."""
    app.config["BULK_VERIFY_LIMIT_PER_USER"] = "3 per minute"
    login_as("hr")
    statuses = []
    for _ in range(5):
        upload = (io.BytesIO(b"code\nOKR-7K3M-Q9TB-X2HD-4FRW-9\n"), "codes.csv")
        statuses.append(browser.post("/hr/verify/bulk", {"codes": upload},
                                     token_from="/hr/verify/bulk",
                                     content_type="multipart/form-data").status_code)
    assert statuses == [200, 200, 200, 429, 429]
    login_as("hr")  # another HR account has its own budget
    upload = (io.BytesIO(b"code\nOKR-7K3M-Q9TB-X2HD-4FRW-9\n"), "codes.csv")
    assert browser.post("/hr/verify/bulk", {"codes": upload}, token_from="/hr/verify/bulk",
                        content_type="multipart/form-data").status_code == 200


@pytest.mark.parametrize("body", [b"\n" * 4_000_000, b"a\n" * 2_000_000],
                         ids=["4 MB of blank lines", "2 million rows"])
def test_too_many_rows_are_refused_while_reading(body):
    """The row limit holds while the file is read, not after every row is in memory."""
    with pytest.raises(CsvError, match="more than 10,000 rows") as refused:
        read_csv_rows(body, max_rows=10_000)
    assert refused.value.status_code == 400
    assert len(read_csv_rows(b"code\n" + b"OKR-X\n" * 10_000, max_rows=10_000)) == 10_001
