"""Data rights: download everything we hold about an account, erase an account, and an
organisation's choice to keep certificates verifiable after erasure.

The download is a POST with the form's CSRF token from the account page: a GET link could be
fetched by another site with the person's cookies (the answer stays unreadable to it, but the
audited export would still happen), and asking for the password again is impossible for
accounts that sign in only through their organisation's identity provider. The erasure is
confirmed by typing the account's address, for the same reason.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.auth.decorators import role_required
from app.clock import utcnow
from app.errors import refusals_return_to
from app.extensions import db
from app.models import User
from app.privacy import erasure, web
from app.privacy.forms import ErasureForm, ExportForm, RetentionForm
from app.privacy.retention import set_certificate_retention

bp = Blueprint("privacy", __name__)


@bp.route("/account/data-export", methods=["POST"])
@login_required
def export_mine():
    """The account's own data as a zip."""
    if not ExportForm().validate_on_submit():
        abort(400)
    return web.export_response(current_user, current_user)


@bp.route("/account/erase", methods=["GET", "POST"])
@login_required
@refusals_return_to("privacy.erase_mine")
def erase_mine():
    """What erasure does, and the confirmation; after it, the person is logged out."""
    form = ErasureForm()
    if form.validate_on_submit() and _confirmed(form, current_user):
        erasure.erase_account(db.session, current_user, current_user, utcnow())
        logout_user()
        flash(_("Your account is erased. Thank you for learning with us."), "info")
        return redirect(url_for("main.index"), 303)
    return _erasure_page(form, current_user, own=True)


@bp.route("/admin/users/<int:user_id>/data-export", methods=["POST"])
@role_required("admin")
def export_user(user_id: int):
    """An account's data as a zip, for an administrator answering the person's request."""
    user = db.get_or_404(User, user_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    return web.export_response(current_user, user)


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required("admin")
@refusals_return_to("privacy.erase_user")
def erase_user(user_id: int):
    """An administrator erases an account on its owner's request (their own: from the account
    page)."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        return redirect(url_for("privacy.erase_mine"), 303)
    form = ErasureForm()
    if form.validate_on_submit() and _confirmed(form, user):
        erasure.erase_account(db.session, current_user, user, utcnow())
        flash(_("The account is erased."), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id), 303)
    return _erasure_page(form, user, own=False)


@bp.route("/organisations/<org>/certificate-retention", methods=["GET", "POST"])
@role_required("hr")
def retention(org: str):
    """Whether the organisation's people keep valid certificates after their erasure."""
    organisation = web.managed_organisation(org, current_user)
    form = RetentionForm(keep=organisation.keep_certificates_after_erasure)
    if form.validate_on_submit():
        if set_certificate_retention(db.session, current_user, organisation, form.keep.data):
            flash(_("The certificate retention setting is saved."), "success")
        if current_user.organisation_id == organisation.id:
            return redirect(url_for("hr.organisation"), 303)
        return redirect(url_for("privacy.retention", org=organisation.slug), 303)
    return render_template("privacy/retention.html", org=organisation, form=form), \
        400 if form.errors else 200


def _confirmed(form: ErasureForm, user: User) -> bool:
    """True when the typed address is the account's; else the form says why."""
    try:
        erasure.check_confirmation(user, form.email.data)
    except erasure.ErasureRefused as refusal:
        form.email.errors.append(str(refusal))
        return False
    return True


def _erasure_page(form: ErasureForm, user: User, *, own: bool):
    """The confirmation page (400 when a confirmation was refused: nothing was changed)."""
    return render_template(
        "privacy/erase.html", form=form, user=user, own=own, erased=erasure.is_erased(user),
        keeps_certificates=erasure.keeps_certificates(user),
        live_certificates=erasure.certificates_to_settle(db.session, user)), \
        400 if form.errors else 200
