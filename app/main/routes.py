"""The home page and the signed-in landing page."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    if "courses.dashboard" in _endpoints():
        return redirect(url_for("courses.dashboard"))
    return render_template("main/dashboard.html", user=current_user)


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)
