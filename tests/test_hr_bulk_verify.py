"""HR's bulk check: upload a CSV of codes, see a verdict per row, filter the rows, download them
as CSV without uploading again; another account's results are refused; bad files get a sentence."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.certificates import services as certificates
from app.hr import routes as hr_routes
from app.models import VerificationLog
from app.verify import bulk_results
from app.verify.bulk_results import RESULTS_KEPT_FOR
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


JUNK_ROWS = ("Name;Certificate\n"
             "Grace Hopper;{valid}\n"
             "Nobody;" + UNKNOWN + "\n"
             "Typo;{typo}\n"
             "Junk;banana\n"
             "=cmd|' /C calc'!A0;@SUM(1+1)\n")


def mistyped(code: str) -> str:
    """The code with two neighbouring characters of its fourth group swapped (or, when they are
    all alike, its first one changed): the check symbol catches both."""
    group = code[-6:-2]
    i = next((i for i in range(3) if group[i] != group[i + 1]), None)
    typo = (("0" if group[0] != "0" else "1") + group[1:] if i is None
            else group[:i] + group[i + 1] + group[i] + group[i + 2:])
    return code[:-6] + typo + code[-2:]


@pytest.fixture
def checked(browser, hr, code):
    """The results page of a file with a valid, an unknown, a mistyped and two junk codes."""
    response = send(browser, JUNK_ROWS.format(valid=code.lower(), typo=mistyped(code))
                    .encode("cp1252"))
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def results_token(html: str) -> str:
    match = re.search(r'name="results" value="([^"]+)"', html)
    assert match, "no results kept on the page"
    return match.group(1)


def table_rows(html: str) -> list[str]:
    """The verdict label of each row of the results table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<span class="bulk-verdict [^"]+">([^<]+)</span>', body)


def count_of(html: str, label: str) -> str:
    match = re.search(r'bulk-count-value">(\d+)</span> <span class="bulk-count-label">'
                      + re.escape(label) + "<", html)
    assert match, f"no count for {label}"
    return match.group(1)


def post_results(browser, path: str, token: str, **fields):
    return browser.post(path, {"results": token, **fields}, token_from="/hr/verify/bulk")


def test_the_results_page_counts_each_verdict_and_lists_every_row(checked, code, db):
    counts = {label: count_of(checked, label)
              for label in ("All rows", "Valid", "Not found", "Mistyped", "Not a code")}
    assert counts == {"All rows": "5", "Valid": "1", "Not found": "1", "Mistyped": "1",
                      "Not a code": "2"}
    assert table_rows(checked) == ["Valid", "Not found", "Mistyped", "Not a code", "Not a code"]
    assert "Grace Hopper" in checked and code.lower() in checked
    assert "a character is wrong, or two neighbouring characters are swapped" in checked
    assert "last character" not in checked
    assert 'data-label="Code as typed"' in checked and "cards-on-phone" in checked
    main = checked.split("<main", 1)[1].split("</main>")[0]
    assert "@SUM(1+1)" in main and "<script" not in main  # the formula is text on the page
    entries = db.session.scalars(select(VerificationLog)).all()
    assert len(entries) == 5 and {e.channel for e in entries} == {"bulk"}


def test_the_csv_download_holds_the_rows_uploaded_each_with_its_verdict(browser, checked, code, db):
    response = post_results(browser, "/hr/verify/bulk/results.csv", results_token(checked))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["Name", "Certificate", "verdict"]
    assert [(row[0], row[2]) for row in table[1:]] == [
        ("Grace Hopper", "valid"), ("Nobody", "not_found"), ("Typo", "mistyped"),
        ("Junk", "malformed"), ("'=cmd|' /C calc'!A0", "malformed")]
    assert table[1][3:5] == [code, "Grace Hopper"]
    assert table[5][1] == "'@SUM(1+1)"
    # downloading is not another check: nothing more is logged
    assert len(db.session.scalars(select(VerificationLog)).all()) == 5


def test_the_rows_can_be_narrowed_to_one_verdict(browser, checked):
    token = results_token(checked)
    html = post_results(browser, "/hr/verify/bulk/results", token,
                        verdict="malformed").get_data(as_text=True)
    assert table_rows(html) == ["Not a code", "Not a code"]
    assert 'value="malformed" aria-pressed="true"' in html and count_of(html, "All rows") == "5"
    everything = post_results(browser, "/hr/verify/bulk/results", token, verdict="")
    assert len(table_rows(everything.get_data(as_text=True))) == 5


@pytest.mark.parametrize("verdict", ["revoked", "no such verdict", "<b>"])
def test_a_verdict_no_row_has_shows_every_row(browser, checked, verdict):
    response = post_results(browser, "/hr/verify/bulk/results", results_token(checked),
                            verdict=verdict)
    assert response.status_code == 200 and len(table_rows(response.get_data(as_text=True))) == 5


def test_thousands_of_rows_are_shown_a_page_at_a_time(browser, hr):
    html = send(browser, ("code\n" + f"{UNKNOWN}\n" * 250).encode()).get_data(as_text=True)
    assert len(table_rows(html)) == 100 and "page 1 of 3" in html
    last = post_results(browser, "/hr/verify/bulk/results", results_token(html), page="3",
                        shown="not_found").get_data(as_text=True)
    assert len(table_rows(last)) == 50 and "page 3 of 3" in last
    beyond = post_results(browser, "/hr/verify/bulk/results", results_token(html), page="x9")
    assert beyond.status_code == 200 and "page 1 of 3" in beyond.get_data(as_text=True)


def test_another_hr_accounts_results_are_refused_even_a_colleagues(browser, checked, hr,
                                                                    login_as):
    token = results_token(checked)
    login_as("hr", org=hr.organisation)
    for path in ("/hr/verify/bulk/results", "/hr/verify/bulk/results.csv"):
        response = post_results(browser, path, token)
        assert response.status_code == 403
        assert "belong to another account" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/hr/verify/bulk/results", "/hr/verify/bulk/results.csv"])
@pytest.mark.parametrize("change", [lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
                                    lambda t: "", lambda t: "x" * 10, lambda t: t + "." + t])
def test_altered_results_get_a_sentence_and_a_400(browser, checked, path, change):
    response = post_results(browser, path, change(results_token(checked)))
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "could not be read" in response.get_data(as_text=True)


def test_results_older_than_an_hour_are_refused(browser, checked, monkeypatch):
    later = datetime.now(UTC) + RESULTS_KEPT_FOR + timedelta(minutes=1)
    monkeypatch.setattr(hr_routes, "utcnow", lambda: later)
    response = post_results(browser, "/hr/verify/bulk/results.csv", results_token(checked))
    assert response.status_code == 400
    assert "more than 1 hour old" in response.get_data(as_text=True)


def test_the_results_need_a_csrf_token(client, checked):
    response = client.post("/hr/verify/bulk/results.csv", data={"results": results_token(checked)})
    assert response.status_code == 400


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
    for path in ("/hr/verify/bulk/results", "/hr/verify/bulk/results.csv"):
        assert browser.post(path, {"results": "x"}, token_from="/account").status_code == 403


def test_results_too_large_to_keep_are_shown_without_filters_or_download(browser, hr,
                                                                         monkeypatch):
    monkeypatch.setattr(bulk_results, "RESULTS_MAX_CHARS", 100)
    response = send(browser, ("code\n" + f"{UNKNOWN}\n" * 120).encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "too large to keep its results" in html
    assert 'name="results"' not in html and "Download CSV" not in html
    assert count_of(html, "Not found") == "120" and len(table_rows(html)) == 100
    assert "All 120 rows: the first 100 are shown." in html
