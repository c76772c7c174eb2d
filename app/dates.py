"""Dates in words, the house's way: "5 December 2026" and "5 Dec 2026".

One table of month names, independent of the machine's locale, for pages, certificates and the
sentences services write. A translated body can replace these two functions unchanged.
"""
from __future__ import annotations

from datetime import date

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def long_date(day: date) -> str:
    """5 December 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """5 Dec 2026."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"
