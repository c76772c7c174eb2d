"""The base of every domain error family.

A service raises a subclass when a rule refuses what was asked; nothing it flushed before is
kept, because the request's one error handler for the family rolls the transaction back and
answers with `status_code` and the message (a sentence for people).
"""
from __future__ import annotations


class DomainError(Exception):
    """A domain rule refused the request."""

    #: the HTTP status a request that ends with this error answers with
    status_code = 400
