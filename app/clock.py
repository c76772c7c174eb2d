"""The one clock: what "now" is for requests, commands and jobs.

Services never read the clock; they take `now` as an argument, so a test passes any moment it
needs. The edges (views, commands, jobs) ask this module.
"""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused, since its zone is unknown."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC is expected")
    return moment.astimezone(UTC)
