"""Administrators' certificate pages: the searchable list, and status changes that are
confirmed on a page naming the certificate (revoking is never one click)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.auth.decorators import role_required
from app.certificates import services
from app.certificates.routes import bp
from app.clock import utcnow
from app.extensions import db
from app.models import Certificate
from app.routing import page_number

#: what each change is called on its confirmation page and button
ACTIONS = {"revoke": "Revoke", "suspend": "Suspend", "unsuspend": "Lift the suspension of"}


class StatusChangeForm(FlaskForm):
    """Revoke, suspend or lift a suspension: an internal note, the public reason, and the code
    of the certificate being changed, as the confirmation page names it."""

    action = HiddenField(validators=[AnyOf(tuple(ACTIONS))])
    confirm_code = HiddenField(validators=[DataRequired(
        "Confirm the change on the page that names the certificate.")])
    reason = TextAreaField("Internal note", validators=[
        DataRequired("Give a reason; it is kept on the record (it is not shown publicly)."),
        Length(max=services.REASON_MAX_LENGTH)])
    public_reason = SelectField("Reason shown on verification", choices=[
        ("", "None: verification says no reason was given"),
        *services.PUBLIC_REASONS.items()], default="")


@bp.route("/admin/certificates")
@role_required("admin")
def admin_list():
    """Every certificate, searchable, each with links to change its status."""
    q = request.args.get("q", "")[:100]
    status = request.args.get("status") if request.args.get("status") in services.STATUSES \
        else None
    page = db.paginate(services.search_certificates(q, status), page=page_number(request.args),
                       per_page=25, error_out=False)
    now = utcnow()
    return render_template(
        "certificates/admin_list.html", page=page, q=q, status=status,
        statuses=services.STATUSES, labels=services.STATE_LABELS, list_args=_list_args(),
        states={c.id: services.certificate_state(c, now) for c in page.items})


@bp.route("/admin/certificates/<code>/status", methods=["GET", "POST"])
@role_required("admin")
def admin_change_status(code: str):
    """Confirm a status change on a page that names the certificate, then apply it."""
    certificate = _certificate_or_404(code)
    form = StatusChangeForm(action=request.args.get("action", "revoke"))
    if form.validate_on_submit():
        if form.confirm_code.data != certificate.code:
            form.confirm_code.errors = ["This confirmation names another certificate."]
        else:
            try:
                changed = _apply(certificate.code, form)
            except services.StatusChangeRefused as refusal:  # shown on the page; a 400
                form.reason.errors = [*form.reason.errors, str(refusal)]
            else:
                label = services.STATE_LABELS.get(changed.status, changed.status).lower()
                flash(f"Certificate {changed.code} is now {label}.", "success")
                return redirect(url_for("certificates.admin_list", **_list_args()))
    if form.action.data not in ACTIONS:
        abort(400, "Choose revoke, suspend or lift a suspension.")
    return render_template("certificates/status_change.html", certificate=certificate,
                           form=form, verb=ACTIONS[form.action.data], list_args=_list_args(),
                           state=services.certificate_state(certificate, utcnow()),
                           labels=services.STATE_LABELS), 400 if form.errors else 200


def _certificate_or_404(code: str) -> Certificate:
    certificate = services.find_certificate(db.session, code)
    if certificate is None:
        abort(404, "No certificate has this code.")
    return certificate


def _apply(code: str, form: StatusChangeForm) -> Certificate:
    now, note, public = utcnow(), form.reason.data, form.public_reason.data or None
    if form.action.data == "revoke":
        return services.revoke(db.session, current_user, code, note, now, public)
    if form.action.data == "suspend":
        return services.suspend(db.session, current_user, code, note, now, public)
    return services.unsuspend(db.session, current_user, code, now, note)


def _list_args() -> dict[str, str]:
    """The admin list's search, filter and page, carried through a status change."""
    return {k: v for k, v in request.args.items() if k in ("q", "status", "page") and v}
