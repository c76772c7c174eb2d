"""Sign-on views: starting a sign-on, the OpenID Connect provider's answer, and an
organisation's sign-on settings."""
from __future__ import annotations

import time
from dataclasses import asdict

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import organisation_by_slug
from app.clock import utcnow
from app.extensions import db
from app.navigation import home_url
from app.routing import local_path
from app.sso import connections, oidc, services
from app.sso.claims import SignOnRefused
from app.sso.forms import SignOnSettingsForm, TestConnectionForm
from app.sso.web import bp, log_in

#: the Flask session key of the OpenID Connect attempts under way (by state)
ATTEMPTS = "sso_oidc_attempts"
#: an attempt older than this is refused: the person took too long at the provider
ATTEMPT_SECONDS = 15 * 60
#: attempts kept at once per browser (several tabs); the oldest go first
MAX_ATTEMPTS = 5


def _access() -> services.ProviderAccess:
    return services.ProviderAccess.from_config(current_app.config)


def _redirect_uri(slug: str) -> str:
    """The OpenID Connect redirect URI of an organisation, as registered at its provider."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("sso.oidc_callback",
                                                                       org=slug)


@bp.route("/<org>/start")
def start(org: str):
    """Send the browser to the organisation's identity provider (then back to `next`)."""
    found = services.enabled_connection(db.session, org)
    if found is None:
        abort(404)
    connection = found[1]
    next_path = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or home_url(current_user))
    if connection.protocol == "saml":
        return redirect(url_for("sso.saml_start", org=org, next=next_path))
    url, attempt = services.begin_oidc(connection, _access(), _redirect_uri(org))
    _remember(org, attempt, next_path)
    return redirect(url)


def _remember(slug: str, attempt: oidc.Attempt, next_path: str | None) -> None:
    attempts = dict(session.get(ATTEMPTS) or {})
    attempts[attempt.state] = {**asdict(attempt), "org": slug, "next": next_path}
    newest = sorted(attempts.items(), key=lambda item: item[1].get("started_at", 0))
    session[ATTEMPTS] = dict(newest[-MAX_ATTEMPTS:])


def _take_attempt(slug: str, state: str | None) -> tuple[oidc.Attempt, str | None]:
    """The attempt the provider's answer belongs to, removed (single use); else refused."""
    attempts = dict(session.get(ATTEMPTS) or {})
    kept = attempts.pop(state or "", None)
    session[ATTEMPTS] = attempts
    if not isinstance(kept, dict) or kept.get("org") != slug \
            or kept.get("started_at", 0) < time.time() - ATTEMPT_SECONDS:
        refusal = SignOnRefused("state-unknown", _("This sign-in link was used already or has "
                                                   "expired. Please start again."))
        refusal.status_code = 400
        raise refusal
    attempt = oidc.Attempt(state=kept["state"], nonce=kept.get("nonce") or "",
                           code_verifier=kept.get("code_verifier") or "",
                           started_at=kept["started_at"])
    return attempt, local_path(kept.get("next"))


@bp.route("/<org>/oidc/callback")
def oidc_callback(org: str):
    """The provider's answer: check it, find or create the account, log in."""
    found = services.enabled_connection(db.session, org)
    if found is None or found[1].protocol != "oidc":
        abort(404)
    organisation, connection = found
    attempt, next_path = _take_attempt(org, request.args.get("state"))
    if request.args.get("error"):
        raise SignOnRefused("provider-error", _("Your identity provider did not sign you in "
                                                "(%(error)s).", error=request.args["error"][:80]))
    user = services.complete_oidc(db.session, organisation, connection, attempt,
                                  request.args.get("code", ""), answered_by=request.args.get("iss"),
                                  redirect_uri=_redirect_uri(org), access=_access(), now=utcnow())
    log_in(user, organisation, "oidc")
    return redirect(next_path or home_url(user))


# --- an organisation's settings ---------------------------------------------------------------

def _managed_organisation(slug: str):
    """The organisation whose sign-on the current user may manage: any for an admin, their own
    for HR; else 403 (404 when there is no such organisation)."""
    organisation = organisation_by_slug(db.session, slug)
    if organisation is None:
        abort(404)
    own = current_user.organisation_id == organisation.id and current_user.has_role("hr")
    if not (current_user.has_role("admin") or own):
        abort(403)
    return organisation


@bp.route("/<org>/settings", methods=["GET", "POST"])
@login_required
def settings(org: str):
    """The organisation's sign-on: protocol, provider, domains, password login."""
    organisation = _managed_organisation(org)
    connection = connections.connection_of(db.session, organisation)
    form = SignOnSettingsForm(obj=connection, data=None if request.method == "POST" else {
        "domains": "\n".join(connections.domains_of(db.session, organisation))})
    if form.validate_on_submit():
        try:
            connections.save_connection(
                db.session, current_user, organisation, _settings_from(form),
                secret_key=current_app.secret_key, now=utcnow(),
                allow_loopback_http=current_app.config["SSO_ALLOW_LOOPBACK_HTTP"])
        except connections.SignOnSettingsError as error:
            getattr(form, error.field or "protocol").errors.append(str(error))  # a 400
        else:
            flash(_("The sign-on settings are saved."), "success")
            return redirect(url_for("sso.settings", org=org), 303)
    return _settings_page(organisation, connection, form), 400 if form.errors else 200


def _settings_from(form: SignOnSettingsForm) -> connections.ConnectionSettings:
    return connections.ConnectionSettings(
        protocol=form.protocol.data, enabled=form.enabled.data,
        password_login=form.password_login.data,
        domains=connections.parse_domains(form.domains.data or ""),
        oidc_issuer=form.oidc_issuer.data or "", oidc_client_id=form.oidc_client_id.data or "",
        oidc_client_secret=form.oidc_client_secret.data or None,
        saml_idp_metadata_url=form.saml_idp_metadata_url.data or "",
        saml_idp_metadata=form.saml_idp_metadata.data or "")


def _settings_page(organisation, connection, form):
    slug = organisation.slug
    return render_template(
        "sso/settings.html", organisation=organisation, connection=connection, form=form,
        test_form=TestConnectionForm(), redirect_uri=_redirect_uri(slug),
        saml=_saml_values(slug), secret_stored=bool(connection and connection.oidc_client_secret))


def _saml_values(slug: str) -> dict:
    """What the identity provider needs of us for SAML."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    metadata = base + url_for("sso.saml_metadata", org=slug)
    return {"metadata_url": metadata, "entity_id": metadata,
            "acs_url": base + url_for("sso.saml_acs", org=slug)}


@bp.route("/<org>/settings/test", methods=["POST"])
@login_required
def test_settings(org: str):
    """Fetch the provider's discovery document and keys with the stored settings."""
    organisation = _managed_organisation(org)
    if TestConnectionForm().validate_on_submit():
        result = services.test_connection(
            db.session, current_user, organisation,
            connections.connection_of(db.session, organisation), _access())
        flash(str(result.message), "success" if result.ok else "danger")
    return redirect(url_for("sso.settings", org=org), 303)
