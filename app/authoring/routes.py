"""The trainer's studio: courses, drafts, the editors, images, archives, publishing, history."""
from __future__ import annotations

import re
from pathlib import Path

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
    url_for,
)
from flask_login import current_user

from app.auth.decorators import role_required
from app.authoring import forms, services
from app.authoring.archive import ArchiveLimits, ArchiveRejected, write_zip
from app.authoring.folder import (
    DuplicateSlug, OutlineError, file_kind, folder_contents, read_outline, title_of,
)
from app.authoring.gift import GiftConversion, convert_gift
from app.authoring.images import DEFAULT_MAX_IMAGE_BYTES, ImageRejected
from app.authoring.preview import QUIZ_KINDS, depth_of, draft_link_resolver, preview_file
from app.authoring.sources import unified_diff
from app.extensions import db
from app.models import Course, CourseDraft, DraftAsset

bp = Blueprint("authoring", __name__, url_prefix="/studio")

#: an asset opened on its own (an SVG) can run nothing and load nothing
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
MAX_GIFT_BYTES = 2 * 1024 * 1024
_QUESTION_ID_RE = re.compile(r"\{#([a-z0-9-]+)\}")


@bp.before_request
@role_required("trainer")
def trainers_only():
    """Every studio page is for trainers (and admins); others get 403, visitors the login."""
    return None


# --- helpers ----------------------------------------------------------------------------------


def _course_or_404(slug: str) -> Course:
    """Any course by slug (drafts included), or 404."""
    course = services.find_course(db.session, slug)
    if course is None:
        abort(404, "There is no course with this address.")
    return course


def _draft_or_404(course: Course) -> CourseDraft:
    """The course's draft, or 404 with what to do."""
    draft = services.find_draft(db.session, course)
    if draft is None:
        abort(404, "This course has no draft yet: start one from the course's studio page.")
    return draft


def _courses_dir() -> Path:
    """Where `flask courses import` reads courses from by default."""
    return Path(current_app.config["COURSES_DIR"])


def _links(course: Course, kind: str):
    """The link resolver that points a draft file's asset links at the studio's asset URL."""
    sample = url_for("authoring.draft_asset", slug=course.slug, path="_")
    return draft_link_resolver(sample.rsplit("/", 1)[0], depth_of(kind))


def _int(value: str | None) -> int:
    """A revision number from a form (0 when missing or junk: it will not match)."""
    return int(value) if value and value.isdigit() else 0


def _failed(error: Exception, status: int):
    """Roll back, flash the sentence and say the status (the caller renders the page)."""
    db.session.rollback()
    flash(str(error), "danger")
    return status


# --- courses ----------------------------------------------------------------------------------


@bp.route("/")
def index():
    """Every course with its versions and status, and a way to create one."""
    return render_template("authoring/index.html", rows=services.studio_courses(db.session))


@bp.route("/new", methods=["GET", "POST"])
def new_course():
    """Create a course: a draft that validates, ready to write."""
    form = forms.CourseCreateForm()
    status = 200
    if form.validate_on_submit():
        try:
            draft = services.create_course(db.session, current_user, slug=form.slug.data,
                                           title=form.title.data, summary=form.summary.data or "")
            db.session.commit()
            flash(f"Created {draft.course.title}. It is a draft until you publish it.", "success")
            return redirect(url_for(".course", slug=draft.course.slug))
        except services.StudioError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
            status = error.status
    elif form.is_submitted():
        status = 400
    return render_template("authoring/new.html", form=form), status


@bp.route("/<slug>")
def course(slug: str):
    """The course in the studio: outline of the draft, its problems, versions."""
    return _render_course(_course_or_404(slug))


def _render_course(course: Course, status: int = 200):
    """The course page (also re-rendered, with a 4xx, when an edit is refused)."""
    draft = services.find_draft(db.session, course)
    problems = services.validate_draft(draft) if draft else []
    versions = services.course_versions(db.session, course)
    return render_template(
        "authoring/course.html", course=course, draft=draft,
        row=services.StudioCourse(course, draft, len(versions)),
        outline=read_outline(draft.files) if draft else None, problems=problems,
        problem_paths={p.path for p in problems}, versions=versions,
        authors=services.user_names(db.session, {v.created_by_id for v in versions}),
    ), status


@bp.route("/<slug>/draft", methods=["POST"])
def start_draft(slug: str):
    """Start a draft from the current version's files."""
    course = _course_or_404(slug)
    if not forms.ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please reload the page and try again.")
    try:
        draft = services.start_draft(db.session, current_user, course, _courses_dir())
        db.session.commit()
    except services.StudioError as error:
        return _render_course(course, _failed(error, error.status))
    version = course.current_version
    if version is not None and draft.content_hash != version.content_hash:
        flash(f"The original files of version {version.number} were not stored, so the draft was "
              "rebuilt from its content: the text is the same, the formatting of settings and "
              "quizzes may differ.", "warning")
    return redirect(url_for(".course", slug=slug))


@bp.route("/<slug>/draft/discard", methods=["POST"])
def discard_draft(slug: str):
    """Throw the draft away; the published version stays as it is."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    form = forms.RevisionForm()
    if not form.validate_on_submit():
        abort(400, "Your form expired. Please reload the page and try again.")
    try:
        services.discard_draft(db.session, current_user, draft, _int(form.revision.data))
        db.session.commit()
    except services.StudioError as error:
        return _render_course(course, _failed(error, error.status))
    flash("The draft was discarded.", "success")
    return redirect(url_for(".course", slug=slug))


# --- structure --------------------------------------------------------------------------------


def _apply_edit(draft: CourseDraft, change) -> tuple[str | None, int]:
    """Run one edit and commit: (message, 200), or (None, the 4xx that fits) rolled back."""
    try:
        message = change(draft)
        db.session.commit()
    except DuplicateSlug as error:
        return None, _failed(error, 409)
    except OutlineError as error:
        return None, _failed(error, 400)
    except services.StudioError as error:
        return None, _failed(error, error.status)
    return message, 200


def _structure_edit(slug: str, form, change):
    """A structure edit posted from the course page: redirect back, or re-render with a 4xx."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    if not form.validate_on_submit():
        flash(" ".join(f"{form[name].label.text}: {' '.join(errors)}"
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
    return _structure_edit(slug, form, lambda draft: "Added module " + services.add_module(
        db.session, current_user, draft, form.title.data, form.slug.data) + ".")


@bp.route("/<slug>/lessons", methods=["POST"])
def add_lesson(slug: str):
    """Add a lesson at the end of a module."""
    form = forms.LessonAddForm()
    return _structure_edit(slug, form, lambda draft: "Added lesson " + services.add_lesson(
        db.session, current_user, draft, form.module.data, form.title.data, form.slug.data,
        form.minutes.data) + ".")


@bp.route("/<slug>/quizzes", methods=["POST"])
def add_quiz(slug: str):
    """Add a module quiz, or the final exam."""
    form = forms.QuizAddForm()
    return _structure_edit(slug, form, lambda draft: "Added " + services.add_quiz(
        db.session, current_user, draft, form.module.data or None) + ".")


@bp.route("/<slug>/move", methods=["POST"])
def move(slug: str):
    """Move a module or lesson one place up or down."""
    form = forms.MoveForm()

    def change(draft: CourseDraft) -> str:
        services.move(db.session, current_user, draft, form.path.data, int(form.step.data))
        return "Moved."
    return _structure_edit(slug, form, change)


@bp.route("/<slug>/rename", methods=["GET", "POST"])
def rename(slug: str):
    """Rename a module or lesson; a new slug needs the trainer's confirmation."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    path = request.values.get("path", "")
    item = _outline_item(draft, path)
    if item["kind"] not in ("module", "lesson"):
        abort(404, "Only modules and lessons have a slug to rename.")
    form = forms.RenameForm(data={"path": path, "title": item["title"], "slug": item["slug"]})
    status = 200
    if form.validate_on_submit():
        if form.slug.data != item["slug"] and not form.confirm_slug_change.data:
            form.confirm_slug_change.errors.append("Tick the box to change the slug.")
            status = 400
        else:
            message, status = _apply_edit(draft, lambda d: "Renamed to " + services.rename(
                db.session, current_user, d, path, form.title.data, form.slug.data) + ".")
            if message is not None:
                flash(message, "success")
                return redirect(url_for(".course", slug=slug))
    elif form.is_submitted():
        status = 400
    return render_template("authoring/rename.html", course=course, item=item, form=form), status


@bp.route("/<slug>/remove", methods=["GET", "POST"])
def remove(slug: str):
    """Remove a module, lesson, quiz or the final exam, after confirmation."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    path = request.values.get("path", "")
    item = _outline_item(draft, path)
    form = forms.RemoveForm(data={"path": path})
    status = 200
    if form.validate_on_submit():
        message, status = _apply_edit(draft, lambda d: (
            services.remove(db.session, current_user, d, path), f"Removed {path}.")[1])
        if message is not None:
            flash(message, "success")
            return redirect(url_for(".course", slug=slug))
    elif form.is_submitted():
        status = 400
    return render_template("authoring/remove.html", course=course, item=item, form=form), status


def _outline_item(draft: CourseDraft, path: str) -> dict:
    """What a rename or remove page is about: a module folder, a lesson, a quiz; else 404."""
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
    abort(404, "That module or lesson is not in the draft.")


# --- editing files ----------------------------------------------------------------------------


@bp.route("/<slug>/edit/<path:path>", methods=["GET", "POST"])
def edit_file(slug: str, path: str):
    """Edit one Markdown file of the draft, with its problems and a live preview."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    if request.method == "GET" and path not in draft.files:
        abort(404, "This file is not in the draft.")
    kind = file_kind(draft.files, path)
    form = (forms.QuizEditForm if kind in QUIZ_KINDS else forms.FileEditForm)()
    if request.method == "GET":
        form.text.data = draft.files[path]
        form.revision.data = str(services.file_revision(draft, path))
    if not form.validate_on_submit():
        return _render_editor(course, draft, path, kind, form, 400 if form.is_submitted() else 200)
    if kind in QUIZ_KINDS and request.form.get("action") == "import-gift":
        return _import_gift(course, draft, path, kind, form)
    try:
        changed = services.save_file(db.session, current_user, draft, path, form.text.data,
                                     _int(form.revision.data))
        db.session.commit()
    except services.DraftConflict as error:
        db.session.rollback()
        return _render_editor(course, draft, path, kind, form, 409, conflict=str(error))
    except services.StudioError as error:
        return _render_editor(course, draft, path, kind, form, _failed(error, error.status))
    flash("Saved to the draft." if changed else "No changes to save.", "success")
    return redirect(url_for(".edit_file", slug=slug, path=path))


def _render_editor(course: Course, draft: CourseDraft, path: str, kind: str, form, status: int,
                   conflict: str | None = None, gift: GiftConversion | None = None):
    """The editor page: text, problems beside their lines, preview, and any conflict."""
    saved = draft.files.get(path)
    text = services.normalise_text(form.text.data or "")
    preview = preview_file(kind, path, text, _links(course, kind))
    problems = list(preview.problems)
    if saved is not None and text == saved:
        problems = [p for p in services.validate_draft(draft) if p.path == path]
    conflict_diff = unified_diff(saved or "", text, path) if conflict else ()
    if conflict and saved is not None:
        form.revision.data = str(services.file_revision(draft, path))
    return render_template(
        "authoring/edit.html", course=course, draft=draft, path=path, kind=kind, form=form,
        text=text, title=title_of(text, path), preview=preview, problems=problems,
        conflict=conflict,
        conflict_diff=conflict_diff, gift=gift, is_quiz=kind in QUIZ_KINDS,
    ), status


def _import_gift(course: Course, draft: CourseDraft, path: str, kind: str, form):
    """Convert an uploaded GIFT file into the quiz text (not saved until the trainer saves)."""
    upload = form.gift.data
    if not upload or not getattr(upload, "filename", ""):
        form.gift.errors.append("Choose a GIFT file to convert.")
        return _render_editor(course, draft, path, kind, form, 400)
    raw = upload.read(MAX_GIFT_BYTES + 1)
    if len(raw) > MAX_GIFT_BYTES:
        form.gift.errors.append(f"The file is larger than {MAX_GIFT_BYTES // 1024 // 1024} MB.")
        return _render_editor(course, draft, path, kind, form, 413)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        form.gift.errors.append("The file is not UTF-8 text: save it as UTF-8 and try again.")
        return _render_editor(course, draft, path, kind, form, 400)
    current = services.normalise_text(form.text.data or "")
    append = form.mode.data != "replace"
    taken = set(_QUESTION_ID_RE.findall(current)) if append else set()
    conversion = convert_gift(source, title=title_of(current, "Imported questions"),
                              existing_ids=taken)
    if not conversion.converted or (conversion.errors and not form.skip_unsupported.data):
        return _render_editor(course, draft, path, kind, form, 422, gift=conversion)
    form.text.data = (current.rstrip("\n") + "\n\n" + conversion.questions_markdown) if append \
        else conversion.markdown
    return _render_editor(course, draft, path, kind, form, 200, gift=conversion)


@bp.route("/<slug>/preview/<path:path>", methods=["POST"])
def preview(slug: str, path: str):
    """The live preview and quick checks of the text being edited (JSON for the editor)."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    if path not in draft.files:
        abort(404, "This file is not in the draft.")
    text = request.form.get("text", "")
    if len(text) > services.MAX_FILE_CHARS:
        abort(413, "The text is too long to preview.")
    kind = file_kind(draft.files, path)
    result = preview_file(kind, path, services.normalise_text(text), _links(course, kind))
    html = render_template("authoring/_preview.html", preview=result, course=course)
    return jsonify(html=html, **result.as_json())


# --- images and archives ----------------------------------------------------------------------


@bp.route("/<slug>/images", methods=["GET", "POST"])
def images(slug: str):
    """The draft's assets; upload an image (checked by its bytes) or remove one."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    form = forms.ImageUploadForm()
    status = 200
    if form.validate_on_submit():
        upload = form.image.data
        limit = current_app.config.get("STUDIO_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)
        try:
            asset = services.upload_image(db.session, current_user, draft, upload.filename or "",
                                          upload.read(limit + 1), replace=form.replace.data,
                                          max_bytes=limit)
            db.session.commit()
            flash(f"Uploaded assets/{asset.path}. Use it as ![description](../assets/{asset.path}) "
                  "in a lesson.", "success")
            return redirect(url_for(".images", slug=slug))
        except ImageRejected as error:
            db.session.rollback()
            form.image.errors.append(str(error))
            status = error.status
        except services.StudioError as error:
            db.session.rollback()
            form.image.errors.append(str(error))
            status = error.status
    elif form.is_submitted():
        status = 400
    return render_template("authoring/images.html", course=course, draft=draft, form=form,
                           image_types=_IMAGE_TYPES), status


@bp.route("/<slug>/images/remove", methods=["POST"])
def remove_image(slug: str):
    """Remove an asset from the draft."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    form = forms.AssetRemoveForm()
    if not form.validate_on_submit():
        abort(400, "Your form expired. Please reload the page and try again.")
    try:
        services.remove_asset(db.session, current_user, draft, form.path.data)
        db.session.commit()
        flash(f"Removed assets/{form.path.data}.", "success")
    except services.StudioError as error:
        _failed(error, error.status)
    return redirect(url_for(".images", slug=slug))


@bp.route("/<slug>/assets/<path:path>")
def draft_asset(slug: str, path: str):
    """A draft asset, for the editor's preview (never cached: drafts change)."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    asset = db.session.scalar(db.select(DraftAsset).where(DraftAsset.draft_id == draft.id,
                                                          DraftAsset.path == path))
    if asset is None:
        abort(404, "This file is not in the draft.")
    inline = asset.content_type in _IMAGE_TYPES
    response = Response(asset.data, mimetype=asset.content_type if inline
                        else "application/octet-stream")
    response.set_etag(asset.sha256)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = ASSET_CSP
    if not inline:
        response.headers.set("Content-Disposition", "attachment", filename=path.rsplit("/", 1)[-1])
    return response.make_conditional(request)


@bp.route("/<slug>/download")
def download(slug: str):
    """The draft (default) or the published version as a zip of the course folder."""
    course = _course_or_404(slug)
    if request.args.get("source") == "published":
        sources = services.published_sources(db.session, course, _courses_dir())
        if sources is None:
            abort(404, "This course has not been published yet.")
        files = folder_contents(sources.files, sources.assets)
        name = f"{slug}-v{course.current_version.number}.zip"
    else:
        files, name = services.draft_archive_files(_draft_or_404(course)), f"{slug}-draft.zip"
    response = Response(write_zip(slug, files), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.route("/<slug>/upload", methods=["GET", "POST"])
def upload(slug: str):
    """Replace the draft with a zip of the course folder (checked before anything changes)."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    form = forms.ArchiveUploadForm()
    status = 200
    if form.validate_on_submit():
        try:
            count = services.replace_from_archive(db.session, current_user, draft,
                                                  form.archive.data.read(), _archive_limits())
            db.session.commit()
            flash(f"The draft now holds the {count} files of the archive.", "success")
            return redirect(url_for(".course", slug=slug))
        except ArchiveRejected as error:
            db.session.rollback()
            form.archive.errors.append(str(error))
            status = error.status
        except services.StudioError as error:
            db.session.rollback()
            form.archive.errors.append(str(error))
            status = 422
    elif form.is_submitted():
        status = 400
    return render_template("authoring/upload.html", course=course, draft=draft, form=form), status


def _archive_limits() -> ArchiveLimits:
    """Archive limits, within the request size the app accepts."""
    return ArchiveLimits(max_archive_bytes=current_app.config.get("MAX_CONTENT_LENGTH")
                         or ArchiveLimits.max_archive_bytes)


# --- publishing and history -------------------------------------------------------------------


@bp.route("/<slug>/publish", methods=["GET", "POST"])
def publish(slug: str):
    """Review problems and the diff against the published version; publish when it passes."""
    course = _course_or_404(slug)
    draft = _draft_or_404(course)
    form = forms.RevisionForm()
    status, problems = 200, None
    if form.validate_on_submit():
        try:
            result = services.publish_draft(db.session, current_user, draft,
                                            _int(form.revision.data))
            db.session.commit()
        except services.DraftInvalid as error:
            status, problems = _failed(error, error.status), error.problems
        except services.StudioError as error:
            status = _failed(error, error.status)
        else:
            if result.status == "unchanged":
                flash(f"Nothing to publish: the draft is version {result.version.number}.", "info")
            else:
                flash(f"Published version {result.version.number} of {course.title}.", "success")
            return redirect(url_for(".course", slug=slug))
    elif form.is_submitted():
        status = 400
    form.revision.data = str(draft.revision)
    return render_template(
        "authoring/publish.html", course=course, draft=draft, form=form,
        problems=problems if problems is not None else services.validate_draft(draft),
        changes=services.draft_changes(db.session, draft, _courses_dir()),
        sources=services.published_sources(db.session, course, _courses_dir()),
    ), status


@bp.route("/<slug>/history")
def history(slug: str):
    """Who changed which lesson or quiz, when, and who published which version."""
    course = _course_or_404(slug)
    page = db.paginate(services.course_events(course), per_page=50, error_out=False)
    return render_template("authoring/history.html", course=course, page=page)
