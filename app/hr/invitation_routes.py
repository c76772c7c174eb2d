"""Invitations by mail: HR's page (views of the HR blueprint), and the personal link a person
follows to join (`/join/<token>`, a blueprint of its own: it is not under /hr)."""
from __future__ import annotations

from flask import (
    Blueprint, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import services as auth_services
from app.auth.decorators import role_required
from app.clock import utcnow
from app.extensions import db, limiter
from app.hr import invitations
from app.hr import services as hr_services
from app.hr.forms import CSV_TOO_LARGE, InviteForm, JoinForm
from app.hr.routes import bp, hr_user_key, own_organisation
from app.models import Invitation, Organisation
from app.routing import page_number
from app.verify.spreadsheets import CsvError, read_csv_rows

join_bp = Blueprint("invitations", __name__)

#: submissions of the invitations form per HR account (each holds up to 500 addresses)
INVITE_LIMIT_PER_USER = "30 per hour"


@bp.route("/invitations", methods=["GET", "POST"])
@role_required("hr")
@limiter.limit(INVITE_LIMIT_PER_USER, methods=["POST"], key_func=hr_user_key)
def invitations_page():
    """Invite people by mail (pasted addresses or a CSV file) and see what became of each."""
    org, form = own_organisation(), InviteForm()
    report, status = None, 200
    if form.validate_on_submit():
        report, status = _invite(org, form)
    elif form.is_submitted():
        too_large = str(CSV_TOO_LARGE)
        status = 413 if any(str(error) == too_large for error in form.csv_file.errors) else 400
    return _invitations_page(org, form, report), status


def _invite(org: Organisation, form: InviteForm) -> tuple[invitations.InviteReport | None, int]:
    """Invite what the form holds: the report, or None and 400 (nothing written)."""
    try:
        addresses = invitations.split_addresses(form.addresses.data or "")
        if form.csv_file.data:
            rows = read_csv_rows(form.csv_file.data.read(), invitations.MAX_ADDRESSES)
            addresses += invitations.addresses_from_csv(rows)
        report = invitations.invite(db.session, org, current_user, addresses, utcnow())
    except (CsvError, invitations.InvitationError) as error:
        form.addresses.errors = [*form.addresses.errors, str(error)]
        return None, 400
    form.addresses.data = ""  # sent: the list is not offered for sending twice
    return report, 200


def _invitations_page(org: Organisation, form: InviteForm,
                      report: invitations.InviteReport | None) -> str:
    """The form, what the last submission did, and every invitation with its status."""
    rows = invitations.invitation_rows(db.session, org, utcnow())
    status = request.args.get("status", "")
    status = status if status in invitations.STATUSES else ""
    chosen = [row for row in rows if not status or row.status == status]
    return render_template(
        "hr/invitations.html", org=org, form=form, report=report, status=status,
        counts=invitations.status_counts(rows), total=len(rows),
        page=hr_services.paginate(chosen, page_number(request.args)),
        max_addresses=invitations.MAX_ADDRESSES)


@join_bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_CLIENT"], methods=["POST"])
def join(token: str):
    """Follow an invitation: join when logged in with the invited address, log in first when the
    address has an account, else create the account (verified) in the organisation."""
    invitation = invitations.invitation_for_token(db.session, current_app.secret_key, token,
                                                  utcnow())
    if current_user.is_authenticated:
        return _join_logged_in(invitation)
    if auth_services.find_user_by_email(db.session, invitation.email) is not None:
        flash(_("Log in as %(email)s to join %(organisation)s.", email=invitation.email,
                organisation=invitation.organisation.name), "info")
        return redirect(url_for("auth.login", next=url_for("invitations.join", token=token)))
    return _register(invitation)


def _join_logged_in(invitation: Invitation):
    """The invited person joins; anyone else is told whom the invitation is for."""
    org = invitation.organisation
    if current_user.email != invitation.email:
        return render_template("hr/join_other.html", invitation=invitation, org=org)
    already = current_user.organisation_id == org.id
    invitations.accept(db.session, invitation, current_user, utcnow())
    flash(_("You are already a member of %(organisation)s.", organisation=org.name) if already
          else _("Welcome to %(organisation)s: your HR team now follows your courses and "
                 "certificates.", organisation=org.name),
          "info" if already else "success")
    return redirect(url_for("main.dashboard"))


def _register(invitation: Invitation):
    """The account form, the address fixed; the new account is verified and in the
    organisation, and logs in like any other (registering logs nobody in)."""
    form, org = JoinForm(), invitation.organisation
    if form.validate_on_submit():
        try:
            invitations.register_invited(
                db.session, invitation, name=form.name.data, password=form.password.data,
                policy=auth_services.PasswordPolicy.from_config(current_app.config), now=utcnow())
        except auth_services.EmailTaken:  # created at the same moment: it can log in
            flash(_("An account with %(email)s exists: log in to join %(organisation)s.",
                    email=invitation.email, organisation=org.name), "info")
            return redirect(url_for("auth.login"))
        except auth_services.AccountError as error:
            getattr(form, error.field or "password", form.password).errors.append(str(error))
        else:
            flash(_("Your account is ready and you joined %(organisation)s. Log in with the "
                    "password you chose.", organisation=org.name), "success")
            return redirect(url_for("auth.login"))
    return render_template("hr/join.html", form=form, invitation=invitation, org=org), \
        400 if form.errors else 200
