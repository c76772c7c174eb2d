"""The home page, the signed-in landing page and the language switcher."""
from datetime import timedelta

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth import preferences
from app.extensions import db
from app.i18n import LANGUAGE_COOKIE
from app.routing import local_path

bp = Blueprint("main", __name__)

#: how long a visitor's choice of language is remembered
LANGUAGE_KEPT = timedelta(days=365)


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    return redirect(url_for("courses.dashboard"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Read the platform in another language: kept on the account, and in a cookie for
    visitors; back to the page the switcher was on."""
    locale = request.form.get("locale", "")
    offered = tuple(current_app.config["LANGUAGES"])
    if locale not in offered:
        abort(400, _("This language is not offered."))
    if current_user.is_authenticated:
        preferences.set_language(db.session, current_user, locale, offered)
    response = redirect(local_path(request.form.get("next")) or url_for("main.index"), 303)
    response.set_cookie(LANGUAGE_COOKIE, locale, max_age=int(LANGUAGE_KEPT.total_seconds()),
                        httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/account/reading", methods=["POST"])
@login_required
def reading_preferences():
    """The account's language and time zone (an unknown one is a 400, nothing saved)."""
    offered = tuple(current_app.config["LANGUAGES"])
    preferences.set_language(db.session, current_user, request.form.get("locale", ""), offered)
    preferences.set_time_zone(db.session, current_user, request.form.get("timezone", ""))
    flash(_("Your language and time zone are saved."), "success")
    return redirect(url_for("auth.account") + "#reading", 303)
