"""Administrators' certificate pages: the searchable list, status changes that are confirmed
on a page naming the certificate (revoking is never one click), and the certificate templates
previewed with sample data."""
from __future__ import annotations


from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.auth.decorators import role_required
from app.certificates import design_previews, services
from app.certificates.admin_search import search_certificates
from app.certificates.extension import current_issuer
from app.certificates.pdf import DEFAULT_TEMPLATE
from app.certificates.routes import bp
from app.clock import utcnow
from app.extensions import db
from app.models import Certificate
from app.routing import local_path, page_number

#: the changes a confirmation page can ask for (each page words its own heading and button)
ACTIONS = ("revoke", "suspend", "unsuspend")


class StatusChangeForm(FlaskForm):
    """Revoke, suspend or lift a suspension: an internal note, the public reason, and the code
    of the certificate being changed, as the confirmation page names it."""

    action = HiddenField(validators=[AnyOf(ACTIONS)])
    confirm_code = HiddenField(validators=[DataRequired(
        _l("Confirm the change on the page that names the certificate."))])
    reason = TextAreaField(_l("Internal note"), validators=[
        DataRequired(_l("Give a reason; it is kept on the record (it is not shown publicly).")),
        Length(max=services.REASON_MAX_LENGTH)])
    public_reason = SelectField(_l("Reason shown on verification"), choices=[
        ("", _l("None: verification says no reason was given")),
        *services.PUBLIC_REASONS.items()], default="")


@bp.route("/admin/certificates")
@role_required("admin")
def admin_list():
    """Every certificate, searchable, each with links to change its status."""
    q = request.args.get("q", "")[:100]
    status = request.args.get("status") if request.args.get("status") in services.STATUSES \
        else None
    page = db.paginate(search_certificates(q, status), page=page_number(request.args),
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
            form.confirm_code.errors = [_("This confirmation names another certificate.")]
        else:
            try:
                changed = _apply(certificate.code, form)
            except services.StatusChangeRefused as refusal:  # shown on the page; a 400
                form.reason.errors = [*form.reason.errors, str(refusal)]
            else:
                label = services.STATE_LABELS.get(changed.status, changed.status)
                flash(_("Certificate %(code)s is now %(state)s.", code=changed.code,
                        state=str(label).lower()), "success")
                return redirect(_return_url() or url_for("certificates.admin_list",
                                                         **_list_args()))
    if form.action.data not in ACTIONS:
        abort(400, _("Choose revoke, suspend or lift a suspension."))
    return render_template("certificates/status_change.html", certificate=certificate,
                           form=form, list_args=_list_args(),
                           return_url=_return_url(),
                           state=services.certificate_state(certificate, utcnow()),
                           labels=services.STATE_LABELS), 400 if form.errors else 200


def _certificate_or_404(code: str) -> Certificate:
    certificate = services.find_certificate(db.session, code)
    if certificate is None:
        abort(404, _("No certificate has this code."))
    return certificate


def _apply(code: str, form: StatusChangeForm) -> Certificate:
    now, note, public = utcnow(), form.reason.data, form.public_reason.data or None
    if form.action.data == "revoke":
        return services.revoke(db.session, current_user, code, note, now, public)
    if form.action.data == "suspend":
        return services.suspend(db.session, current_user, code, note, now, public)
    return services.unsuspend(db.session, current_user, code, now, note)


def _return_url() -> str | None:
    """The page the change was asked from (`next`, such as the holder's account page), when it
    is a path on this site; None otherwise."""
    return local_path(request.args.get("next", ""))


def _list_args() -> dict[str, str]:
    """The admin list's search, filter and page, carried through a status change."""
    return {k: v for k, v in request.args.items() if k in ("q", "status", "page") and v}


# --- certificate templates ----------------------------------------------------------------------

@bp.route("/admin/certificates/templates")
@role_required("admin")
def admin_templates():
    """Every certificate template a course may choose, each pictured with sample data."""
    names = design_previews.template_names(current_issuer().settings.templates_dir)
    return render_template("certificates/design_templates.html", names=names,
                           default_template=DEFAULT_TEMPLATE, has_preview=design_previews.can_draw())


@bp.route("/admin/certificates/templates/<template>/sample.png")
@role_required("admin")
def admin_template_picture(template: str):
    """A template's sample certificate as a picture."""
    png = _sample(template, design_previews.sample_picture)
    if png is None:
        abort(404, _("No picture can be drawn on this server: poppler's pdftoppm is missing."))
    return _private(Response(png, mimetype="image/png"))


@bp.route("/admin/certificates/templates/<template>/sample.pdf")
@role_required("admin")
def admin_template_pdf(template: str):
    """A template's sample certificate as a PDF: unsigned, marked SAMPLE."""
    pdf = _sample(template, design_previews.sample_pdf)
    response = _private(Response(pdf, mimetype="application/pdf"))
    response.headers["Content-Disposition"] = f'inline; filename="sample-{template}.pdf"'
    return response


def _sample(template: str, draw):
    """What `draw` makes of the template with sample data; 404 for an unknown template, 422
    for one that does not render (the message names the problem)."""
    issuer = current_issuer()
    templates_dir = issuer.settings.templates_dir
    if template not in design_previews.template_names(templates_dir):
        abort(404, _("There is no certificate template with this name."))
    try:
        return draw(templates_dir, template, issuer.name, issuer.url, str(get_locale()))
    except design_previews.CertificateTemplateError as broken:
        abort(422, _("The %(template)s template does not render: %(problem)s", template=template,
                     problem=broken))


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-cache"
    return response
