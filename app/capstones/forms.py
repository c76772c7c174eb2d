"""The capstone's forms: handing work in, and a trainer's scores (one level and a comment per
criterion, read from fields named after the rubric)."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.capstones.files import MAX_FILE_BYTES, MAX_FILES, CheckedFile, check_file
from app.capstones.submissions import MAX_TEXT_CHARS
from app.courses.capstone_spec import CapstoneSpec

#: the largest hand-in request: every file at its limit and the text
UPLOAD_LIMIT = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024


class SubmissionForm(FlaskForm):
    """The learner's answer in Markdown, and optional files."""

    text = TextAreaField(_l("Your answer (Markdown)"), validators=[Length(max=MAX_TEXT_CHARS)])
    files = MultipleFileField(_l("Files (optional: up to %(count)d PDF, DOCX, PPTX or XLSX files, "
                                 "%(megabytes)d MB each)", count=MAX_FILES,
                                 megabytes=MAX_FILE_BYTES // (1024 * 1024)))
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Hand in my work"))


class ScoreForm(FlaskForm):
    """The overall comment; the levels and comments per criterion are read by `scores_from`."""

    comment = TextAreaField(_l("Overall comment (optional)"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Save the score"))


def checked_files(form: SubmissionForm) -> list[CheckedFile]:
    """The uploaded files, each checked by its content (raises InvalidSubmission)."""
    uploads = [f for f in (form.files.data or []) if f and f.filename]
    return [check_file(upload.filename, upload.read(MAX_FILE_BYTES + 1)) for upload in uploads]


def scores_from(spec: CapstoneSpec) -> tuple[dict[str, int], dict[str, str]]:
    """Points (`level-<criterion>`) and comments (`comment-<criterion>`) from the posted form."""
    points, comments = {}, {}
    for criterion in spec.criteria:
        raw = request.form.get(f"level-{criterion.id}", "")
        if raw.isascii() and raw.isdigit() and len(raw) <= 4:
            points[criterion.id] = int(raw)
        comments[criterion.id] = request.form.get(f"comment-{criterion.id}", "")
    return points, comments
