"""Administration: accounts, roles, organisations and the audit log."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin.forms import OrganisationForm, UserActivationForm, UserEditForm
from app.auth import services
from app.auth.decorators import role_required
from app.extensions import db
from app.models import ROLES, AuditEvent, Organisation, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@role_required("admin")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@role_required("admin")
def users():
    q = request.args.get("q", "")[:100]
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = db.paginate(services.search_users(q, role), per_page=25, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=ROLES)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_detail(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(roles=sorted(user.roles - {"learner"}),
                        organisation=user.organisation.slug if user.organisation else "")
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation.choices = [("", "No organisation")] + [(o.slug, o.name) for o in orgs]
    if form.validate_on_submit():
        org = next((o for o in orgs if o.slug == form.organisation.data), None)
        try:
            services.set_roles(db.session, current_user, user, set(form.roles.data))
            services.set_organisation(db.session, current_user, user, org)
        except services.AccountError as error:
            db.session.rollback()
            form.roles.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{user.name} is updated.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "user",
                                 AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.created_at.desc()).limit(20)).all()
    status = 400 if form.errors else 200
    return render_template("admin/user_detail.html", user=user, form=form,
                           toggle=UserActivationForm(), events=events), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserActivationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_active(db.session, current_user, user, not user.is_active_account)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(f"{user.name} is {'reactivated' if user.is_active_account else 'deactivated'}.",
              "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/organisations", methods=["GET", "POST"])
@role_required("admin")
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = services.create_organisation(db.session, form.name.data, current_user)
        except services.AccountError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{org.name} is created.", "success")
            return redirect(url_for("admin.organisations"))
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    status = 400 if form.errors else 200
    return render_template("admin/organisations.html", form=form, orgs=orgs), status


@bp.route("/audit")
@role_required("admin")
def audit():
    stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    action = request.args.get("action", "")[:64]
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, action=action)
