"""Every reaction to a domain event, connected in one place (see :mod:`app.events`).

A new reaction (a mail, a webhook) is a function in the area that owns it, taking the signal's
keyword arguments, and one line here. Connecting is idempotent: blinker keeps a receiver once,
however many applications the process builds.
"""
from __future__ import annotations

from app import events
from app.certificates import receivers as certificates


def connect_receivers() -> None:
    """Connect each receiver to its signal."""
    events.final_exam_passed.connect(certificates.issue_after_exam)
