"""HR: the organisation page with its invitation link."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.auth import services
from app.auth.decorators import role_required
from app.extensions import db
from app.models import User

bp = Blueprint("hr", __name__, url_prefix="/hr")


@bp.route("/organisation")
@role_required("hr")
def organisation():
    org = current_user.organisation
    if org is None:
        abort(404, "Your account does not belong to an organisation yet. Ask an administrator.")
    members = db.session.scalars(
        select(User).where(User.organisation_id == org.id).order_by(User.name)).all()
    return render_template("hr/organisation.html", org=org, members=members, form=FlaskForm())


@bp.route("/organisation/invite", methods=["POST"])
@role_required("hr")
def renew_invite():
    org = current_user.organisation
    if org is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.regenerate_invite(db.session, current_user, org)
    db.session.commit()
    flash("A new invitation link is ready; the old one no longer works.", "success")
    return redirect(url_for("hr.organisation"))
