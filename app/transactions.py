"""One transaction per request: services flush, the request commits once, at its end.

Views never commit. When a request has answered, `end_transaction` commits what it wrote if the
answer is a success (a status below 400) and rolls it back otherwise, so a form re-rendered with
a 4xx keeps nothing. Two cases need a word from the code:

- an error handler that refuses the request calls `discard()`: its answer may be a redirect
  (a refused form goes back to its page), and still nothing is kept;
- a view whose 4xx answer is not a failure of what it wrote calls `keep()`: a verification
  that finds no certificate answers 404 and its log entry stays.

A commit that loses a race with another request (a unique index, a lock held too long) is
rolled back and answered with a 409 that says so, never with a 500. Commands and jobs commit
their own unit of work.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask import session as cookie_session
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.error_responses import error_response
from app.extensions import db

#: what a commit raises when another request changed the same rows first: a unique index, a
#: lock held too long (SQLite's "database is locked", PostgreSQL's serialization failure), a
#: version counter that moved
LOST_RACES = (IntegrityError, OperationalError, StaleDataError)
CONFLICT = ("Someone else changed the same thing at the same moment, so nothing was saved. "
            "Please try again.")


def init_transactions(app: Flask) -> None:
    """End every request's transaction: commit a success once, roll back anything else."""
    app.after_request(end_transaction)


def discard() -> None:
    """Roll back what this request wrote, now and at its end, whatever it answers."""
    g.transaction_discarded = True
    db.session.rollback()


def keep() -> None:
    """Commit what this request wrote even when it answers 4xx: the answer is no failure."""
    g.transaction_kept = True


def end_transaction(response: Response) -> Response:
    """Commit the request's writes when it succeeded, else roll them back; 409 on a lost race."""
    if not _in_transaction():
        return response  # the request read nothing and wrote nothing: nothing to end
    if not _succeeded(response.status_code):
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except LOST_RACES as error:
        db.session.rollback()
        current_app.logger.warning("Commit refused on %s: %s", request.path, error)
        return _conflict()
    return response


def _in_transaction() -> bool:
    """True when the request's session exists and began a transaction (by reading or writing)."""
    return db.session.registry.has() and db.session().in_transaction()


def _succeeded(status: int) -> bool:
    if g.get("transaction_discarded"):
        return False
    return status < 400 or (g.get("transaction_kept", False) and status < 500)


def _conflict() -> Response:
    """The 409 answer; sentences flashed for the lost changes ("Saved.") must not be shown."""
    cookie_session.pop("_flashes", None)
    body, status = error_response(409, CONFLICT)
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    return response

