"""The home page and the signed-in landing page."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    return redirect(url_for("courses.dashboard"))
