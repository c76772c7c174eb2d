"""Learner pages: catalogue, course page, enrolment, lessons, progress, dashboard and assets."""
from __future__ import annotations

from flask import (
    Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.clock import utcnow
from app.courses import earned, services, translations
from app.courses.assets import ASSET_CSP, served_content_type
from app.courses.errors import LanguageNotOffered
from app.courses.forms import ContentLanguageForm, EnrollForm, LessonCompleteForm
from app.courses.language_web import (CONTENT_LANGUAGE_COOKIE, content_locale, shown_course_title,
                                      shown_lesson_title, shown_module_title, shown_names)
from app.extensions import db
from app.models import Course
from app.routing import bounded_int, local_path

bp = Blueprint("courses", __name__)
# pages of every area that name a course or module show it in the learner's content language
bp.add_app_template_global(shown_course_title)
bp.add_app_template_global(shown_module_title)
bp.add_app_template_global(shown_lesson_title)

#: types a browser may show inline; anything else is served as a download
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml",
                          "text/plain", "text/csv"})
ACTIVE_TYPE_MARKERS = ("html", "javascript", "ecmascript", "text/xml", "application/xml", "+xml")
VERSIONED_CACHE = "public, max-age=31536000, immutable"
#: how long a visitor's choice of content language is remembered (seconds: a year)
CONTENT_LANGUAGE_KEPT = 365 * 24 * 3600
CURRENT_CACHE = "public, max-age=300"


def _course_or_404(slug: str) -> Course:
    """A published course, or 404."""
    course = services.find_course(db.session, slug)
    if course is None:
        abort(404, _("There is no course at this address."))
    return course


def quiz_url(course_slug: str, quiz_key: str) -> str:
    """The page of a module quiz or the final exam."""
    return url_for("quizzes.start", slug=course_slug, quiz_key=quiz_key)


@bp.route("/courses")
def catalogue():
    """Every published course, with the learner's progress where enrolled."""
    courses = services.published_courses(db.session)
    outlines = services.version_outlines(
        db.session, [services.version_key(c.current_version) for c in courses])
    progress = {}
    if current_user.is_authenticated:
        progress = {row.course.id: row.progress
                    for row in services.dashboard_rows(db.session, current_user)}
    return render_template("courses/catalogue.html", courses=courses, outlines=outlines,
                           progress=progress,
                           names=shown_names(c.current_version for c in courses))


@bp.route("/courses/<slug>")
def course_page(slug: str):
    """Description, outline and where the learner stands."""
    course = _course_or_404(slug)
    user = current_user if current_user.is_authenticated else None
    locale, offered = content_locale(course.current_version)
    progress = services.course_progress(db.session, user, course, locale)
    capstone = services.capstone_status(db.session, user.id, course.id) if user else None
    now = utcnow()
    certified = earned.certified(db.session, user.id, course.id, now) if user else None
    return render_template("courses/course.html", course=course, version=course.current_version,
                           progress=progress, form=EnrollForm(), capstone_status=capstone,
                           certified=certified, now=now, languages=translations.language_options(offered),
                           content=translations.course_text(db.session, course.current_version,
                                                            locale))


@bp.route("/courses/<slug>/content-language", methods=["POST"])
def content_language(slug: str):
    """Read the course in another of its languages: kept on the account, and in a cookie for
    visitors; back to the page the chooser was on."""
    course = _course_or_404(slug)
    if not ContentLanguageForm().validate_on_submit():
        abort(400, _("Your form expired. Please reload the page and try again."))
    locale = request.form.get("locale", "")
    offered = translations.version_locales(db.session, course.current_version)
    if locale not in offered:
        raise LanguageNotOffered(_("This course is not offered in that language."))
    if current_user.is_authenticated:
        translations.set_content_locale(db.session, current_user, locale, offered)
    back = local_path(request.form.get("next")) or url_for("courses.course_page", slug=slug)
    response = redirect(back, 303)
    response.set_cookie(CONTENT_LANGUAGE_COOKIE, locale, max_age=CONTENT_LANGUAGE_KEPT,
                        httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@login_required
def enroll(slug: str):
    """Enrol the current user, then open the course page."""
    course = _course_or_404(slug)
    if EnrollForm().validate_on_submit():
        services.enroll(db.session, current_user, course, utcnow())
        title = shown_names([course.current_version])[course.current_version.id].title
        flash(_("You are enrolled in %(course)s.", course=title), "success")
    return redirect(url_for("courses.course_page", slug=course.slug))


@bp.route("/courses/<slug>/<module_slug>/<lesson_slug>")
@login_required
def lesson(slug: str, module_slug: str, lesson_slug: str):
    """A lesson: body, module outline with ticks, previous/next and "mark as complete"."""
    course = _course_or_404(slug)
    found = services.find_lesson(db.session, course, module_slug, lesson_slug)
    if found is None:
        abort(404, _("This lesson is not part of the course."))
    locale, offered = content_locale(course.current_version)
    progress = services.course_progress(db.session, current_user, course, locale)
    denied = _lesson_denied(course, progress, module_slug)
    if denied is not None:
        return denied
    page = render_template("courses/lesson.html", course=course, progress=progress,
                           lesson=translations.lesson_page(db.session, found, locale),
                           module=progress.module(module_slug), languages=translations.language_options(offered),
                           content=shown_names([course.current_version])[
                               course.current_version.id],
                           neighbours=_neighbours(progress, found), form=LessonCompleteForm())
    # Recorded after rendering: the page shows where the learner stood before this visit.
    services.record_lesson_view(db.session, current_user, course, module_slug, lesson_slug,
                                utcnow())
    return page


def _lesson_denied(course: Course, progress: services.CourseProgress, module_slug: str):
    """The 403 page when the learner is not enrolled or the module is locked, else None."""
    if not progress.enrolled:
        return render_template("courses/denied.html", course=course, reason="not-enrolled",
                               form=EnrollForm()), 403
    module = progress.module(module_slug)
    if module is not None and not module.state.unlocked:
        return render_template("courses/denied.html", course=course, reason="locked",
                               message=module.state.reason, progress=progress), 403
    return None


def _neighbours(progress: services.CourseProgress, current) -> tuple:
    """The lessons before and after `current` in the whole course's order."""
    order = [status.lesson for module in progress.modules for status in module.lessons]
    index = next(i for i, ref in enumerate(order)
                 if ref.key == (current.module_slug, current.slug))
    previous = order[index - 1] if index > 0 else None
    following = order[index + 1] if index + 1 < len(order) else None
    return previous, following


@bp.route("/courses/<slug>/<module_slug>/<lesson_slug>/complete", methods=["POST"])
@login_required
def complete_lesson(slug: str, module_slug: str, lesson_slug: str):
    """Mark the lesson complete and move on: the module quiz, the next lesson or the course."""
    course = _course_or_404(slug)
    if not LessonCompleteForm().validate_on_submit():
        abort(400, _("Your form expired. Please reload the lesson and try again."))
    # not found (404), not enrolled or locked (403): the refusal handler's error page
    services.complete_lesson(db.session, current_user, course, module_slug, lesson_slug, utcnow())
    return redirect(_after_completion(course, module_slug))


def _after_completion(course: Course, module_slug: str) -> str:
    """Where the learner goes after completing a lesson of `module_slug`."""
    progress = services.course_progress(db.session, current_user, course)
    module = progress.module(module_slug)
    if module and module.completed == module.total and module.module.has_quiz \
            and not module.quiz_passed:
        title = shown_module_title(course.current_version, module_slug, module.module.title)
        flash(_("You have completed the lessons of %(module)s. Take its quiz next.",
                module=_("Module %(number)d: %(title)s", number=module.module.number,
                         title=title)), "success")
        return quiz_url(course.slug, module_slug)
    following = progress.next_lesson
    if following is not None:
        return url_for("courses.lesson", slug=course.slug, module_slug=following.module_slug,
                       lesson_slug=following.slug)
    if progress.is_complete:
        flash(_("You have completed every lesson of this course."), "success")
    return url_for("courses.course_page", slug=course.slug)


@bp.route("/courses/<slug>/assets/<path:path>")
def asset(slug: str, path: str):
    """A course image or file, from the database; `?v=N` pins a version and caches for good."""
    course = _course_or_404(slug)
    version = bounded_int(request.args, "v")
    if "v" in request.args and version is None:
        abort(404)
    found = services.find_asset(db.session, course, path, version)
    if found is None:
        abort(404, _("This file is not part of the course."))
    response = Response(found.data, content_type=served_content_type(_served_type(
        found.content_type)))
    response.set_etag(found.sha256)
    response.headers["Cache-Control"] = VERSIONED_CACHE if version else CURRENT_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ASSET_CSP
    if found.content_type not in INLINE_TYPES:
        filename = path.rsplit("/", 1)[-1]
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response.make_conditional(request)


def _served_type(content_type: str) -> str:
    """Never serve a course file as a document of our origin (HTML, XML, script); SVG is fenced
    by `ASSET_CSP`."""
    if content_type == "image/svg+xml":
        return content_type
    if any(marker in content_type for marker in ACTIVE_TYPE_MARKERS):
        return "application/octet-stream"
    return content_type


@bp.route("/dashboard/learning")
@login_required
def dashboard():
    """The learner's enrolled courses with progress and what to do next."""
    rows = services.dashboard_rows(db.session, current_user)
    certificates = earned.live_certificates(db.session, current_user.id,
                                            [row.course.id for row in rows])
    return render_template("courses/dashboard.html", rows=rows, certificates=certificates,
                           now=utcnow(), names=shown_names(row.version for row in rows))
