"""Bulk verification: a CSV of codes in, a verdict per row out.

The header row and the column of codes are detected: HR exports come with names, emails
and employee numbers around the codes, sometimes with a header, sometimes without. A row
whose code is junk gets its own verdict (malformed or mistyped) and the others are still
verified.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

from app.certificates.signing import KeyRing
from app.domain import DomainError
from app.verify.spreadsheets import csv_document
from app.verify.verdict import MAX_CODE_TEXT, Outcome, Verdict, code_like, verify_many

BULK_MAX_ROWS = 10_000
#: rows examined to find the column of codes
_COLUMN_SAMPLE = 200
_HEADER_WORDS = frozenset({"code", "codes", "certificate", "certificates", "cert", "id",
                           "number", "no", "reference", "ref", "credential", "verification"})
VERDICT_COLUMNS = ("verdict", "certificate code", "holder name", "course", "course version",
                   "issued on", "expires on", "status changed on", "status reason", "details")


class BulkInputError(DomainError):
    """The CSV cannot be processed at all; the message says why and what to do."""

    status_code = 400


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One row of an uploaded CSV with the verdict on its code."""

    line: int
    cells: tuple[str, ...]
    code_text: str
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class BulkReport:
    """The verdicts for an uploaded CSV, with the header and the code column found in it."""

    header: tuple[str, ...] | None
    code_column: int
    rows: tuple[BulkRow, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """The number of columns of the widest row (or the header)."""
        return max([len(self.header or ())] + [len(row.cells) for row in self.rows])


def verify_bulk(session: Session, rows: Sequence[Sequence[str]], *, keyring: KeyRing,
                now: datetime, max_rows: int = BULK_MAX_ROWS) -> BulkReport:
    """Verdicts for every row of a CSV, with its header and code column detected.

    :param rows: the CSV's rows of cells, blank rows included (they keep line numbers right)
    :raises BulkInputError: when the file holds no rows, too many, or no column of codes
    """
    numbered = [(line, tuple(str(cell) for cell in row))
                for line, row in enumerate(rows, start=1) if any(str(c).strip() for c in row)]
    if not numbered:
        raise BulkInputError(_l("The file is empty: put one certificate code per row."))
    header = numbered[0][1] if looks_like_header(numbered[0][1],
                                                 [r for _, r in numbered[1:]]) else None
    body = numbered[1:] if header else numbered
    if len(body) > max_rows:
        raise BulkInputError(_l("The file has %(rows)s rows; please upload at most %(most)s at "
                                "a time.", rows=reader_number(len(body)),
                                most=reader_number(max_rows)))
    if not body:
        raise BulkInputError(_l("The file has a header but no rows of codes."))
    column = find_code_column(header, [cells for _, cells in body])
    codes = [cells[column] if column < len(cells) else "" for _, cells in body]
    verdicts = verify_many(session, codes, keyring=keyring, now=now)
    results = tuple(BulkRow(line, cells, code, verdict)
                    for (line, cells), code, verdict in zip(body, codes, verdicts))
    counts: dict[str, int] = {}
    for result in results:
        outcome = str(result.verdict.outcome)
        counts[outcome] = counts.get(outcome, 0) + 1
    return BulkReport(header, column, results, counts)


def looks_like_header(first: Sequence[str], rest: Sequence[Sequence[str]]) -> bool:
    """True when the first row labels the columns instead of holding a code."""
    if any(code_like(cell) for cell in first):
        return False
    if any(names_code(cell) for cell in first):
        return True
    # Labels above a table, e.g. "Name, Email, Employee", with codes somewhere below.
    labels = len(first) > 1 and all(cell.strip() and not any(ch.isdigit() for ch in cell)
                                    for cell in first)
    return labels and any(code_like(cell) for row in rest[:50] for cell in row)


def names_code(cell: str) -> bool:
    """True for a column label such as "Certificate ID" or "code"."""
    words = "".join(ch if ch.isalnum() else " " for ch in cell[:MAX_CODE_TEXT].lower()).split()
    return bool(_HEADER_WORDS.intersection(words))


def find_code_column(header: Sequence[str] | None, body: Sequence[Sequence[str]]) -> int:
    """The column holding the codes: the one with most code-like cells, else one named so."""
    width = max(len(row) for row in body)
    sample = body[:_COLUMN_SAMPLE]
    scores = [sum(code_like(row[i]) for row in sample if i < len(row)) for i in range(width)]
    if max(scores) > 0:
        return scores.index(max(scores))
    named = [i for i, cell in enumerate(header or ()) if names_code(cell)]
    if named:
        return named[0]
    if width == 1:
        return 0
    raise BulkInputError(_l("We found no column of certificate codes in this file. Put the "
                            "codes in one column, ideally under a header named \"code\"."))


def reader_number(count: int) -> LazyString:
    """A count for a sentence, grouped as the reader's language writes it (10,000 in English)."""
    return LazyString(format_number, count)


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A row of the results as the page and the CSV show it: the cells uploaded, the code as
    typed, and the verdict's columns (:data:`VERDICT_COLUMNS`, as text)."""

    line: int
    cells: tuple[str, ...]
    code_text: str
    columns: tuple[str, ...]

    @property
    def outcome(self) -> str:
        return self.columns[0]

    @property
    def holder(self) -> str:
        return self.columns[2]

    @property
    def course(self) -> str:
        return self.columns[3]

    @property
    def issued_on(self) -> date | None:
        return _day(self.columns[5])

    @property
    def expires_on(self) -> date | None:
        return _day(self.columns[6])

    @property
    def status_changed_on(self) -> date | None:
        return _day(self.columns[7])

    @property
    def status_reason(self) -> str:
        return self.columns[8]

    @property
    def details(self) -> str:
        return self.columns[9]


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class BulkResults:
    """The outcome of one bulk check, as text: what the page lists and the CSV holds."""

    header: tuple[str, ...] | None
    code_column: int
    rows: tuple[CheckedRow, ...]
    checked_at: datetime

    def counts(self) -> dict[str, int]:
        """Rows per verdict, in the order of :class:`Outcome`, leaving out verdicts no row has."""
        found: dict[str, int] = {}
        for row in self.rows:
            found[row.outcome] = found.get(row.outcome, 0) + 1
        return {str(outcome): found[outcome] for outcome in Outcome if outcome in found}


def results_of(report: BulkReport, checked_at: datetime) -> BulkResults:
    """The report's verdicts as text, ready to show, keep and write as CSV."""
    return BulkResults(report.header, report.code_column, checked_rows(report), checked_at)


def checked_rows(report: BulkReport) -> tuple[CheckedRow, ...]:
    """The report's rows with their verdicts as text."""
    return tuple(CheckedRow(row.line, row.cells, row.code_text, tuple(verdict_cells(row.verdict)))
                 for row in report.rows)


def report_csv(report: BulkReport) -> str:
    """The report as CSV: the uploaded columns, then the verdict columns, every cell safe."""
    return _verdicts_csv(report.header, checked_rows(report))


def results_csv(results: BulkResults) -> str:
    """The results as CSV: the uploaded columns, then the verdict columns, every cell safe."""
    return _verdicts_csv(results.header, results.rows)


def _verdicts_csv(header: tuple[str, ...] | None, rows: Sequence[CheckedRow]) -> str:
    width = max([len(header or ())] + [len(row.cells) for row in rows])
    given = list(header or ()) + [f"column {i + 1}" for i in range(len(header or ()), width)]
    return csv_document([*given, *VERDICT_COLUMNS],
                        ([*row.cells, *[""] * (width - len(row.cells)), *row.columns]
                         for row in rows))


def verdict_cells(verdict: Verdict) -> list[str]:
    """The verdict columns of one row."""
    stated = verdict.certificate
    details = " ".join(str(sentence) for sentence in (verdict.summary, *verdict.reasons))
    return [
        str(verdict.outcome),
        verdict.code or "",
        stated.holder_name if stated else "",
        stated.course_title if stated else "",
        str(stated.course_version) if stated else "",
        stated.issued_on.isoformat() if stated else "",
        stated.expires_on.isoformat() if stated and stated.expires_on else "",
        verdict.status_changed_at.date().isoformat() if verdict.status_changed_at else "",
        str(verdict.status_reason or ""),
        details,
    ]
