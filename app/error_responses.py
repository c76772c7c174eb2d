"""How an error is answered: the product's error page, or a JSON body under /api/."""
from __future__ import annotations

from flask import jsonify, render_template, request

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to open this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    409: "That conflicts with the current state.",
    413: "The upload is too large.",
    429: "Too many requests. Please wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
}


def wants_json() -> bool:
    """True for API paths, which are answered in JSON."""
    return request.path.startswith("/api/") or request.path.startswith("/.well-known/")


def error_response(status: int, message: str | None = None, **extra):
    """Render an error as a page, or as JSON on API paths."""
    message = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        return jsonify(error={"status": status, "message": message, **extra}), status
    return render_template("errors/error.html", status=status, message=message), status
