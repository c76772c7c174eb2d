"""The one clock: what "now" is for requests, commands and jobs.

Services never read the clock; they take `now` as an argument, so a test passes any moment it
needs. The edges (views, commands, jobs) ask this module.
"""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)
