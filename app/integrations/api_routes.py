"""The organisation read API: its learners' progress and its certificates, as JSON.

A bearer token of the organisation with the scope read:learners or read:certificates; a token
reaches its own organisation only (another organisation's learner is not found). Described in
the OpenAPI document at /api/openapi.json.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from app.clock import utcnow
from app.extensions import csrf, db, limiter
from app.integrations import learners
from app.integrations.decorators import request_token, token_key
from app.models import OrganisationToken
from app.routing import bounded_int, page_number

api_bp = Blueprint("org_api", __name__, url_prefix="/api/v1/org")
csrf.exempt(api_bp)  # bearer tokens, no cookies
org_api_limit = limiter.shared_limit(lambda: current_app.config["ORG_API_LIMIT_PER_TOKEN"],
                                     scope="org-api", key_func=token_key)


@api_bp.after_request
def _private(response):
    """People's data: never kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _token(scope: str) -> OrganisationToken:
    token = request_token(scope)
    if token is None:
        raise Unauthorized(
            _("This needs a valid API token of your organisation with the scope %(scope)s.",
              scope=scope),
            www_authenticate=WWWAuthenticate("bearer", {"scope": scope}))
    return token


def _per_page() -> int:
    return bounded_int(request.args, "per_page", 50, minimum=1, maximum=learners.MAX_PER_PAGE)


def _verify_url(code: str) -> str:
    return url_for("verify.certificate_page", code=code, _external=True)


@api_bp.get("/learners")
@org_api_limit
def learner_list():
    """The organisation's learners, a page at a time, with enrolments and certificates."""
    token = _token("read:learners")
    return jsonify(learners.learner_page(db.session, token.organisation,
                                         page_number(request.args), _per_page(), utcnow(),
                                         _verify_url))


@api_bp.get("/learners/<int:learner_id>")
@org_api_limit
def learner_detail(learner_id: int):
    """One learner of the organisation; any other id is not found."""
    token = _token("read:learners")
    document = learners.learner_document(db.session, token.organisation, learner_id, utcnow(),
                                         _verify_url)
    if document is None:
        abort(404, _("There is no learner with this id in your organisation."))
    return jsonify(document)


@api_bp.get("/certificates")
@org_api_limit
def certificate_list():
    """The certificates of the organisation's learners, newest first, a page at a time."""
    token = _token("read:certificates")
    return jsonify(learners.certificate_page(db.session, token.organisation,
                                             page_number(request.args), _per_page(), utcnow(),
                                             _verify_url))
