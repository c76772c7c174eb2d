"""Error pages that look like the product, JSON error bodies under /api/, and the one answer
to a refused request (a `DomainError` of any family)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app import transactions
from app.domain import DomainError
from app.error_responses import error_response, wants_json

#: a refusal with these statuses shows the error page on any method: there is no form to go
#: back to when the thing is not there or not the user's to touch
PAGE_STATUSES = frozenset({403, 404})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

View = TypeVar("View", bound=Callable)


def refusals_return_to(endpoint: str) -> Callable[[View], View]:
    """Send a refused form of this view back to `endpoint` when the browser does not say which
    page it came from; the endpoint takes what it needs from the view's URL arguments."""
    def mark(view: View) -> View:
        @functools.wraps(view)
        def declared(*args, **kwargs):
            g.refusal_endpoint = endpoint
            return view(*args, **kwargs)
        return declared  # type: ignore[return-value]
    return mark


def refused(error: DomainError):
    """The answer to a domain rule's refusal; nothing the request wrote is kept.

    API: JSON with the error's status. Pages: the error page with its status for a GET, and
    for a not-found or not-allowed on any method; a form refused for its input or for a state
    conflict goes back (303) to the page it was sent from, with the sentence flashed there.
    """
    transactions.discard()
    status = error.status_code
    if wants_json() or request.method in SAFE_METHODS or status in PAGE_STATUSES:
        return error_response(status, str(error))
    flash(str(error), "danger")
    return redirect(_return_target(), 303)


def init_error_pages(app: Flask) -> None:
    """Register the error handlers: refusals, CSRF, HTTP errors and the unexpected."""
    app.register_error_handler(DomainError, refused)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(400, _("Your form expired or was not sent from this site. "
                                     "Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        description = error.description if _custom_description(error) else None
        body, status = error_response(error.code or 500, description)
        return body, status, _protocol_headers(error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        transactions.discard()
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500)


def _custom_description(error: HTTPException) -> bool:
    """True when a view passed its own sentence to abort()."""
    return error.code != 429 and bool(error.description) \
        and error.description != type(error).description \
        and not isinstance(error, InternalServerError)


def _protocol_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers the status obliges (Allow on a 405, Retry-After, WWW-Authenticate...)."""
    return [(name, value) for name, value in error.get_headers()
            if name.lower() != "content-type"]


def _return_target() -> str:
    """Where a refused form goes back to: the page it was sent from when that page is ours,
    else the page its view names, else the user's dashboard (or the home page)."""
    return _same_site_referrer() or _declared_return() or url_for(
        "main.dashboard" if current_user.is_authenticated else "main.index")


def _same_site_referrer() -> str | None:
    """The Referer's path and query when it is a page of this site, else None."""
    referrer = urlsplit(request.referrer or "")
    here = urlsplit(request.host_url)
    if (referrer.scheme, referrer.netloc) != (here.scheme, here.netloc):
        return None
    if not referrer.path.startswith("/") or referrer.path[1:2] in ("/", "\\"):
        return None  # "//host" or "/\host" would leave the site
    return urlunsplit(("", "", referrer.path, referrer.query, ""))


def _declared_return() -> str | None:
    """The URL of the endpoint the view named with `refusals_return_to`, if it did."""
    endpoint = g.get("refusal_endpoint")
    if endpoint is None:
        return None
    if endpoint.startswith("."):
        endpoint = f"{request.blueprint}{endpoint}"
    wanted = {name for rule in current_app.url_map.iter_rules(endpoint) for name in rule.arguments}
    return url_for(endpoint, **{name: value for name, value in (request.view_args or {}).items()
                                if name in wanted})
