"""The sign-on blueprint: starting a sign-on, the provider's answer, and the organisation's
connection settings. Views live in `routes` (OpenID Connect, settings) and `saml_routes`.

A view of either protocol that raises `SignOnRefused` gets the refusal page: what it wrote is
rolled back, the refusal is audited (and that entry committed), nobody is signed in.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request
from flask_login import login_user

from app import transactions
from app.audit import record
from app.auth.logins import start_login
from app.auth.services import organisation_by_slug
from app.clock import utcnow
from app.extensions import db
from app.sso import accounts
from app.sso.claims import SignOnRefused

bp = Blueprint("sso", __name__, url_prefix="/sso")


@bp.errorhandler(SignOnRefused)
def sign_on_refused(error: SignOnRefused):
    """The refusal page (403, or the error's status); the audit entry is kept."""
    view_args = request.view_args or {}
    protocol = getattr(error, "protocol", None) or (
        "saml" if (request.endpoint or "").startswith("sso.saml") else "oidc")
    slug = view_args.get("org")
    organisation = organisation_by_slug(db.session, slug) if slug else None
    return refusal_page(organisation, protocol, error)


def refusal_page(organisation, protocol: str, error: SignOnRefused, detail: str = ""):
    """Roll back, audit the refusal, keep that entry, and answer with the refusal page."""
    accounts.refuse(db.session, organisation, protocol, error.reason, detail or str(error.args[0]))
    transactions.keep()
    body = render_template("sso/refused.html", message=str(error), organisation=organisation,
                           reason=error.reason)
    return body, error.status_code, {"Cache-Control": "no-store"}


def log_in(user, organisation, protocol: str) -> None:
    """Open a login for the person the provider vouched for (audited "sso.signed_in")."""
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    lifetime = lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)
    start_login(db.session, user, utcnow(), lifetime)
    login_user(user)
    record(db.session, user, "sso.signed_in", "user", user.id,
           f"{user.email} signed in through {organisation.name}'s identity provider",
           organisation=organisation.slug, protocol=protocol)
