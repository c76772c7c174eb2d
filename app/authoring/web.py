"""The studio's blueprint and what its views share: loading a course or draft, the revision a
form sent back, and how a refusal is answered. Views live in `routes` and `files_routes`."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash

from app import transactions
from app.auth.decorators import role_required
from app.authoring import services
from app.extensions import db
from app.models import Course, CourseDraft

bp = Blueprint("authoring", __name__, url_prefix="/studio")

EXPIRED_FORM = "Your form expired. Please reload the page and try again."


@bp.before_request
@role_required("trainer")
def trainers_only():
    """Every studio page is for trainers (and admins); others get 403, visitors the login."""
    return None


# --- helpers the studio's views share ---------------------------------------------------------


def course_or_404(slug: str) -> Course:
    """Any course by slug (drafts included), or 404."""
    course = services.find_course(db.session, slug)
    if course is None:
        abort(404, "There is no course with this address.")
    return course


def draft_or_404(course: Course) -> CourseDraft:
    """The course's draft, or 404 with what to do."""
    draft = services.find_draft(db.session, course)
    if draft is None:
        abort(404, "This course has no draft yet: start one from the course's studio page.")
    return draft


def course_and_draft(slug: str) -> tuple[Course, CourseDraft]:
    """The course and its draft, or 404."""
    course = course_or_404(slug)
    return course, draft_or_404(course)


def courses_dir() -> Path:
    """Where `flask courses import` reads courses from by default."""
    return Path(current_app.config["COURSES_DIR"])


def revision_of(form) -> int:
    """The revision a form sent back (0 when missing or junk: it will not match)."""
    value = form.revision.data or ""
    # ASCII digits only: "²" and "٣" are digits to str.isdigit() but not numbers to int()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0


def refusal_status(error: services.StudioError) -> int:
    """Roll the request back now and give the status that fits the refusal.

    The page is re-rendered after a refusal, and a refused flush (a lost revision race) leaves
    the session unusable until it is rolled back, so this cannot wait for the request's end.
    """
    transactions.discard()
    return error.status_code


def flashed_refusal(error: services.StudioError) -> int:
    """`refusal_status`, with the sentence flashed above the re-rendered page."""
    flash(str(error), "danger")
    return refusal_status(error)
