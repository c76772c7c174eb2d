"""Error pages that look like the product, and JSON error bodies under /api/."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

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
    return request.path.startswith("/api/") or request.path.startswith("/.well-known/")


def error_response(status: int, message: str | None = None, **extra):
    """Render an error as a page, or as JSON on API paths."""
    message = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        return jsonify(error={"status": status, "message": message, **extra}), status
    return render_template("errors/error.html", status=status, message=message), status


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(400, "Your form expired or was not sent from this site. "
                                   "Please reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            return error_response(429)
        description = error.description if _custom_description(error) else None
        return error_response(error.code or 500, description)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500)


def _custom_description(error: HTTPException) -> bool:
    """True when a view passed its own sentence to abort()."""
    return bool(error.description) and error.description != type(error).description \
        and not isinstance(error, InternalServerError)
