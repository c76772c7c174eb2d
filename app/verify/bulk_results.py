"""The results of a bulk check, kept for their owner without storing them: a signed token.

The results page carries the token in its forms, so filtering, paging and downloading the CSV
need neither the file again nor a second verification. The token is signed with the secret key
(nobody can forge or alter results), names the account that ran the check (another account's
token is refused) and the moment of the check (it is refused after :data:`RESULTS_KEPT_FOR`).
It is compressed: ten thousand rows with names and addresses beside the codes take about half a
megabyte; the results of a file that would take more than :data:`RESULTS_MAX_CHARS` are shown
once, and cannot be filtered or downloaded. The form that sends a token back must stay
URL-encoded: Flask refuses a multipart field over MAX_FORM_MEMORY_SIZE (500 KB by default).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeSerializer

from app.domain import DomainError
from app.paging import Page, paginate
from app.verify.bulk import BulkResults, CheckedRow
from app.verify.verdict import Outcome

RESULTS_KEPT_FOR = timedelta(hours=1)
#: a token longer than this is not kept: the page and each of its forms would weigh megabytes
RESULTS_MAX_CHARS = 4_000_000
ROWS_PER_PAGE = 100
_SALT = "hr-bulk-results"

VERDICT_LABELS = {
    Outcome.VALID: _l("Valid"),
    Outcome.EXPIRED: _l("Expired"),
    Outcome.SUSPENDED: _l("Suspended"),
    Outcome.REVOKED: _l("Revoked"),
    Outcome.NOT_FOUND: _l("Not found"),
    Outcome.MISTYPED: _l("Mistyped"),
    Outcome.MALFORMED: _l("Not a code"),
    Outcome.TAMPERED: _l("Failed integrity check"),
}


class UnreadableResults(DomainError):
    """The results sent back are not a token of ours, or were altered."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(_l("These results could not be read. Please upload the file again."))


class ExpiredResults(DomainError):
    """The results are older than RESULTS_KEPT_FOR."""

    status_code = 400

    def __init__(self) -> None:
        hours = int(RESULTS_KEPT_FOR.total_seconds() // 3600)
        super().__init__(lazy_ngettext(
            "These results are more than %(num)d hour old. Upload the file again to check the "
            "codes as they stand now.",
            "These results are more than %(num)d hours old. Upload the file again to check the "
            "codes as they stand now.", hours))


class ForeignResults(DomainError):
    """The results were checked by another account."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__(_l("These results belong to another account."))


class _CompactJson:
    """JSON without ASCII escapes: names in any script stay one to four bytes before zlib."""

    @staticmethod
    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes) -> object:
        return json.loads(text)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT, serializer=_CompactJson)


def seal(results: BulkResults, *, owner: int, secret: str) -> str | None:
    """The token of the results for the account `owner`, or None when it would be too large."""
    token = _serializer(secret).dumps({
        "owner": owner,
        "at": results.checked_at.isoformat(),
        "header": results.header,
        "column": results.code_column,
        "rows": [[row.line, row.cells, row.columns] for row in results.rows],
    })
    return token if len(token) <= RESULTS_MAX_CHARS else None


def unseal(token: str, *, owner: int, secret: str, now: datetime) -> BulkResults:
    """The results a token carries, when it is ours, fresh and `owner`'s.

    :raises UnreadableResults: not a token of ours (or altered)
    :raises ForeignResults: another account's results
    :raises ExpiredResults: results older than RESULTS_KEPT_FOR
    """
    if not token or len(token) > RESULTS_MAX_CHARS:
        raise UnreadableResults()
    try:
        kept = _serializer(secret).loads(token)
        checked_at = datetime.fromisoformat(kept["at"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise UnreadableResults() from None
    if kept["owner"] != owner:
        raise ForeignResults()
    if now >= checked_at + RESULTS_KEPT_FOR:
        raise ExpiredResults()
    column = kept["column"]
    rows = tuple(CheckedRow(line, tuple(cells), cells[column] if column < len(cells) else "",
                            tuple(columns)) for line, cells, columns in kept["rows"])
    header = tuple(kept["header"]) if kept["header"] is not None else None
    return BulkResults(header, column, rows, checked_at)


@dataclass(frozen=True)
class ResultsPage:
    """What the results page shows: the counts, the verdict chosen (or all) and a page of rows."""

    counts: dict[str, int]
    total: int
    verdict: str
    page: Page
    checked_at: datetime

    @property
    def labels(self) -> dict[str, LazyString]:
        return {str(outcome): label for outcome, label in VERDICT_LABELS.items()}


def results_page(results: BulkResults, verdict: str = "", page: int = 1) -> ResultsPage:
    """The rows of one verdict (all of them for "" or a verdict no row has), a page at a time."""
    counts = results.counts()
    chosen = verdict if verdict in counts else ""
    rows = [row for row in results.rows if row.outcome == chosen] if chosen else results.rows
    return ResultsPage(counts, len(results.rows), chosen, paginate(rows, page, ROWS_PER_PAGE),
                       results.checked_at)
