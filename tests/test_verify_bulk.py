"""Bulk verification: reading real-world CSV exports, detecting the code column, safe output."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from app.certificates import services as certificates
from app.certificates.codes import CodeStatus, new_code, parse_code
from app.certificates.extension import issuer_for
from app.verify import bulk_results, services
from app.verify.bulk import (
    BulkResults, CheckedRow, find_code_column, looks_like_header, results_csv, results_of,
)
from app.verify.spreadsheets import CsvError, csv_document, read_csv_rows, safe_cell
from tests.factories import import_example_course
from tests.factories import meet_rule

ISSUED = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
LATER = ISSUED + timedelta(days=30)
UNKNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


@pytest.fixture
def codes(db, make_user):
    """Codes of a valid and a revoked certificate."""
    course = import_example_course(db)
    found = []
    for name in ("Grace Hopper", "Alan Turing"):
        user = make_user(name=name)
        meet_rule(db, user, course, ISSUED)
        found.append(certificates.live_certificate(db.session, user, course).code)
    certificates.revoke(db.session, None, found[1], "Wrong person (internal)", ISSUED,
                        "issued_in_error")
    db.session.commit()
    return found


@pytest.fixture
def count_queries(db):
    """count_queries() is a context manager collecting the SQL statements run inside it."""
    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return counting


def bulk(db, app, rows, **kwargs):
    return services.verify_bulk(db.session, rows, keyring=issuer_for(app).keyring, now=LATER,
                                **kwargs)


def parse_report(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the column of codes and the header --------------------------------------------------------

def test_junk_rows_get_their_own_verdict_and_good_rows_are_still_checked(db, app, codes):
    valid, revoked = codes
    rows = read_csv_rows(
        (f"Employee,Name,Certificate ID\n"
         f"E1,Grace Hopper,{valid}\n"
         f"E2,Alan Turing,{revoked.lower()}\n"
         f"E3,Nobody,{UNKNOWN}\n"
         f"E4,Typo,{valid[:-1]}{'0' if valid[-1] != '0' else '1'}\n"
         f"E5,Junk,not a code at all\n"
         f"\n"
         f"E6,Empty,\n"
         f"E7,Injection,=HYPERLINK(\"http://evil.example\")\n").encode())
    report = bulk(db, app, rows)
    assert report.header == ("Employee", "Name", "Certificate ID") and report.code_column == 2
    assert [(row.line, str(row.verdict.outcome)) for row in report.rows] == [
        (2, "valid"), (3, "revoked"), (4, "not_found"), (5, "mistyped"), (6, "malformed"),
        (8, "malformed"), (9, "malformed")]
    assert report.counts == {"valid": 1, "revoked": 1, "not_found": 1, "mistyped": 1,
                             "malformed": 3}
    table = parse_report(services.report_csv(report))
    assert table[0][:4] == ["Employee", "Name", "Certificate ID", "verdict"]
    assert table[1][3:6] == ["valid", valid, "Grace Hopper"]
    assert table[2][3] == "revoked" and table[2][-2] == "Issued in error."
    # The pasted formula comes back as text, never as a formula.
    assert table[7][2] == "'=HYPERLINK(\"http://evil.example\")"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_a_bare_column_of_codes_without_header(db, app, codes):
    report = bulk(db, app, [[codes[0]], ["hello"], [UNKNOWN]])
    assert report.header is None and report.code_column == 0
    assert [str(r.verdict.outcome) for r in report.rows] == ["valid", "malformed", "not_found"]
    assert [r.line for r in report.rows] == [1, 2, 3]


def test_a_junk_first_row_in_a_single_column_is_a_row_not_a_header(db, app, codes):
    report = bulk(db, app, [["hello"], [codes[0]]])
    assert report.header is None
    assert [str(r.verdict.outcome) for r in report.rows] == ["malformed", "valid"]


@pytest.mark.parametrize("first, rest, expected", [
    (["code"], [["x"]], True),
    (["Certificate number"], [], True),
    (["Name", "Email", "Employee"], [["Ann", "a@x", UNKNOWN]], True),
    (["Name", "Email"], [["Ann", "a@x"]], False),
    ([UNKNOWN], [], False),
    (["hello"], [[UNKNOWN]], False),
    (["David", "Valid"], [["Ann", "Bob"]], False),
])
def test_header_detection(first, rest, expected):
    assert looks_like_header(first, rest) is expected


def test_the_column_with_most_codes_wins_over_column_names():
    body = [["OKR-1", "x", UNKNOWN], ["", "y", UNKNOWN]]
    assert find_code_column(("code", "b", "c"), body) == 2


def test_a_file_with_no_code_column_gets_a_sentence(db, app, codes):
    with pytest.raises(services.BulkInputError, match="no column of certificate codes"):
        bulk(db, app, [["Name", "Email"], ["Ann", "ann@example.com"], ["Bob", "bob@x"]])


@pytest.mark.parametrize("rows, message", [
    ([], "empty"),
    ([[""], ["  "]], "empty"),
    ([["certificate code"]], "no rows"),
])
def test_empty_files_get_a_sentence(db, app, rows, message):
    with pytest.raises(services.BulkInputError, match=message):
        bulk(db, app, rows)


def test_at_most_the_row_limit_is_accepted(db, app):
    with pytest.raises(services.BulkInputError, match="at most 3"):
        bulk(db, app, [[UNKNOWN]] * 4, max_rows=3)
    assert len(bulk(db, app, [["code"]] + [[UNKNOWN]] * 3, max_rows=3).rows) == 3


def test_ten_thousand_rows_are_verified_in_a_few_queries(db, app, codes, count_queries):
    rows = [["code"]] + [[codes[i % 2]] for i in range(5_000)] + [[UNKNOWN]] * 5_000
    with count_queries() as queries:
        report = bulk(db, app, rows)
    assert len(report.rows) == 10_000
    assert report.counts == {"valid": 2_500, "revoked": 2_500, "not_found": 5_000}
    assert len(queries) <= 3


# --- reading what spreadsheets export ----------------------------------------------------------

@pytest.mark.parametrize("data", [
    "code\nOKR-7K3M-Q9TB-X2HD-4FRW-9\n".encode(),
    "\ufeffcode\r\nOKR-7K3M-Q9TB-X2HD-4FRW-9\r\n".encode("utf-8"),
    "code\nOKR-7K3M-Q9TB-X2HD-4FRW-9\n".encode("utf-16"),
    "Name;Code\nJosé Müller;OKR-7K3M-Q9TB-X2HD-4FRW-9\n".encode("cp1252"),
    "Name\tCode\nAnn\tOKR-7K3M-Q9TB-X2HD-4FRW-9\n".encode(),
])
def test_common_encodings_and_delimiters_are_read(data):
    rows = read_csv_rows(data)
    assert rows[-1][-1] == UNKNOWN and len(rows) == 2


def test_semicolon_separated_names_keep_their_accents():
    rows = read_csv_rows("Name;Code\nJosé Müller;X\n".encode("cp1252"))
    assert rows[1] == ["José Müller", "X"]


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04rest of a zip file", "spreadsheet"),
    (b"%PDF-1.7 ...", "not a CSV"),
    ("code\nabc\n".encode("utf-16-le"), "encoding"),
    (b"code\n\x81\x8d\x8f\x90\x9d\n", "encoding"),
])
def test_files_that_are_not_csv_text_get_a_sentence(data, message):
    with pytest.raises(CsvError, match=message):
        read_csv_rows(data)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+4930", "'+4930"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Grace", "Grace"), ("", ""), (None, ""), (42, "42"),
])
def test_cells_that_would_run_as_formulas_are_quoted(value, expected):
    assert safe_cell(value) == expected


def test_csv_documents_are_safe_in_every_cell():
    text = csv_document(["=name"], [["=cmd|' /C calc'!A0", "ok"]])
    assert parse_report(text) == [["'=name"], ["'=cmd|' /C calc'!A0", "ok"]]


# --- results kept for their owner, and the page of them ---------------------------------------

SECRET = "a secret of the tests, long enough to sign with"


def checked_results(db, app, codes):
    rows = [["Name", "Code"], ["Grace", codes[0]], ["Alan", codes[1]], ["José", UNKNOWN],
            ["Junk", "banana"]]
    return results_of(bulk(db, app, rows), LATER)


def test_results_come_back_from_their_token_as_they_were(db, app, codes):
    results = checked_results(db, app, codes)
    token = bulk_results.seal(results, owner=7, secret=SECRET)
    back = bulk_results.unseal(token, owner=7, secret=SECRET, now=LATER + timedelta(minutes=5))
    assert back == results
    assert back.counts() == {"valid": 1, "revoked": 1, "not_found": 1, "malformed": 1}
    assert results_csv(back) == services.report_csv(bulk(db, app, [
        ["Name", "Code"], ["Grace", codes[0]], ["Alan", codes[1]], ["José", UNKNOWN],
        ["Junk", "banana"]]))
    revoked = back.rows[1]
    assert (revoked.holder, revoked.status_reason, revoked.issued_on) == (
        "Alan Turing", "Issued in error.", ISSUED.date())


def test_a_token_is_refused_to_another_account_when_old_or_altered(db, app, codes):
    token = bulk_results.seal(checked_results(db, app, codes), owner=7, secret=SECRET)
    with pytest.raises(bulk_results.ForeignResults) as foreign:
        bulk_results.unseal(token, owner=8, secret=SECRET, now=LATER)
    assert foreign.value.status_code == 403
    with pytest.raises(bulk_results.ExpiredResults):
        bulk_results.unseal(token, owner=7, secret=SECRET,
                            now=LATER + bulk_results.RESULTS_KEPT_FOR)
    with pytest.raises(bulk_results.UnreadableResults):
        bulk_results.unseal(token, owner=7, secret="another secret", now=LATER)
    with pytest.raises(bulk_results.UnreadableResults):
        bulk_results.unseal(token.replace(".", "x."), owner=7, secret=SECRET, now=LATER)


def test_results_too_large_to_carry_are_not_kept(db, app, codes, monkeypatch):
    results = checked_results(db, app, codes)
    size = len(bulk_results.seal(results, owner=7, secret=SECRET))
    monkeypatch.setattr(bulk_results, "RESULTS_MAX_CHARS", size - 1)
    assert bulk_results.seal(results, owner=7, secret=SECRET) is None
    with pytest.raises(bulk_results.UnreadableResults):
        bulk_results.unseal("x" * size, owner=7, secret=SECRET, now=LATER)


def test_ten_thousand_rows_with_names_beside_the_codes_make_a_token_well_under_the_limit(
        db, app, codes):
    valid = results_of(bulk(db, app, [[codes[0]]]), LATER).rows[0]
    rows = []
    for i in range(10_000):
        code = new_code()
        rows.append(CheckedRow(i + 2, (f"E{i:06d}", f"Person {i}", f"person.{i}@example.com",
                                       code), code, (valid.outcome, code, *valid.columns[2:])))
    results = BulkResults(("Employee", "Name", "Email", "Code"), 3, tuple(rows), LATER)
    token = bulk_results.seal(results, owner=1, secret=SECRET)
    assert token is not None and len(token) < bulk_results.RESULTS_MAX_CHARS / 4


def test_the_page_shows_one_verdicts_rows_a_page_at_a_time(db, app, codes):
    rows = [["code"]] + [[UNKNOWN]] * 150 + [[codes[1]]] * 3
    results = results_of(bulk(db, app, rows), LATER)
    everything = bulk_results.results_page(results, "", 2)
    assert (everything.total, everything.page.total, everything.page.pages) == (153, 153, 2)
    assert len(everything.page.items) == 53
    revoked = bulk_results.results_page(results, "revoked", 2)
    assert revoked.verdict == "revoked" and revoked.page.page == 1
    assert [row.line for row in revoked.page.items] == [152, 153, 154]
    assert bulk_results.results_page(results, "valid").verdict == ""
    assert revoked.counts == {"revoked": 3, "not_found": 150}


# --- the sentence for a mistyped code ------------------------------------------------------------

def test_a_swap_in_the_fourth_group_is_told_as_a_wrong_or_swapped_character():
    swapped = UNKNOWN[:-6] + UNKNOWN[-5] + UNKNOWN[-6] + UNKNOWN[-4:]
    assert swapped != UNKNOWN
    parsed = parse_code(swapped)
    assert parsed.status is CodeStatus.MISTYPED
    assert "a character is wrong, or two neighbouring characters are swapped" in parsed.message
    assert "last character" not in parsed.message
