"""HR's delivery log: every message sent to the organisation's endpoints, filtered by status
or endpoint, one message's body and last answer, and "redeliver"."""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.clock import utcnow
from app.extensions import db
from app.models.webhooks import DELIVERY_STATUSES
from app.routing import bounded_int, page_number
from app.webhooks import services
from app.webhooks.routes import bp, managed_organisation


@bp.route("/deliveries")
@role_required("hr")
def deliveries(org_slug: str):
    """The log, newest first: ?status=pending|sending|delivered|failed, ?endpoint_id=<id>."""
    org = managed_organisation(org_slug)
    status = request.args.get("status", "")
    status = status if status in DELIVERY_STATUSES else ""
    endpoint_id = bounded_int(request.args, "endpoint_id")
    page = services.delivery_log(db.session, org, status=status, endpoint_id=endpoint_id,
                                 page=page_number(request.args))
    return render_template("webhooks/deliveries.html", org=org, page=page, status=status,
                           statuses=DELIVERY_STATUSES, endpoint_id=endpoint_id,
                           endpoints=services.endpoints_of(db.session, org))


@bp.route("/deliveries/<int:delivery_id>")
@role_required("hr")
def delivery(org_slug: str, delivery_id: int):
    """One message: its body as sent, its attempts and the receiver's last answer."""
    org = managed_organisation(org_slug)
    found = services.find_delivery(db.session, org, delivery_id)
    body = json.dumps(json.loads(found.payload), indent=2, ensure_ascii=False)
    return render_template("webhooks/delivery.html", org=org, delivery=found, body=body)


@bp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@role_required("hr")
def redeliver(org_slug: str, delivery_id: int):
    """Send the message again, with the same webhook-id and body."""
    org = managed_organisation(org_slug)
    found = services.find_delivery(db.session, org, delivery_id)
    services.redeliver(db.session, current_user, found, utcnow())
    flash(_("The message is being sent again."), "success")
    return redirect(url_for(".delivery", org_slug=org.slug, delivery_id=found.id), 303)
