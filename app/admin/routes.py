"""Administration: accounts, roles, organisations and the audit log."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.admin.audit_wording import audit_sentence
from app.admin.forms import ROLE_LABELS, OrganisationForm, UserActivationForm, UserEditForm
from app.auth import services
from app.auth.decorators import role_required
from app.certificates import services as certificates
from app.clock import utcnow
from app.courses import services as courses
from app.errors import refusals_return_to
from app.extensions import db
from app.models import ROLES, AuditEvent, Organisation, User
from app.routing import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_global(audit_sentence)


@bp.route("/")
@role_required("admin")
def index():
    """The admin area opens on the accounts."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
@role_required("admin")
def users():
    """Accounts, searchable by name or email and filtered by role."""
    q = request.args.get("q", "")[:100]
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = db.paginate(services.search_users(q, role), page=page_number(request.args), per_page=25,
                       error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=ROLES,
                           role_labels=ROLE_LABELS)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_detail(user_id: int):
    """One account: roles, organisation, activation, enrolments and certificates (each with
    its status changes, confirmed on the certificate's page) and its latest audit events."""
    user = db.get_or_404(User, user_id)
    orgs = services.organisations(db.session)
    form = _user_edit_form(user, orgs)
    if form.validate_on_submit():
        org = next((o for o in orgs if o.slug == form.organisation.data), None)
        try:
            services.set_roles(db.session, current_user, user, set(form.roles.data))
            services.set_organisation(db.session, current_user, user, org)
        except services.AccountError as error:
            form.roles.errors.append(str(error))  # a 400 re-render: nothing is kept
        else:
            flash(_("%(name)s is updated.", name=user.name), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, form=form,
                           toggle=UserActivationForm(),
                           events=services.audit_trail(db.session, user), **_learning(user)), \
        400 if form.errors else 200


def _learning(user: User) -> dict:
    """The account's enrolments with progress, and its certificates with today's state."""
    held = certificates.certificates_of(db.session, user)
    now = utcnow()
    return {"enrolments": courses.dashboard_rows(db.session, user), "certificates": held,
            "states": {c.id: certificates.certificate_state(c, now) for c in held},
            "labels": certificates.STATE_LABELS}


def _user_edit_form(user: User, orgs: list[Organisation]) -> UserEditForm:
    """The roles and organisation form, filled with the account's current ones."""
    form = UserEditForm(roles=sorted(user.roles - {"learner"}),
                        organisation=user.organisation.slug if user.organisation else "")
    form.organisation.choices = [("", _("No organisation"))] + [(o.slug, o.name) for o in orgs]
    return form


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
@refusals_return_to("admin.user_detail")
def user_set_active(user_id: int):
    """Deactivate or reactivate an account (never one's own)."""
    user = db.get_or_404(User, user_id)
    if not UserActivationForm().validate_on_submit():
        abort(400)
    services.set_active(db.session, current_user, user, not user.is_active_account, utcnow())
    flash(_("%(name)s is reactivated.", name=user.name) if user.is_active_account
          else _("%(name)s is deactivated.", name=user.name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
@role_required("admin")
@refusals_return_to("admin.user_detail")
def user_sign_out(user_id: int):
    """End every login of an account at once (a lost laptop, a departure)."""
    user = db.get_or_404(User, user_id)
    if not UserActivationForm().validate_on_submit():
        abort(400)
    ended = services.sign_out_everywhere(db.session, current_user, user, utcnow())
    flash(ngettext("%(name)s is signed out everywhere (%(num)d login ended).",
                   "%(name)s is signed out everywhere (%(num)d logins ended).", ended,
                   name=user.name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/organisations", methods=["GET", "POST"])
@role_required("admin")
def organisations():
    """The organisations, and a form to create one."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = services.create_organisation(db.session, form.name.data, current_user)
        except services.AccountError as error:
            form.name.errors.append(str(error))  # a 400 re-render: nothing is kept
        else:
            flash(_("%(name)s is created.", name=org.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", form=form,
                           orgs=services.organisations(db.session)), 400 if form.errors else 200


@bp.route("/audit")
@role_required("admin")
def audit():
    """The audit log, newest first, filtered by the start of an action."""
    stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    action = request.args.get("action", "")[:64]
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    page = db.paginate(stmt, page=page_number(request.args), per_page=50,
                       error_out=False)
    return render_template("admin/audit.html", page=page, action=action)
