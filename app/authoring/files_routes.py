"""The studio's work on a draft's files: the Markdown editor and its live preview, images and
assets, and the course folder as a zip. Views of the studio's blueprint (`routes.bp`)."""
from __future__ import annotations

import re

from flask import (
    Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.authoring import forms, services
from app.authoring.archive import ArchiveLimits, ArchiveRejected, write_zip
from app.authoring.folder import file_kind, folder_contents, title_of
from app.authoring.gift import GIFT_TOO_LARGE, MAX_GIFT_BYTES, GiftConversion, convert_gift
from app.authoring.images import DEFAULT_MAX_IMAGE_BYTES
from app.authoring.preview import QUIZ_KINDS, depth_of, draft_link_resolver, preview_file
from app.authoring.web import (
    EXPIRED_FORM, bp, course_and_draft, course_or_404, courses_dir, draft_or_404,
    flashed_refusal, refusal_status, revision_of,
)
from app.authoring.sources import unified_diff
from app.authoring.translating import DraftTranslations
from app.courses.assets import ASSET_CSP, served_content_type
from app.errors import refusals_return_to
from app.extensions import db
from app.models import Course, CourseDraft, DraftAsset

_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
_QUESTION_ID_RE = re.compile(r"\{#([a-z0-9-]+)\}")


def _links(course: Course, kind: str):
    """The link resolver that points a draft file's asset links at the studio's asset URL."""
    sample = url_for("authoring.draft_asset", slug=course.slug, path="_")
    return draft_link_resolver(sample.rsplit("/", 1)[0], depth_of(kind))


# --- editing files ----------------------------------------------------------------------------


@bp.route("/<slug>/edit/<path:path>", methods=["GET", "POST"])
def edit_file(slug: str, path: str):
    """Edit one Markdown file of the draft, with its problems and a live preview."""
    course, draft = course_and_draft(slug)
    if request.method == "GET" and path not in draft.files:
        abort(404, _("This file is not in the draft."))
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
                                     revision_of(form))
    except services.DraftConflict as error:
        return _render_editor(course, draft, path, kind, form, refusal_status(error),
                              conflict=str(error))
    except services.StudioError as error:
        return _render_editor(course, draft, path, kind, form, flashed_refusal(error))
    flash(_("Saved to the draft.") if changed else _("No changes to save."), "success")
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
        translations=DraftTranslations(draft.files),
    ), status


def _import_gift(course: Course, draft: CourseDraft, path: str, kind: str, form):
    """Convert an uploaded GIFT file into the quiz text (not saved until the trainer saves)."""
    upload = form.gift.data
    if not upload or not getattr(upload, "filename", ""):
        form.gift.errors.append(_("Choose a GIFT file to convert."))
        return _render_editor(course, draft, path, kind, form, 400)
    raw = upload.read(MAX_GIFT_BYTES + 1)
    if len(raw) > MAX_GIFT_BYTES:
        form.gift.errors.append(GIFT_TOO_LARGE)
        return _render_editor(course, draft, path, kind, form, 413)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        form.gift.errors.append(_("The file is not UTF-8 text: save it as UTF-8 and try again."))
        return _render_editor(course, draft, path, kind, form, 400)
    current = services.normalise_text(form.text.data or "")
    append = form.mode.data != "replace"
    taken = set(_QUESTION_ID_RE.findall(current)) if append else set()
    try:
        conversion = convert_gift(source, title=title_of(current, "Imported questions"),
                                  existing_ids=taken)
    except services.StudioError as refusal:  # too many questions: keep the editor's text
        form.gift.errors.append(str(refusal))
        return _render_editor(course, draft, path, kind, form, refusal.status_code)
    if not conversion.converted or (conversion.errors and not form.skip_unsupported.data):
        return _render_editor(course, draft, path, kind, form, 422, gift=conversion)
    form.text.data = (current.rstrip("\n") + "\n\n" + conversion.questions_markdown) if append \
        else conversion.markdown
    return _render_editor(course, draft, path, kind, form, 200, gift=conversion)


@bp.route("/<slug>/preview/<path:path>", methods=["POST"])
def preview(slug: str, path: str):
    """The live preview and quick checks of the text being edited (JSON for the editor)."""
    course, draft = course_and_draft(slug)
    if path not in draft.files:
        abort(404, _("This file is not in the draft."))
    text = request.form.get("text", "")
    if len(text) > services.MAX_FILE_CHARS:
        abort(413, _("The text is too long to preview."))
    kind = file_kind(draft.files, path)
    result = preview_file(kind, path, services.normalise_text(text), _links(course, kind))
    html = render_template("authoring/_preview.html", preview=result, course=course)
    return jsonify(html=html, **result.as_json())


# --- images and archives ----------------------------------------------------------------------


@bp.route("/<slug>/images", methods=["GET", "POST"])
def images(slug: str):
    """The draft's assets; upload an image (checked by its bytes) or remove one."""
    course, draft = course_and_draft(slug)
    form = forms.ImageUploadForm()
    if not form.validate_on_submit():
        return _render_images(course, draft, form, 400 if form.is_submitted() else 200)
    upload = form.image.data
    limit = current_app.config.get("STUDIO_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    try:
        asset = services.upload_image(db.session, current_user, draft, upload.filename or "",
                                      upload.read(limit + 1), replace=form.replace.data,
                                      max_bytes=limit)
    except services.StudioError as error:  # ImageRejected says 413 or 415
        form.image.errors.append(str(error))
        return _render_images(course, draft, form, refusal_status(error))
    flash(_("Uploaded %(file)s. Use it as %(markdown)s in a lesson.", file=f"assets/{asset.path}",
            markdown=f"![description](../assets/{asset.path})"), "success")
    return redirect(url_for(".images", slug=slug))


def _render_images(course: Course, draft: CourseDraft, form, status: int):
    return render_template("authoring/images.html", course=course, draft=draft, form=form,
                           image_types=_IMAGE_TYPES), status


@bp.route("/<slug>/images/remove", methods=["POST"])
@refusals_return_to(".images")
def remove_image(slug: str):
    """Remove an asset from the draft."""
    draft = course_and_draft(slug)[1]
    form = forms.AssetRemoveForm()
    if not form.validate_on_submit():
        abort(400, EXPIRED_FORM)
    services.remove_asset(db.session, current_user, draft, form.path.data)
    flash(_("Removed %(file)s.", file=f"assets/{form.path.data}"), "success")
    return redirect(url_for(".images", slug=slug))


@bp.route("/<slug>/assets/<path:path>")
def draft_asset(slug: str, path: str):
    """A draft asset, for the editor's preview (never cached: drafts change)."""
    draft = course_and_draft(slug)[1]
    asset = db.session.scalar(db.select(DraftAsset).where(DraftAsset.draft_id == draft.id,
                                                          DraftAsset.path == path))
    if asset is None:
        abort(404, _("This file is not in the draft."))
    inline = asset.content_type in _IMAGE_TYPES
    response = Response(asset.data, content_type=served_content_type(
        asset.content_type if inline else "application/octet-stream"))
    response.set_etag(asset.sha256)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = ASSET_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not inline:
        response.headers.set("Content-Disposition", "attachment", filename=path.rsplit("/", 1)[-1])
    return response.make_conditional(request)


@bp.route("/<slug>/download")
def download(slug: str):
    """The draft (default) or the published version as a zip of the course folder."""
    course = course_or_404(slug)
    if request.args.get("source") == "published":
        sources = services.published_sources(db.session, course, courses_dir())
        if sources is None:
            abort(404, _("This course has not been published yet."))
        files = folder_contents(sources.files, sources.assets)
        name = f"{slug}-v{course.current_version.number}.zip"
    else:
        files, name = services.draft_archive_files(draft_or_404(course)), f"{slug}-draft.zip"
    response = Response(write_zip(slug, files), mimetype="application/zip")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.route("/<slug>/upload", methods=["GET", "POST"])
def upload(slug: str):
    """Replace the draft with a zip of the course folder (checked before anything changes)."""
    course, draft = course_and_draft(slug)
    form = forms.ArchiveUploadForm()
    if not form.validate_on_submit():
        return _render_upload(course, draft, form, 400 if form.is_submitted() else 200)
    try:
        count = services.replace_from_archive(db.session, current_user, draft,
                                              form.archive.data.read(), _archive_limits())
    except services.StudioError as error:
        form.archive.errors.append(str(error))
        status = refusal_status(error)
        # an unsafe archive says its own status; a usable zip of unusable content is a 422
        return _render_upload(course, draft, form,
                              status if isinstance(error, ArchiveRejected) else 422)
    flash(ngettext("The draft now holds the %(num)d file of the archive.",
                   "The draft now holds the %(num)d files of the archive.", count), "success")
    return redirect(url_for(".course", slug=slug))


def _render_upload(course: Course, draft: CourseDraft, form, status: int):
    return render_template("authoring/upload.html", course=course, draft=draft,
                           form=form), status


def _archive_limits() -> ArchiveLimits:
    """Archive limits, within the request size the app accepts."""
    return ArchiveLimits(max_archive_bytes=current_app.config.get("MAX_CONTENT_LENGTH")
                         or ArchiveLimits.max_archive_bytes)
