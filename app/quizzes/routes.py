"""Quiz pages: overview and start, the attempt, submission, the result and trainer statistics."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import transactions
from app.auth.decorators import role_required
from app.clock import utcnow
from app.courses import earned
from app.courses import services as course_services
from app.courses.language_web import shown_quiz_title, shown_snapshot
from app.extensions import db
from app.models import Course, QuizAttempt
from app.models.quizzes import FINAL_EXAM_KEY
from app.quizzes import item_stats, services
from app.quizzes.forms import (
    all_questions, answers_from_form, feedback_views, inline_html, question_views,
)
from app.quizzes.grading import public_view

bp = Blueprint("quizzes", __name__)


def _learner():
    """The signed-in user as a plain model object for the services."""
    return current_user._get_current_object()


def _course_or_404(slug: str) -> Course:
    course = course_services.find_course(db.session, slug)
    if course is None:
        abort(404, _("There is no course at this address."))
    return course


def _attempt_or_404(attempt_id: int) -> QuizAttempt:
    """The learner's attempt; anyone else's is QuizNotFound, the refusal handler's 404."""
    return services.find_attempt(db.session, _learner(), attempt_id)


@bp.route("/courses/<slug>/quiz/<quiz_key>", methods=["GET", "POST"])
@login_required
def start(slug: str, quiz_key: str):
    """The quiz's rules and history; POST starts (or resumes) an attempt."""
    course = _course_or_404(slug)
    error = None
    if request.method == "POST":
        try:
            attempt = services.start_attempt(db.session, _learner(), course, quiz_key, utcnow())
        except services.QuizError as refusal:  # said on the overview, with its 4xx
            error = refusal
        else:
            return redirect(url_for(".attempt", attempt_id=attempt.id), 303)
    # an unknown quiz is QuizNotFound: the refusal handler's 404
    overview = services.quiz_overview(db.session, _learner(), course, quiz_key, utcnow())
    title, locale = shown_quiz_title(overview.quiz.version, quiz_key, overview.quiz.spec.title)
    return render_template("quizzes/overview.html", course=course, overview=overview,
                           error=error, final_exam_key=FINAL_EXAM_KEY, title=title,
                           content_locale=locale,
                           grace_seconds=int(services.GRACE.total_seconds())), \
        error.status_code if error else 200


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """The questions of an open attempt, without any part of the key."""
    attempt = _attempt_or_404(attempt_id)
    services.close_if_expired(db.session, attempt, utcnow())
    if attempt.status != services.OPEN:
        return redirect(url_for(".result", attempt_id=attempt.id), 303)
    return _render_attempt(attempt, attempt.answers or {})


def _render_attempt(attempt: QuizAttempt, answers: dict, errors: list[str] | None = None,
                    status: int = 200):
    shown, locale = shown_snapshot(attempt)
    public = public_view(shown)
    sections = question_views(public, answers, _link_resolver(attempt))
    return render_template(
        "quizzes/attempt.html", attempt=attempt, quiz=public, sections=sections,
        content_locale=locale,
        questions=all_questions(sections), now=utcnow(),
        errors=errors or [], grace_seconds=int(services.GRACE.total_seconds()),
    ), status


def _link_resolver(attempt: QuizAttempt):
    """Relative links in quiz Markdown point at the assets of the attempt's course version."""
    depth = course_services.COURSE_DEPTH if attempt.quiz_key == FINAL_EXAM_KEY \
        else course_services.MODULE_DEPTH
    return course_services.link_resolver(attempt.course.slug, attempt.version.number, depth)


def _posted_answers(attempt: QuizAttempt) -> dict:
    """The answers in the posted form, by option id; InvalidAnswers for unknown positions."""
    answers, errors = answers_from_form(public_view(attempt.snapshot), request.form)
    if errors:
        raise services.InvalidAnswers(errors)
    return answers


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def save(attempt_id: int):
    """Keep the answers so far; the learner stays on the attempt. The page's autosave asks
    for JSON and gets it (see `_autosave`)."""
    if _wants_json():
        return _autosave(attempt_id)
    attempt = _attempt_or_404(attempt_id)
    try:
        services.save_answers(db.session, _learner(), attempt_id, _posted_answers(attempt),
                              utcnow())
    except services.InvalidAnswers as error:  # the questions again, the sentences on them
        return _render_attempt(attempt, attempt.answers or {}, error.sentences, 400)
    except services.AttemptClosed as error:
        return _closed(attempt, error)
    if attempt.status != services.OPEN:  # the time ran out: the result page says how it was graded
        return redirect(url_for(".result", attempt_id=attempt.id), 303)
    flash(_("Your answers are saved. You can come back to this attempt later."), "success")
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


def _wants_json() -> bool:
    """True when the request prefers JSON to a page (the attempt page's script)."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) \
        == "application/json"


def _autosave(attempt_id: int):
    """Save for the script: 200 with the moment saved, 400 for answers that are no answers,
    404 for an attempt that is not the learner's, 409 once the attempt is closed."""
    now = utcnow()
    try:
        attempt = _attempt_or_404(attempt_id)
        services.save_answers(db.session, _learner(), attempt_id, _posted_answers(attempt), now)
    except services.QuizError as refusal:
        return _json_refusal(refusal, attempt_id)
    if attempt.status != services.OPEN:
        transactions.keep()  # the time had run out: the grading with the saved answers stands
        return _json_refusal(services.AttemptClosed(services.closed_sentence(attempt)),
                             attempt_id)
    return jsonify(saved_at=now.isoformat(timespec="seconds"),
                   answered=len(attempt.answers or {})), 200


def _json_refusal(refusal: services.QuizError, attempt_id: int):
    """A refusal in the shape of the API's JSON errors, with what the script needs."""
    extra = {}
    if isinstance(refusal, services.InvalidAnswers):
        extra["sentences"] = refusal.sentences
    if isinstance(refusal, services.AttemptClosed):
        extra["result_url"] = url_for(".result", attempt_id=attempt_id)
    status = refusal.status_code
    return jsonify(error={"status": status, "message": str(refusal), **extra}), status


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    """Grade the attempt once; the same submission again shows the same result."""
    attempt = _attempt_or_404(attempt_id)
    try:
        outcome = services.submit_attempt(db.session, _learner(), attempt_id,
                                          _posted_answers(attempt), utcnow())
    except services.InvalidAnswers as error:
        return _render_attempt(attempt, attempt.answers or {}, error.sentences, 400)
    except services.AttemptClosed as error:
        return _closed(attempt, error)
    if outcome.certificate is not None:
        flash(_("You have met the certification rule: your certificate is ready."), "success")
    return redirect(url_for(".result", attempt_id=attempt_id), 303)


def _closed(attempt: QuizAttempt, error: services.QuizError):
    """409: the attempt is graded already; link to its result."""
    return render_template("quizzes/closed.html", attempt=attempt, message=str(error)), 409


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    """Score, pass or fail, feedback as the quiz allows, and what comes next."""
    attempt = _attempt_or_404(attempt_id)
    now = utcnow()
    services.close_if_expired(db.session, attempt, now)
    if attempt.status == services.OPEN:
        return redirect(url_for(".attempt", attempt_id=attempt.id), 303)
    try:
        overview = services.quiz_overview(db.session, _learner(), attempt.course,
                                          attempt.quiz_key, now)
    except services.QuizNotFound:
        overview = None  # the quiz left the course in a later version; the result still stands
    feedback = services.feedback_allowed(attempt)
    shown, locale = shown_snapshot(attempt)
    sections = feedback_views(shown, attempt.result or {}, _link_resolver(attempt)) \
        if feedback else []
    return render_template("quizzes/result.html", attempt=attempt, overview=overview,
                           shown=shown, content_locale=locale,
                           feedback=feedback, sections=sections, final_exam_key=FINAL_EXAM_KEY,
                           earning=earned.final_exam_earning(db.session, attempt, now))


@bp.route("/courses/<slug>/quiz/<quiz_key>/stats")
@role_required("trainer")
def stats(slug: str, quiz_key: str):
    """Attempts and pass rate; per question its choices, difficulty and discrimination."""
    course = _course_or_404(slug)
    statistics = services.quiz_statistics(db.session, course, quiz_key)  # or QuizNotFound: 404
    return render_template("quizzes/stats.html", course=course, stats=statistics,
                           items=item_stats.quiz_item_statistics(db.session, course, quiz_key),
                           markdown=inline_html, thresholds=item_stats.THRESHOLDS,
                           flag_labels=item_stats.FLAG_LABELS, final_exam_key=FINAL_EXAM_KEY)
