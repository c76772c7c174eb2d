"""HR's bulk check: upload a CSV of codes, download a verdict per row; bad files get a sentence."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.certificates import services as certificates
from app.models import VerificationLog
from tests.factories import import_example_course
from tests.factories import meet_rule

UNKNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


@pytest.fixture
def code(db, make_user, make_org):
    """The code of a valid certificate held by someone of another organisation."""
    course = import_example_course(db)
    user = make_user(name="Grace Hopper", org=make_org("Elsewhere Ltd"))
    meet_rule(db, user, course, datetime.now(UTC) - timedelta(days=1))
    return certificates.live_certificate(db.session, user, course).code


@pytest.fixture
def hr(login_as, make_org):
    return login_as("hr", org=make_org("Acme Corp"))


def send(browser, data: bytes, name: str = "codes.csv"):
    return browser.post("/hr/verify/bulk", {"codes": (io.BytesIO(data), name)},
                        token_from="/hr/verify/bulk", content_type="multipart/form-data")


def test_the_page_explains_the_upload(client, hr):
    html = client.get("/hr/verify/bulk").get_data(as_text=True)
    assert "Upload a CSV of codes" in html and "10,000" in html


def test_a_csv_with_junk_rows_comes_back_with_a_verdict_per_row(browser, hr, code, db):
    upload = (f"Name;Certificate\n"
              f"Grace Hopper;{code.lower()}\n"
              f"Nobody;{UNKNOWN}\n"
              f"Typo;{code[:-1]}{'0' if code[-1] != '0' else '1'}\n"
              f"Junk;banana\n"
              f"=cmd|' /C calc'!A0;@SUM(1+1)\n").encode("cp1252")
    response = send(browser, upload)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["Name", "Certificate", "verdict"]
    assert [(row[0], row[2]) for row in table[1:]] == [
        ("Grace Hopper", "valid"), ("Nobody", "not_found"), ("Typo", "mistyped"),
        ("Junk", "malformed"), ("'=cmd|' /C calc'!A0", "malformed")]
    assert table[1][3:5] == [code, "Grace Hopper"]
    assert table[5][1] == "'@SUM(1+1)"
    entries = db.session.scalars(select(VerificationLog)).all()
    assert len(entries) == 5 and {e.channel for e in entries} == {"bulk"}


@pytest.mark.parametrize("data, message", [
    (b"Name,Email\nAnn,ann@example.com\nBob,bob@example.com\n", "no column of certificate codes"),
    (b"", "The file is empty"),
    (b"PK\x03\x04 an xlsx file", "not a CSV"),
    ("code\nabc\n".encode("utf-16-le"), "encoding"),
    (b"code\n", "no rows"),
])
def test_files_we_cannot_use_get_a_sentence_and_a_400(browser, hr, data, message):
    response = send(browser, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_more_than_ten_thousand_rows_are_refused(browser, hr):
    response = send(browser, ("code\n" + f"{UNKNOWN}\n" * 10_001).encode())
    assert response.status_code == 400
    assert "at most 10,000" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(browser, hr):
    response = send(browser, b"code\n" + b"x" * (5 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 4 MB" in response.get_data(as_text=True)


def test_the_bulk_check_needs_the_hr_role(browser, login_as):
    login_as("learner")
    assert browser.get("/hr/verify/bulk").status_code == 403
