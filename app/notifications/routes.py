"""Unsubscribing from an optional mail: from the link in it, or one click in the mail client."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from app.extensions import csrf, db
from app.models import User
from app.notifications.preferences import (
    CATEGORY_LABELS, read_unsubscribe_token, set_mail_preferences,
)

bp = Blueprint("notifications", __name__)


def _subscriber_or_404(token: str) -> tuple[User, str]:
    found = read_unsubscribe_token(current_app.secret_key, token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        abort(404)
    return user, found[1]


@bp.route("/mail/unsubscribe/<token>", methods=["GET"])
def unsubscribe(token: str):
    """Ask before turning a category off: a link scanner that follows links changes nothing."""
    user, category = _subscriber_or_404(token)
    return render_template("notifications/unsubscribe.html", token=token, user=user,
                           category=category, label=CATEGORY_LABELS[category], done=False)


@bp.route("/mail/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client posts without a form; the token is the proof
def unsubscribe_now(token: str):
    user, category = _subscriber_or_404(token)
    set_mail_preferences(db.session, user, {category: False})
    return render_template("notifications/unsubscribe.html", token=token, user=user,
                           category=category, label=CATEGORY_LABELS[category], done=True)
