"""The studio's blueprint and what its views share: who may open a course, loading a course or
draft, the revision a form sent back, and how a refusal is answered. Views live in `routes` and
`files_routes`.

Access is checked here, once, for every view: the studio is for trainers and admins, and every
route of a course (any URL with a `slug`) only for the course's maintainers and admins.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import transactions
from app.auth.decorators import role_required
from app.authoring import services
from app.extensions import db
from app.routing import bounded_int
from app.models import Course, CourseDraft

bp = Blueprint("authoring", __name__, url_prefix="/studio")

EXPIRED_FORM = _l("Your form expired. Please reload the page and try again.")
NOT_A_MAINTAINER = _l("Only the course's maintainers and administrators can open it in the "
                      "studio. Ask an administrator to add you as a maintainer.")


@bp.before_request
@role_required("trainer")
def trainers_only():
    """Every studio page is for trainers (and admins); others get 403, visitors the login."""
    return None


@bp.before_request
def maintainers_only():
    """Every route of a course is for its maintainers (and admins); other trainers get 403."""
    slug = (request.view_args or {}).get("slug")
    if slug is not None:
        course_or_404(slug)


# --- helpers the studio's views share ---------------------------------------------------------


def course_or_404(slug: str) -> Course:
    """The course by slug (drafts included) when the user may edit it; else 404, or 403."""
    course = g.get("studio_course")
    if course is not None and course.slug == slug:
        return course
    course = services.find_course(db.session, slug)
    if course is None:
        abort(404, _l("There is no course with this address."))
    if not services.may_edit(db.session, current_user, course):
        abort(403, NOT_A_MAINTAINER)
    g.studio_course = course
    return course


def draft_or_404(course: Course) -> CourseDraft:
    """The course's draft, or 404 with what to do."""
    draft = services.find_draft(db.session, course)
    if draft is None:
        abort(404, _l("This course has no draft yet: start one from the course's studio page."))
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
    return bounded_int({"revision": form.revision.data or ""}, "revision", 0) or 0


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
