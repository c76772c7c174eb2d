"""Unsubscribing from an optional mail (from the link in it, or one click in the mail client),
the mail preferences of the account page, and the address confirmation link sent again."""
from __future__ import annotations

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.clock import utcnow
from app.extensions import csrf, db, limiter
from app.models import User
from app.notifications.account_mails import queue_verification
from app.notifications.preferences import (
    CATEGORY_LABELS, read_unsubscribe_token, set_mail_preferences,
)

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def mail_categories() -> dict:
    """The optional mails' labels, for the preferences section of the account page."""
    return {"mail_category_labels": CATEGORY_LABELS}


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


@bp.route("/account/mail-preferences", methods=["POST"])
@login_required
def mail_preferences():
    """Save the optional mails the user takes (HR's digest only for HR users)."""
    shown = [c for c in CATEGORY_LABELS if c != "digests" or current_user.has_role("hr")]
    changed = set_mail_preferences(db.session, current_user,
                                   {category: category in request.form for category in shown})
    flash(_("Your mail preferences are saved.") if changed
          else _("Your mail preferences are unchanged."), "success")
    return redirect(url_for("auth.account", _anchor="mail"), 303)


@bp.route("/account/verify-email/send", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["EMAIL_MAIL_LIMIT_PER_CLIENT"])
def send_verification():
    """Mail the link confirming the account's address again (at most once per 10 minutes)."""
    if current_user.email_verified:
        flash(_("Your address is confirmed already."), "info")
    else:
        queue_verification(db.session, current_user, utcnow(),
                           current_app.config["EMAIL_TOKEN_MAX_AGE"], again=True)
        flash(_("We sent the link to %(email)s again. It can take a few minutes to arrive; look "
                "in your spam folder too.", email=current_user.email), "info")
    return redirect(request.referrer if _same_site(request.referrer) else url_for(
        "auth.account"), 303)


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
