"""SAML 2.0 views: our SP metadata, starting a sign-on, and the assertion consumer service.

The ACS receives a cross-site POST from the identity provider, so neither the CSRF token nor
the session cookie (SameSite=Lax) comes with it. The request id to expect is therefore kept in
a cookie of its own, signed, scoped to the organisation's SAML path and sent cross-site
(SameSite=None; over https, as browsers require): only the browser that started the sign-on
can finish it, and an answer can be used once (the replay cache). An answer that names no
request (the provider's dashboard started the sign-in) signs nobody in: it starts ours.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth.services import organisation_by_slug
from app.clock import utcnow
from app.extensions import csrf, db, limiter
from app.navigation import home_url
from app.routing import local_path
from app.sso import accounts, saml
from app.sso.saml_metadata import SamlMetadataError, current_idp_metadata
from app.sso.saml_refusals import SamlRefused
from app.sso.services import enabled_connection
from app.sso.web import bp, log_in, refusal_page

#: the cookie carrying the started request's id and where to go after signing in
REQUEST_COOKIE = "okr_saml_request"
METADATA_TYPE = "application/samlmetadata+xml"
#: a SAMLResponse larger than this is no answer we would accept
MAX_RESPONSE_CHARS = 512 * 1024


@bp.errorhandler(SamlRefused)
def saml_refused(error: SamlRefused):
    """The refusal page, with pysaml2's technical reason in the audit entry."""
    organisation = organisation_by_slug(db.session, (request.view_args or {}).get("org", ""))
    return refusal_page(organisation, "saml", error, error.detail or str(error.args[0]))


@bp.route("/<org>/saml/metadata")
def saml_metadata(org: str):
    """Our SP metadata for the organisation's identity provider (its URL is our entity id)."""
    organisation = organisation_by_slug(db.session, org)
    if organisation is None:
        abort(404)
    xml = saml.sp_metadata(_service_provider(org))
    return Response(xml, mimetype=METADATA_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{org}-saml-sp.xml"'})


@bp.route("/<org>/saml/start")
def saml_start(org: str):
    """Send the browser to the identity provider with an AuthnRequest (then back to `next`)."""
    _, connection = _saml_connection(org)
    next_path = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or home_url(current_user))
    begun = saml.start(_service_provider(org), _idp_metadata(connection))
    response = redirect(begun.redirect_url)
    _set_request_cookie(response, org, {"id": begun.request_id, "next": next_path})
    return response


@bp.route("/<org>/saml/acs", methods=["POST"])
@csrf.exempt  # a cross-site POST from the identity provider: the signed assertion, InResponseTo
# (the request cookie) and the replay cache are its proof, not a form token
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"])
def saml_acs(org: str):
    """The identity provider's answer: check it, find or create the account, log in."""
    organisation, connection = _saml_connection(org)
    started = _request_cookie(org)
    answer = request.form.get("SAMLResponse", "")
    if not answer or len(answer) > MAX_RESPONSE_CHARS:
        raise SamlRefused("invalid-response", "no SAMLResponse, or too large")
    if not started and saml.is_unsolicited(answer):
        return redirect(url_for("sso.saml_start", org=org), 303)
    claims = saml.consume(db.session, organisation, _service_provider(org),
                          _idp_metadata(connection), answer, started.get("id"), utcnow())
    user = accounts.sign_in_from_claims(db.session, organisation, claims, utcnow())
    log_in(user, organisation, "saml")
    response = redirect(local_path(started.get("next")) or home_url(user), 303)
    response.delete_cookie(REQUEST_COOKIE, path=_cookie_path(org))
    return response


def _saml_connection(slug: str):
    """The organisation and its enabled SAML connection, else 404."""
    found = enabled_connection(db.session, slug)
    if found is None or found[1].protocol != "saml":
        abort(404, description=_("This organisation does not sign in with SAML."))
    return found


def _service_provider(slug: str) -> saml.ServiceProvider:
    config = current_app.config
    base = config["PUBLIC_BASE_URL"].rstrip("/")
    return saml.service_provider(config, base + url_for("sso.saml_metadata", org=slug),
                                 base + url_for("sso.saml_acs", org=slug), utcnow())


def _idp_metadata(connection) -> str:
    config = current_app.config
    try:
        return current_idp_metadata(
            connection, utcnow(),
            max_age=timedelta(seconds=config["SAML_METADATA_MAX_AGE_SECONDS"]),
            timeout=config["SSO_HTTP_TIMEOUT_SECONDS"],
            allow_loopback_http=config["SSO_ALLOW_LOOPBACK_HTTP"])
    except SamlMetadataError as error:
        raise SamlRefused("metadata-unusable", str(error)) from None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="sso-saml-request")


def _cookie_path(slug: str) -> str:
    return url_for("sso.saml_acs", org=slug)


def _set_request_cookie(response: Response, slug: str, started: dict) -> None:
    secure = bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
    response.set_cookie(
        REQUEST_COOKIE, _serializer().dumps({**started, "org": slug}),
        max_age=current_app.config["SAML_REQUEST_MAX_AGE_SECONDS"], path=_cookie_path(slug),
        secure=secure, httponly=True,
        # SameSite=None needs Secure; over plain http (development) no attribute is sent,
        # which browsers treat as Lax but still send on a top-level POST within two minutes
        samesite="None" if secure else None)


def _request_cookie(slug: str) -> dict:
    """The sign-on this browser started at this organisation ({} when none, or too old)."""
    try:
        started = _serializer().loads(request.cookies.get(REQUEST_COOKIE, ""),
                                      max_age=current_app.config["SAML_REQUEST_MAX_AGE_SECONDS"])
    except BadSignature:
        return {}
    return started if isinstance(started, dict) and started.get("org") == slug else {}
