"""SCIM 2.0 (RFC 7643/7644) at /scim/v2, served by scim2-server over the organisation's data.

Every request carries an organisation API token with the scope "scim"; it reaches only that
organisation's accounts and groups. Answers are application/scim+json, errors SCIM error
bodies (RFC 7644 3.12), also for unknown paths and methods under /scim/v2.
"""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from scim2_models import (
    Error, Resource, ResponseParameters, SCIMException, UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from app import transactions
from app.clock import utcnow
from app.extensions import csrf, db, limiter
from app.integrations.decorators import request_token, token_key
from app.provisioning.resources import PROVIDER
from app.provisioning.storage import OrganisationStorage

PREFIX = "/scim/v2"
bp = Blueprint("scim", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # a bearer-token API: no cookie, so nothing for a forged form to ride on


class AcademyScimService(ScimService):
    """scim2-server's protocol, answering a PATCH with the resource (200), as the directories
    we meet (Okta, Entra ID) read it, rather than RFC 7644's optional 204."""

    def patch_response(self, base_url: str, resource: Resource[Any],
                       response_parameters: ResponseParameters[Any]) -> ScimResponse:
        return self.replacement_response(base_url, resource, response_parameters)


SERVICE = AcademyScimService(PROVIDER)


class ResourceId(BaseConverter):
    """A resource's id: any path segment but ".search", which names the search endpoint."""

    regex = r"(?!\.search$)[^/]+"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("scim_id", ResourceId))
scim_limit = limiter.shared_limit(lambda: current_app.config["SCIM_LIMIT_PER_TOKEN"],
                                  scope="scim", key_func=token_key)


@bp.route("/", methods=["GET"], endpoint="root")
@bp.route("/.search", methods=["POST"], endpoint="root_search")
@bp.route("/<resource_endpoint>", methods=["GET", "POST"], endpoint="resources")
@bp.route("/<resource_endpoint>/.search", methods=["POST"], endpoint="search")
@bp.route("/<resource_endpoint>/<scim_id:resource_id>", methods=["GET", "PUT", "PATCH", "DELETE"],
          endpoint="resource")
@scim_limit
def scim_endpoint(**_path: str):
    """Any SCIM request: discovery, Users, Groups (scim2-server routes it)."""
    token = request_token("scim")
    if token is None:
        raise UnauthorizedException(detail="A valid organisation API token with the scope "
                                           "scim is required")
    storage = OrganisationStorage(db.session, token, utcnow())
    return _answer(ScimHandler(SERVICE, storage).handle(_scim_request()))


def _scim_request() -> ScimRequest:
    scim_request = ScimRequest(
        method=request.method, base_url=url_for("scim.root", _external=True).rstrip("/"),
        path=request.path.removeprefix(PREFIX), query=request.args.to_dict(),
        headers=list(request.headers.items()))
    scim_request.body = request.get_data()
    return scim_request


def _answer(scim_response: ScimResponse) -> Response:
    body = json.dumps(scim_response.body) if scim_response.body is not None else None
    response = Response(body, status=scim_response.status, headers=scim_response.headers)
    response.headers["Cache-Control"] = "no-store"  # people's data, never kept by a cache
    return response


@bp.errorhandler(SCIMException)
def scim_error(error: SCIMException) -> Response:
    """A refusal in SCIM's words; nothing the request wrote is kept."""
    transactions.discard()
    return _answer(SERVICE.error_response(error))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """A 404, 405 or 429 from routing or the rate limit, as a SCIM error body."""
    transactions.discard()
    status = error.code or 500
    detail = error.description if status != 429 else "Too many requests; retry later"
    response = _answer(ScimResponse(HTTPStatus(status),
                                    Error(status=status, detail=detail).model_dump()))
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.before_app_request
def _routing_errors_in_scim_words():
    """Unknown paths and methods under /scim/v2 never reach the blueprint: answer them here."""
    error = request.routing_exception
    if error is not None and request.path.startswith(PREFIX) and isinstance(error, HTTPException):
        return http_error(error)
    return None
