"""HR's webhook pages: an organisation's endpoints, their secrets, test events, turning them on
and off (the delivery log: log_routes). Open to the organisation's HR people and to admins."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import role_required
from app.clock import utcnow
from app.extensions import db
from app.models import Organisation
from app.webhooks import services
from app.webhooks.errors import EndpointRefused
from app.webhooks.forms import EVENT_LABELS, EndpointForm

bp = Blueprint("webhooks", __name__, url_prefix="/organisations/<org_slug>/webhooks")

#: the endpoint's latest messages shown on its page
RECENT_DELIVERIES = 10


def managed_organisation(org_slug: str) -> Organisation:
    """The organisation in the URL, when the user may manage its webhooks: its own HR, admins."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if organisation is None:
        abort(404)
    if not current_user.has_role("admin") and current_user.organisation_id != organisation.id:
        abort(403)
    return organisation


def managed_endpoint(org_slug: str, endpoint_id: int):
    """An endpoint of an organisation the current user manages (403 or 404 otherwise)."""
    return services.find_endpoint(db.session, managed_organisation(org_slug), endpoint_id)


def _back_to(endpoint):
    """303 to the endpoint's page."""
    return redirect(url_for(".endpoint", org_slug=endpoint.organisation.slug,
                            endpoint_id=endpoint.id), 303)


def _allow_loopback() -> bool:
    return bool(current_app.config["WEBHOOK_ALLOW_LOOPBACK"])


@bp.route("/")
@role_required("hr")
def endpoints(org_slug: str):
    """The organisation's endpoints and what each receives."""
    org = managed_organisation(org_slug)
    return render_template("webhooks/endpoints.html", org=org, labels=EVENT_LABELS,
                           endpoints=services.endpoints_of(db.session, org))


@bp.route("/new", methods=["GET", "POST"])
@role_required("hr")
def new_endpoint(org_slug: str):
    """Add an endpoint: its URL (public https), a description and the events it receives."""
    org = managed_organisation(org_slug)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = services.create_endpoint(
                db.session, current_user, org, url=form.url.data,
                description=form.description.data, event_types=form.event_types.data,
                now=utcnow(), allow_loopback=_allow_loopback())
        except EndpointRefused as refusal:
            form.url.errors.append(str(refusal))
        else:
            flash(_("Endpoint added. Copy its signing secret into the receiving system."),
                  "success")
            return redirect(url_for(".endpoint", org_slug=org.slug, endpoint_id=endpoint.id), 303)
    return _form_page(org, form, None)


@bp.route("/<int:endpoint_id>")
@role_required("hr")
def endpoint(org_slug: str, endpoint_id: int):
    """One endpoint: its secret, its state, its latest messages, and what can be done."""
    found = managed_endpoint(org_slug, endpoint_id)
    org = found.organisation
    recent = services.delivery_log(db.session, org, endpoint_id=found.id,
                                   per_page=RECENT_DELIVERIES)
    return render_template("webhooks/endpoint.html", org=org, endpoint=found, labels=EVENT_LABELS,
                           recent=recent.items, total=recent.total, now=utcnow())


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@role_required("hr")
def edit_endpoint(org_slug: str, endpoint_id: int):
    """Change an endpoint's URL, description or events."""
    found = managed_endpoint(org_slug, endpoint_id)
    org = found.organisation
    form = EndpointForm(obj=found)
    if form.validate_on_submit():
        try:
            services.update_endpoint(db.session, current_user, found, url=form.url.data,
                                     description=form.description.data,
                                     event_types=form.event_types.data,
                                     allow_loopback=_allow_loopback())
        except EndpointRefused as refusal:
            form.url.errors.append(str(refusal))
        else:
            flash(_("Endpoint saved."), "success")
            return _back_to(found)
    return _form_page(org, form, found)


def _form_page(org: Organisation, form: EndpointForm, endpoint):
    """The form again (400 with the messages beside the fields when it was refused)."""
    return render_template("webhooks/endpoint_form.html", org=org, form=form,
                           endpoint=endpoint), 400 if form.is_submitted() else 200


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@role_required("hr")
def delete_endpoint(org_slug: str, endpoint_id: int):
    """Remove the endpoint and its log."""
    org = managed_organisation(org_slug)
    services.delete_endpoint(db.session, current_user,
                             services.find_endpoint(db.session, org, endpoint_id))
    flash(_("Endpoint deleted: nothing more is sent to it."), "success")
    return redirect(url_for(".endpoints", org_slug=org.slug), 303)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@role_required("hr")
def rotate_secret(org_slug: str, endpoint_id: int):
    """A new signing secret; the old one signs beside it for a day."""
    found = managed_endpoint(org_slug, endpoint_id)
    services.rotate_secret(db.session, current_user, found, utcnow())
    flash(_("New signing secret made. For the next 24 hours messages are signed with the old "
            "and the new secret, so the receiving system can switch without losing any."),
          "success")
    return _back_to(found)


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@role_required("hr")
def send_test(org_slug: str, endpoint_id: int):
    """Send a `webhook.test` message to this endpoint."""
    found = managed_endpoint(org_slug, endpoint_id)
    services.send_test_event(db.session, current_user, found, utcnow())
    flash(_("Test event sent. Its delivery appears below within a few seconds."), "success")
    return _back_to(found)


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@role_required("hr")
def enable(org_slug: str, endpoint_id: int):
    """Turn the endpoint on again; what waited for it is sent now."""
    found = managed_endpoint(org_slug, endpoint_id)
    waiting = services.turn_on(db.session, current_user, found, utcnow())
    flash(ngettext("Endpoint turned on. %(num)d waiting message is being sent.",
                   "Endpoint turned on. %(num)d waiting messages are being sent.", waiting),
          "success")
    return _back_to(found)


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
@role_required("hr")
def disable(org_slug: str, endpoint_id: int):
    """Stop sending to the endpoint; messages wait until it is turned on."""
    found = managed_endpoint(org_slug, endpoint_id)
    services.turn_off(db.session, current_user, found, utcnow())
    flash(_("Endpoint turned off. New events are not sent to it until it is turned on."),
          "success")
    return _back_to(found)
