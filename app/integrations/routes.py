"""The organisation's API tokens page: create one (shown once), see them, revoke one.

Open to the organisation's HR people and to admins. A new token's secret is on the answer to
the form that created it, and nowhere else, ever.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import role_required
from app.clock import utcnow
from app.extensions import db
from app.integrations import tokens
from app.integrations.forms import SCOPE_LABELS, RevokeForm, TokenForm
from app.models import Organisation

bp = Blueprint("integrations", __name__, url_prefix="/organisations/<org_slug>/api-tokens")


def managed_organisation(org_slug: str) -> Organisation:
    """The organisation in the URL, when the user may manage its tokens: its own HR, admins."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if organisation is None:
        abort(404)
    if not current_user.has_role("admin") and current_user.organisation_id != organisation.id:
        abort(403)
    return organisation


@bp.route("/", methods=["GET", "POST"])
@role_required("hr")
def token_list(org_slug: str):
    """The organisation's tokens, and the form for a new one (its secret shown once)."""
    org = managed_organisation(org_slug)
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        issued = tokens.issue(db.session, current_user, org, form.name.data, form.scopes.data,
                              utcnow())
        form = TokenForm(formdata=None)
    status = 400 if form.errors else 201 if issued else 200
    response = render_template("integrations/tokens.html", org=org, form=form, issued=issued,
                               labels=SCOPE_LABELS, tokens=tokens.tokens_of(db.session, org))
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@role_required("hr")
def revoke(org_slug: str, token_id: int):
    """Confirm, then revoke: systems using the token are refused from the next request on."""
    org = managed_organisation(org_slug)
    token = tokens.token_of(db.session, org, token_id)
    if token is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        if tokens.revoke(db.session, current_user, token, utcnow()):
            flash(_("The token %(prefix)s… is revoked.", prefix=token.prefix), "success")
        return redirect(url_for(".token_list", org_slug=org.slug), 303)
    return render_template("integrations/revoke.html", org=org, token=token, form=form,
                           labels=SCOPE_LABELS)
