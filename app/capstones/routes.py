"""Capstone pages: the learner's brief and hand-in, the trainers' grading queue and scoring."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.decorators import role_required
from app.capstones import grading, submissions
from app.capstones.errors import CapstoneError, CapstoneNotFound
from app.capstones.forms import UPLOAD_LIMIT, ScoreForm, SubmissionForm, checked_files, scores_from
from app.clock import utcnow
from app.courses import services as course_services
from app.courses.markdown import render_markdown
from app.extensions import db

bp = Blueprint("capstones", __name__)


def _user():
    return current_user._get_current_object()


def _course_or_404(slug: str):
    course = course_services.find_course(db.session, slug)
    if course is None:
        abort(404, _("There is no course at this address."))
    return course


@bp.route("/courses/<slug>/capstone", methods=["GET", "POST"])
@login_required
def capstone(slug: str):
    """The brief and rubric, the learner's work and scores; POST previews or hands in."""
    course = _course_or_404(slug)
    request.max_content_length = UPLOAD_LIMIT
    form, preview, error = SubmissionForm(), None, None
    if form.validate_on_submit() and form.preview.data:
        preview = render_markdown(form.text.data or "")
    elif form.validate_on_submit():
        try:
            submissions.submit(db.session, _user(), course, form.text.data or "",
                               checked_files(form), utcnow())
        except CapstoneError as refusal:  # said above the form, which keeps the text
            error = refusal
        else:
            flash(_("Your work is handed in. A trainer will score it against the rubric."),
                  "success")
            return redirect(url_for(".capstone", slug=course.slug), 303)
    overview = submissions.overview(db.session, _user(), course)
    status = error.status_code if error else (400 if form.errors else 200)
    return render_template("capstones/capstone.html", overview=overview, form=form,
                           preview=preview, error=error, render=render_markdown), status


@bp.route("/capstone-files/<int:file_id>")
@login_required
def download(file_id: int):
    """A handed-in file, for its author and for the trainers who grade the course."""
    try:
        file = submissions.learner_file(db.session, _user(), file_id)
    except CapstoneNotFound:
        file = grading.grader_file(db.session, _user(), file_id)
    response = send_file(io.BytesIO(file.data), mimetype=file.content_type, as_attachment=True,
                         download_name=file.filename, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/studio/grading")
@role_required("trainer")
def queue():
    """Work waiting for a score, oldest first, with who is grading what."""
    state = request.args.get("state", "waiting")
    state = state if state in grading.QUEUE_STATES else "waiting"
    course_id = request.args.get("course", type=int)
    now, courses = utcnow(), grading.gradable_courses(db.session, _user())
    rows = grading.queue(db.session, _user(), now, state=state, course_id=course_id,
                         courses=courses)
    times = grading.grading_times(db.session, now) if _user().has_role("admin") else None
    return render_template("capstones/queue.html", rows=rows, state=state, course_id=course_id,
                           courses=courses, times=times)


@bp.route("/studio/grading/<int:submission_id>", methods=["GET", "POST"])
@role_required("trainer")
def score(submission_id: int):
    """The work beside the rubric; POST saves one level and a comment per criterion."""
    submission, spec = grading.submission_for_grader(db.session, _user(), submission_id)
    form, error = ScoreForm(), None
    if form.validate_on_submit():
        points, comments = scores_from(spec)
        try:
            grading.grade(db.session, _user(), submission.id, points, comments,
                          form.comment.data or "", utcnow())
        except CapstoneError as refusal:
            error = refusal
        else:
            flash(f"Scored: {submission.status}, {submission.total} of {submission.max_total} "
                  "points.", "success")
            return redirect(url_for(".queue"), 303)
    return render_template("capstones/score.html", submission=submission, spec=spec, form=form,
                           error=error, render=render_markdown, now=utcnow(),
                           claim_ttl=grading.CLAIM_TTL), \
        error.status_code if error else (400 if form.errors else 200)


@bp.route("/studio/grading/<int:submission_id>/claim", methods=["POST"])
@role_required("trainer")
def claim(submission_id: int):
    """Take the work to grade (or give it back with `release`)."""
    if request.form.get("release"):
        grading.release(db.session, _user(), submission_id)
    else:
        grading.claim(db.session, _user(), submission_id, utcnow())
    return redirect(url_for(".score", submission_id=submission_id), 303)
