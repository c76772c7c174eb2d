"""Verification use cases: one verdict for every channel, and the log of who checked what.

The verdict itself lives in :mod:`app.verify.verdict` (codes), :mod:`app.verify.document`
(PDF uploads) and :mod:`app.verify.bulk` (CSV files); this module is what views and
commands call. Functions take the session, the keys and the time, flush nothing
themselves beyond adding rows, and never commit.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.certificates.signing import KeyRing
from app.models import VerificationLog
from app.verify.bulk import (
    BULK_MAX_ROWS, BulkInputError, BulkReport, BulkRow, report_csv, verify_bulk,
)
from app.verify.document import PdfFinding, PdfVerdict, verify_pdf
from app.verify.logbook import ASYNCHRONOUS_COMMIT
from app.verify.verdict import (
    HEADLINES, Outcome, Verdict, display_date, judge_certificate,
    verify_certificate, verify_many,
)

CHANNELS = ("web", "api", "pdf", "bulk", "cli")
#: how much of an unusable code the log keeps
LOGGED_CODE_LENGTH = 64

__all__ = [
    "BULK_MAX_ROWS", "CHANNELS", "HEADLINES", "BulkInputError", "BulkReport", "BulkRow",
    "Outcome", "PdfFinding", "PdfVerdict", "Verdict", "client_digest",
    "display_date", "judge_certificate", "log_entries", "log_verification", "log_verifications",
    "logged_code",
    "report_csv", "verification_counts", "verify_and_log_bulk", "verify_bulk",
    "verify_certificate", "verify_many", "verify_pdf",
]


def client_digest(address: str | None, secret: str) -> str | None:
    """A keyed hash of the client's address: repeat visits stay countable, the address unknown.

    A plain hash of an IPv4 address is reversed by trying all 2**32 of them; the key
    (derived from the app's secret) prevents that.
    """
    if not address:
        return None
    key = hashlib.sha256(b"verification-log\x00" + secret.encode("utf-8")).digest()
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


def logged_code(verdict: Verdict, code_text: str | None) -> str:
    """What the log keeps as the code: the canonical one, else the start of what was typed."""
    # control characters go (PostgreSQL's text cannot hold NUL), whitespace runs become spaces
    typed = "".join(c if c.isprintable() else " " for c in code_text or "")
    return verdict.code or " ".join(typed.split())[:LOGGED_CODE_LENGTH]


def log_verification(session: Session, *, code: str, channel: str, outcome: str,
                     client: str | None, now: datetime) -> None:
    """Record one verification: code, channel, verdict, time and the hashed client.

    :param client: a :func:`client_digest`, never a raw address
    """
    log_verifications(session, [(code, outcome)], channel=channel, client=client, now=now)


def log_verifications(session: Session, entries: Iterable[tuple[str, str]], *, channel: str,
                      client: str | None, now: datetime) -> int:
    """Record many (code, outcome) verifications in one statement; return how many."""
    values = log_entries(entries, channel=channel, client=client, now=now)
    if values:
        _relaxed_durability(session)
        session.execute(insert(VerificationLog), values)
    return len(values)


def verify_and_log_bulk(session: Session, rows: Sequence[Sequence[str]], *, keyring: KeyRing,
                        client: str | None, now: datetime) -> BulkReport:
    """Verify every row of an uploaded CSV and log each verdict (channel bulk).

    :raises BulkInputError: the rows hold no column of codes, or too many rows
    """
    report = verify_bulk(session, rows, keyring=keyring, now=now)
    log_verifications(session, ((logged_code(row.verdict, row.code_text), row.verdict.outcome)
                                for row in report.rows), channel="bulk", client=client, now=now)
    return report


def log_entries(entries: Iterable[tuple[str, str]], *, channel: str, client: str | None,
                now: datetime) -> list[dict]:
    """The log rows for (code, outcome) verifications, for `log_verifications` or a
    :class:`~app.verify.logbook.BatchedLogWriter`."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown verification channel {channel!r}")
    return [{"code": code[:LOGGED_CODE_LENGTH], "channel": channel, "verdict": str(outcome),
             "client": client, "created_at": now} for code, outcome in entries]


def _relaxed_durability(session: Session) -> None:
    """Let PostgreSQL commit this transaction without waiting for the disk flush."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(ASYNCHRONOUS_COMMIT)


def verification_counts(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """How often each certificate code was verified, over every channel."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(VerificationLog.code, func.count(VerificationLog.id))
                           .where(VerificationLog.code.in_(wanted))
                           .group_by(VerificationLog.code))
    return {code: count for code, count in rows}
