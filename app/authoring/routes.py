"""The trainer's studio: courses, drafts, the outline, publishing and history.

The editor, images and archives are in :mod:`app.authoring.files_routes`, on the same
blueprint (:mod:`app.authoring.web`), which lets only a course's maintainers and admins reach
any of its routes. Views never commit: the request does, once, when it answers with success.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.authoring import forms, services
from app.authoring.folder import read_outline, title_of
from app.authoring.translating import DraftTranslations, is_translation
from app.authoring.preview import draft_link_resolver
from app.authoring.studio_diff import render_changes
from app.authoring.web import (
    EXPIRED_FORM, bp, course_and_draft, course_or_404, courses_dir, flashed_refusal,
    refusal_status, revision_of,
)
from app.clock import utcnow
from app.courses.services import link_resolver
from app.errors import refusals_return_to
from app.extensions import db
from app.models import Course, CourseDraft
from app.quizzes.forms import inline_html
from app.quizzes.item_stats import FLAG_LABELS, THRESHOLDS, course_item_statistics
from app.routing import page_number


# --- courses ----------------------------------------------------------------------------------


@bp.route("/")
def index():
    """The courses the user may edit (admins: all) with their status, and a way to create one."""
    return render_template("authoring/index.html",
                           rows=services.studio_courses(db.session, current_user))


@bp.route("/new", methods=["GET", "POST"])
def new_course():
    """Create a course: a draft that validates, ready to write."""
    form = forms.CourseCreateForm()
    if not form.validate_on_submit():
        return render_template("authoring/new.html", form=form), \
            400 if form.is_submitted() else 200
    try:
        draft = services.create_course(db.session, current_user, slug=form.slug.data,
                                       title=form.title.data, summary=form.summary.data or "",
                                       now=utcnow())
    except services.StudioError as error:
        form.slug.errors.append(str(error))
        return render_template("authoring/new.html", form=form), refusal_status(error)
    flash(_("Created %(title)s. It is a draft until you publish it.", title=draft.course.title),
          "success")
    return redirect(url_for(".course", slug=draft.course.slug))


@bp.route("/<slug>")
def course(slug: str):
    """The course in the studio: outline of the draft, its problems, versions."""
    return _render_course(course_or_404(slug))


def _render_course(course: Course, status: int = 200):
    """The course page (also re-rendered, with a 4xx, when an edit is refused)."""
    draft = services.find_draft(db.session, course)
    problems = services.validate_draft(draft) if draft else []
    versions = services.course_versions(db.session, course)
    maintainers = services.course_maintainers(db.session, course)
    return render_template(
        "authoring/course.html", course=course, draft=draft,
        row=services.StudioCourse(course, draft, len(versions),
                                  tuple(m.user.name for m in maintainers)),
        outline=read_outline(draft.files) if draft else None, problems=problems,
        translations=DraftTranslations(draft.files) if draft else None,
        problem_paths={p.path for p in problems}, versions=versions,
        authors=services.user_names(db.session, {v.created_by_id for v in versions}),
        maintainers=maintainers, may_assign=services.may_assign(current_user),
        maintainer_form=forms.MaintainerForm(formdata=None),
    ), status


@bp.route("/<slug>/draft", methods=["POST"])
def start_draft(slug: str):
    """Start a draft from the current version's files."""
    course = course_or_404(slug)
    if not forms.ActionForm().validate_on_submit():
        abort(400, EXPIRED_FORM)
    try:
        draft = services.start_draft(db.session, current_user, course, courses_dir())
    except services.StudioError as error:
        return _render_course(course, flashed_refusal(error))
    version = course.current_version
    if version is not None and draft.content_hash != version.content_hash:
        flash(_("The original files of version %(number)s were not stored, so the draft was "
                "rebuilt from its content: the text is the same, the formatting of settings and "
                "quizzes may differ.", number=version.number), "warning")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/draft/discard", methods=["POST"])
def discard_draft(slug: str):
    """Throw the draft away; the published version stays as it is."""
    course, draft = course_and_draft(slug)
    form = forms.RevisionForm()
    if not form.validate_on_submit():
        abort(400, EXPIRED_FORM)
    try:
        services.discard_draft(db.session, current_user, draft, revision_of(form))
    except services.StudioError as error:
        return _render_course(course, flashed_refusal(error))
    flash(_("The draft was discarded."), "success")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/maintainers", methods=["POST"])
@refusals_return_to(".course")
def add_maintainer(slug: str):
    """Make a trainer a maintainer of the course (admins only)."""
    course = course_or_404(slug)
    form = forms.MaintainerForm()
    if not form.validate_on_submit():
        abort(400, _("Give the email address of a trainer's account."))
    row = services.add_maintainer(db.session, current_user, course, form.email.data, utcnow())
    flash(_("%(name)s now maintains %(title)s.", name=row.user.name, title=course.title),
          "success")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/maintainers/remove", methods=["POST"])
@refusals_return_to(".course")
def remove_maintainer(slug: str):
    """Stop a trainer maintaining the course (admins only)."""
    course = course_or_404(slug)
    form = forms.MaintainerRemoveForm()
    if not form.validate_on_submit():
        abort(400, EXPIRED_FORM)
    user = services.remove_maintainer(db.session, current_user, course, form.email.data)
    flash(_("%(name)s no longer maintains %(title)s.", name=user.name, title=course.title),
          "success")
    return redirect(url_for(".course", slug=slug))


# --- structure --------------------------------------------------------------------------------


def _apply_edit(draft: CourseDraft, change) -> tuple[str | None, int]:
    """Run one edit: (message, 200), or (None, the 4xx that fits) with the sentence flashed."""
    try:
        return change(draft), 200
    except services.StudioError as error:  # OutlineError (400) and DuplicateSlug (409) too
        return None, flashed_refusal(error)


def _structure_edit(slug: str, form, change):
    """A structure edit posted from the course page: redirect back, or re-render with a 4xx."""
    course, draft = course_and_draft(slug)
    if not form.validate_on_submit():
        flash(" ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                       for name, errors in form.errors.items()), "danger")
        return _render_course(course, 400)
    message, status = _apply_edit(draft, change)
    if message is None:
        return _render_course(course, status)
    flash(message, "success")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/modules", methods=["POST"])
def add_module(slug: str):
    """Add a module at the end."""
    form = forms.ModuleAddForm()
    return _structure_edit(slug, form, lambda draft: _(
        "Added module %(path)s.", path=services.add_module(
            db.session, current_user, draft, form.title.data, form.slug.data)))


@bp.route("/<slug>/lessons", methods=["POST"])
def add_lesson(slug: str):
    """Add a lesson at the end of a module."""
    form = forms.LessonAddForm()
    return _structure_edit(slug, form, lambda draft: _(
        "Added lesson %(path)s.", path=services.add_lesson(
            db.session, current_user, draft, form.module.data, form.title.data, form.slug.data,
            form.minutes.data)))


@bp.route("/<slug>/quizzes", methods=["POST"])
def add_quiz(slug: str):
    """Add a module quiz, or the final exam."""
    form = forms.QuizAddForm()
    return _structure_edit(slug, form, lambda draft: _("Added %(path)s.", path=services.add_quiz(
        db.session, current_user, draft, form.module.data or None)))


@bp.route("/<slug>/move", methods=["POST"])
def move(slug: str):
    """Move a module or lesson one place up or down."""
    form = forms.MoveForm()

    def change(draft: CourseDraft) -> str:
        services.move(db.session, current_user, draft, form.path.data, int(form.step.data))
        return _("Moved.")
    return _structure_edit(slug, form, change)


@bp.route("/<slug>/translate", methods=["POST"])
def translate(slug: str):
    """Start translating a file from a copy of it, and open the copy in the editor."""
    course, draft = course_and_draft(slug)
    form = forms.TranslateForm()
    if not form.validate_on_submit():
        abort(400, EXPIRED_FORM)
    path, status = _apply_edit(draft, lambda d: services.start_translation(
        db.session, current_user, d, form.path.data, form.locale.data))
    if path is None:
        return _render_course(course, status)
    flash(_("Started %(path)s from a copy of its source: translate the text, and keep the "
            "settings, links and question ids as they are.", path=path), "success")
    return redirect(url_for(".edit_file", slug=slug, path=path), 303)


@bp.route("/<slug>/rename", methods=["GET", "POST"])
def rename(slug: str):
    """Rename a module or lesson; a new slug needs the trainer's confirmation."""
    course, draft = course_and_draft(slug)
    path = request.values.get("path", "")
    item = _outline_item(draft, path)
    if item["kind"] not in ("module", "lesson"):
        abort(404, _("Only modules and lessons have a slug to rename."))
    form = forms.RenameForm(data={"path": path, "title": item["title"], "slug": item["slug"]})
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        if form.slug.data != item["slug"] and not form.confirm_slug_change.data:
            form.confirm_slug_change.errors.append(_("Tick the box to change the slug."))
        else:
            message, status = _apply_edit(draft, lambda d: _(
                "Renamed to %(path)s.", path=services.rename(
                    db.session, current_user, d, path, form.title.data, form.slug.data)))
            if message is not None:
                flash(message, "success")
                return redirect(url_for(".course", slug=slug))
    return render_template("authoring/rename.html", course=course, item=item, form=form), status


@bp.route("/<slug>/remove", methods=["GET", "POST"])
def remove(slug: str):
    """Remove a module, lesson, quiz or the final exam, after confirmation."""
    course, draft = course_and_draft(slug)
    path = request.values.get("path", "")
    item = _outline_item(draft, path)
    form = forms.RemoveForm(data={"path": path})
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        message, status = _apply_edit(draft, lambda d: (
            services.remove(db.session, current_user, d, path),
            _("Removed %(path)s.", path=path))[1])
        if message is not None:
            flash(message, "success")
            return redirect(url_for(".course", slug=slug))
    return render_template("authoring/remove.html", course=course, item=item, form=form), status


def _outline_item(draft: CourseDraft, path: str) -> dict:
    """What a rename or remove page is about: a module folder, a lesson, a quiz, a
    translation; else 404."""
    if is_translation(path) and path in draft.files:
        return {"kind": "translation", "path": path, "title": title_of(draft.files[path], path),
                "slug": ""}
    outline = read_outline(draft.files)
    for module in outline.modules:
        if module.folder == path:
            return {"kind": "module", "path": path, "title": module.title, "slug": module.slug,
                    "lessons": len(module.lessons)}
        for lesson in module.lessons:
            if lesson.path == path:
                return {"kind": "lesson", "path": path, "title": lesson.title, "slug": lesson.slug}
        if module.quiz_path == path:
            return {"kind": "quiz", "path": path, "title": title_of(draft.files[path], "Quiz"),
                    "slug": ""}
    if path and path == outline.exam_path:
        return {"kind": "final exam", "path": path, "title": title_of(draft.files[path], ""),
                "slug": ""}
    abort(404, _("That module or lesson is not in the draft."))


# --- publishing and history -------------------------------------------------------------------


@bp.route("/<slug>/publish", methods=["GET", "POST"])
def publish(slug: str):
    """Review problems and the diff against the published version; publish when it passes."""
    course, draft = course_and_draft(slug)
    form = forms.RevisionForm()
    if not form.validate_on_submit():
        return _render_publish(course, draft, form, 400 if form.is_submitted() else 200)
    try:
        result = services.publish_draft(db.session, current_user, draft, revision_of(form))
    except services.StudioError as error:
        problems = error.problems if isinstance(error, services.DraftInvalid) else None
        return _render_publish(course, draft, form, flashed_refusal(error), problems)
    if result.status == "unchanged":
        flash(_("Nothing to publish: the draft is version %(number)s.",
                number=result.version.number), "info")
    else:
        flash(_("Published version %(number)s of %(title)s.", number=result.version.number,
                title=course.title), "success")
    return redirect(url_for(".course", slug=slug))


def _render_publish(course: Course, draft: CourseDraft, form, status: int,
                    problems: list[services.DraftProblem] | None = None):
    """The review page: the draft's problems, the changes against the published version."""
    form.revision.data = str(draft.revision)
    sources = services.published_sources(db.session, course, courses_dir())
    changes = services.draft_changes(db.session, draft, courses_dir())
    return render_template(
        "authoring/publish.html", course=course, draft=draft, form=form,
        problems=problems if problems is not None else services.validate_draft(draft),
        changes=changes, sources=sources,
        rendered=render_changes(changes, sources.files if sources else {}, draft.files,
                                _published_links(course), _draft_links(course)),
    ), status


def _published_links(course: Course):
    """Asset links of the published files, at a depth, pointed at the published assets."""
    version = course.current_version
    return lambda depth: link_resolver(course.slug, version.number, depth) if version else None


def _draft_links(course: Course):
    """Asset links of the draft's files, at a depth, pointed at the studio's draft assets."""
    assets_url = url_for(".draft_asset", slug=course.slug, path="_").rsplit("/", 1)[0]
    return lambda depth: draft_link_resolver(assets_url, depth)


@bp.route("/<slug>/history")
def history(slug: str):
    """Who changed which lesson or quiz, when, and who published which version."""
    course = course_or_404(slug)
    page = db.paginate(services.course_events(course), page=page_number(request.args), per_page=50,
                       error_out=False)
    return render_template("authoring/history.html", course=course, page=page)



@bp.route("/courses/<slug>/quiz-stats")
def quiz_stats(slug: str):
    """How each question of the course's quizzes performs: choices, difficulty, discrimination."""
    course = course_or_404(slug)
    return render_template("authoring/quiz_stats.html", course=course,
                           quizzes=course_item_statistics(db.session, course),
                           markdown=inline_html, thresholds=THRESHOLDS, flag_labels=FLAG_LABELS)
