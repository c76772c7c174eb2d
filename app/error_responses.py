"""How an error is answered: the product's error page, or a JSON body under /api/."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import LazyString, lazy_gettext as _l

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to open this page."),
    404: _l("We could not find that page."),
    405: _l("That action is not allowed here."),
    409: _l("That conflicts with the current state."),
    413: _l("The upload is too large."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
}


def wants_json() -> bool:
    """True for API paths, which are answered in JSON."""
    return request.path.startswith("/api/") or request.path.startswith("/.well-known/")


def error_response(status: int, message: str | LazyString | None = None, **extra):
    """Render an error as a page, or as JSON on API paths, in the language of the request."""
    message = str(message or MESSAGES.get(status, _l("Something went wrong.")))
    if wants_json():
        return jsonify(error={"status": status, "message": message, **extra}), status
    return render_template("errors/error.html", status=status, message=message), status
