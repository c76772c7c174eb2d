"""Reading CSV uploads people export from spreadsheets, and writing CSV that is safe to open.

Uploads come from Excel, LibreOffice or Google Sheets: UTF-8 with or without a byte order
mark, UTF-16, Windows-1252; commas, semicolons or tabs. Output cells that a spreadsheet
would run as a formula (starting with = + - @, a tab or a carriage return) are prefixed
with a quote, so a name like ``=HYPERLINK(...)`` stays text.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence

from app.domain import DomainError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = ",;\t|"
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")
#: the dialect is sniffed from at most this many characters and lines: csv.Sniffer's quote
#: detection is quadratic in its sample, and a few lines show the delimiter well enough
SNIFF_CHARS = 4096
SNIFF_LINES = 20
#: cells in a row: wider than any HR export (Excel 2003 stopped at 256 columns); each row of
#: the bulk report is padded to the widest, so width times rows must stay bounded
MAX_COLUMNS = 256


class CsvError(DomainError):
    """The upload is not a CSV we can read; the message says what to do instead."""

    status_code = 400


def read_csv_rows(data: bytes, max_rows: int | None = None) -> list[list[str]]:
    """Decode an uploaded CSV and split it into rows of cells.

    :param max_rows: refuse, while reading, a file with more rows of cells than this (plus a
        header), or more than four times as many lines (blank ones included)
    """
    text = decode_text(data)
    rows: list[list[str]] = []
    filled = 0
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text, newline=""), _dialect(text)), 1):
            filled += any(cell.strip() for cell in row)
            if max_rows is not None and (filled > max_rows + 1 or line > 4 * max_rows + 1):
                raise CsvError(f"The file has more than {max_rows:,} rows; please upload at "
                               f"most {max_rows:,} at a time.")
            if len(row) > MAX_COLUMNS:
                raise CsvError(f"Row {line:,} has {len(row):,} columns; a CSV of certificate "
                               f"codes may have at most {MAX_COLUMNS}. Keep the column of "
                               "codes and a few others, and upload it again.")
            rows.append([cell.strip() for cell in row])
    except csv.Error as exc:
        raise CsvError(f"The file is not a valid CSV ({exc}). Save it from your spreadsheet "
                       "as \"CSV UTF-8\" and upload it again.") from exc
    return rows


def decode_text(data: bytes) -> str:
    """The text of an upload: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if data.startswith(_BINARY_SIGNATURES):
        raise CsvError("This is a spreadsheet or PDF file, not a CSV. In your spreadsheet "
                       "choose File > Save as > \"CSV UTF-8\" and upload that file.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise CsvError(_ENCODING_HELP) from None
    if b"\x00" in data:
        raise CsvError(_ENCODING_HELP)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvError(_ENCODING_HELP)


_ENCODING_HELP = ("We could not read the text of this file: its encoding is not one we "
                  "recognise. Save it as \"CSV UTF-8\" and upload it again.")


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The CSV dialect of the text: the sniffed delimiter, or plain commas."""
    sample = sniff_sample(text)
    if not any(delimiter in sample for delimiter in DELIMITERS):
        return csv.excel
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def sniff_sample(text: str) -> str:
    """The start of the text the dialect is sniffed from: whole lines, bounded in size."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # no half line at the end
    end = -1
    for _ in range(SNIFF_LINES):
        end = sample.find("\n", end + 1)
        if end < 0:
            return sample
    return sample[: end + 1]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_document(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (with a UTF-8 byte order mark for Excel) whose every cell is safe."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
