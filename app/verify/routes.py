"""Public verification: the form, the page a certificate's QR code opens, the PDF check, the API.

No account is needed. Every verification is rate-limited per client, shares one budget
across the page, the PDF upload and the API, and is logged with a keyed hash of the
client's address.
"""
from __future__ import annotations

from flask import (
    Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import PathConverter

from app import transactions
from app.certificates.codes import parse_code
from app.certificates.records import what_code_certifies
from app.certificates.extension import current_issuer
from app.clock import utcnow
from app.errors import error_response
from app.extensions import client_address, db, limiter
from app.i18n import current_language
from app.verify import services
from app.verify.forms import PDF_MAX_BYTES, PDF_TOO_LARGE, CodeLookupForm, PdfUploadForm
from app.verify.logbook import BatchedLogWriter
from app.verify.openapi import http_status, openapi_document, verdict_document
from app.verify.verdict import MAX_CODE_TEXT

bp = Blueprint("verify", __name__)


class TypedCode(PathConverter):
    """Whatever was typed as a code: empty, or with slashes and newlines, it gets a verdict."""

    # the path converter's regex needs a character and stops at a newline: such a code would
    # get the generic 404, a body the API's description does not document
    regex = "(?s:.*)"
    part_isolating = False


bp.record_once(lambda state: state.app.url_map.converters.setdefault("typed", TypedCode))

TOO_MANY = _l("You have checked many certificates in a short time. Please wait a minute, "
              "then try again.")
LOG_WRITER_KEY = "verification_log_writer"


def _unlimited_lookup() -> bool:
    """The bare form, or a well-formed code about to be redirected to its page, costs nothing."""
    if request.method != "GET" or request.endpoint != "verify.verify_form":
        return False
    code = request.args.get("code")
    return code is None or parse_code(code[:MAX_CODE_TEXT]).ok


verification_limit = limiter.shared_limit(
    lambda: current_app.config["VERIFY_LIMIT_PER_CLIENT"], scope="verification",
    exempt_when=_unlimited_lookup,
)


@bp.after_request
def _private_answers(response: Response) -> Response:
    """Verdicts change with the certificate's status and are no business of search engines."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/verify")
@verification_limit
def verify_form():
    """The form: a code (sent by GET, so the result can be bookmarked) or a PDF upload."""
    lookup = CodeLookupForm(formdata=request.args if "code" in request.args else None)
    if "code" in request.args and lookup.validate():
        parsed = parse_code(lookup.code.data)
        if parsed.ok:
            return redirect(url_for("verify.certificate_page", code=parsed.canonical))
        verdict = _verify_code(lookup.code.data, "web")
        lookup.code.errors.append(verdict.summary)
    status = 400 if lookup.errors else 200
    return render_template("verify/form.html", lookup=lookup,
                           upload=PdfUploadForm(formdata=None)), status


@bp.post("/verify")
@verification_limit
def check_pdf():
    """Check an uploaded certificate PDF."""
    upload = PdfUploadForm()
    if not upload.validate_on_submit():
        too_large = PDF_TOO_LARGE in upload.pdf.errors
        return render_template("verify/form.html", lookup=CodeLookupForm(formdata=None),
                               upload=upload), 413 if too_large else 400
    issuer = current_issuer()
    verdict = services.verify_pdf(db.session, upload.pdf.data.read(), keyring=issuer.keyring,
                                  trust_roots=issuer.trust_roots(), now=utcnow())
    _log(verdict.code or "", "pdf", verdict.outcome)
    status = http_status(verdict) if verdict.is_pdf else 400
    return render_template("verify/pdf_result.html", result=verdict,
                           upload=PdfUploadForm(formdata=None)), status


@bp.get("/verify/<path:code>")
@verification_limit
def certificate_page(code: str):
    """What a certificate's QR code opens: the verdict at a glance, then the stated facts."""
    verdict = _verify_code(code, "web")
    lookup = CodeLookupForm(formdata=None, code=code[:MAX_CODE_TEXT])
    certifies = what_code_certifies(db.session, verdict.code) if verdict.certificate else None
    return render_template("verify/certificate.html", verdict=verdict, lookup=lookup,
                           api_url=_api_url(verdict), certifies=certifies), http_status(verdict)


@bp.get("/api/v1/certificates/<typed:code>")
@verification_limit
def api_certificate(code: str):
    """The verdict as JSON: 200 for a certificate we know, 404 unknown, 400 not a code."""
    verdict = _verify_code(code, "api")
    document = verdict_document(verdict, verify_url=_verify_url(verdict), jwks_url=_jwks_url())
    response = jsonify(document)
    response.status_code = http_status(verdict)
    response.headers["Access-Control-Allow-Origin"] = "*"
    # the sentences (headline, summary, reasons) are in the language the request asked for
    response.headers["Content-Language"] = current_language()
    response.vary.add("Accept-Language")
    return response


@bp.get("/api/openapi.json")
def openapi():
    """The OpenAPI description of the verification API."""
    config = current_app.config
    response = jsonify(openapi_document(config["PUBLIC_BASE_URL"].rstrip("/"),
                                        config["ISSUER_NAME"]))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.errorhandler(429)
def too_many(_error):
    """The friendly 429: a page, or JSON on the API (Retry-After comes from the limiter)."""
    return error_response(429, str(TOO_MANY))


@bp.errorhandler(413)
def upload_too_large(_error):
    """An upload over the site-wide limit: say so beside the upload field."""
    upload = PdfUploadForm(formdata=None)
    upload.pdf.errors = [_("This file is too large. A certificate PDF is far smaller than "
                           "%(size)d MB; please upload it as you received it.",
                           size=PDF_MAX_BYTES // (1024 * 1024))]
    return render_template("verify/form.html", lookup=CodeLookupForm(formdata=None),
                           upload=upload), 413


def _verify_code(code_text: str, channel: str) -> services.Verdict:
    """Verify a typed code and log it."""
    keyring = current_issuer().keyring
    verdict = services.verify_certificate(db.session, code_text, keyring=keyring, now=utcnow())
    _log(services.logged_code(verdict, code_text), channel, verdict.outcome)
    return verdict


def _log(code: str, channel: str, outcome: str) -> None:
    """Log one verification: in the request's transaction, or through the batched writer."""
    digest = services.client_digest(client_address(), current_app.config["SECRET_KEY"])
    writer = _log_writer()
    if writer is not None:
        writer.add(services.log_entries([(code, outcome)], channel=channel, client=digest,
                                        now=utcnow()))
        return
    services.log_verification(db.session, code=code, channel=channel, outcome=outcome,
                              client=digest, now=utcnow())
    transactions.keep()  # a verdict of "not found" (404) is an answer: its log entry stays


def _log_writer() -> BatchedLogWriter | None:
    """This process's batched log writer, when the configuration asks for one."""
    if not current_app.config["VERIFICATION_LOG_BATCHED"]:
        return None
    writer = current_app.extensions.get(LOG_WRITER_KEY)
    if writer is None:
        writer = current_app.extensions[LOG_WRITER_KEY] = BatchedLogWriter(db.engine)
    return writer


def _public_url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _verify_url(verdict: services.Verdict) -> str | None:
    if verdict.code is None:
        return None
    return _public_url(url_for("verify.certificate_page", code=verdict.code))


def _api_url(verdict: services.Verdict) -> str | None:
    return url_for("verify.api_certificate", code=verdict.code) if verdict.code else None


def _jwks_url() -> str:
    return _public_url(url_for("certificates.jwks"))
