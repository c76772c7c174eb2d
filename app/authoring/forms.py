"""Studio forms: shapes of input only; the rules live in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MESSAGE = _l("Use lowercase letters, digits and single hyphens, e.g. writing-key-results.")


def _slug_field(label: str | LazyString) -> StringField:
    """A slug input with the format rule spelled out."""
    return StringField(label, validators=[DataRequired(), Length(max=80),
                                          Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])


class CourseCreateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = _slug_field(_l("Slug (the course's address; learners' progress is kept by it)"))
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=400)])


class RevisionForm(FlaskForm):
    """A button that acts on the draft as the trainer saw it (discard, publish)."""

    revision = HiddenField(validators=[InputRequired()])


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (start a draft)."""


class ModuleAddForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=200)])
    slug = _slug_field(_l("Slug"))


class LessonAddForm(FlaskForm):
    module = HiddenField(validators=[DataRequired()])
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    slug = _slug_field(_l("Slug"))
    minutes = IntegerField(_l("Minutes"), default=5, validators=[InputRequired(),
                                                             NumberRange(min=1, max=600)])


class QuizAddForm(FlaskForm):
    #: a module folder, or empty for the final exam
    module = HiddenField()


class MoveForm(FlaskForm):
    path = HiddenField(validators=[DataRequired()])
    step = HiddenField(validators=[DataRequired(), Regexp(r"^-?1$")])


class TranslateForm(FlaskForm):
    """Start translating a file of the draft into a language."""

    path = HiddenField(validators=[DataRequired()])
    locale = HiddenField(validators=[DataRequired()])


class RenameForm(FlaskForm):
    path = HiddenField(validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = _slug_field(_l("Slug"))
    confirm_slug_change = BooleanField(
        _l("I understand: a new slug is a new module or lesson for learners' progress"))


class RemoveForm(FlaskForm):
    path = HiddenField(validators=[DataRequired()])
    confirm = BooleanField(_l("Yes, remove it from the draft"), validators=[DataRequired(
        message=_l("Tick the box to confirm."))])


class FileEditForm(FlaskForm):
    text = TextAreaField(_l("Markdown"), validators=[Length(max=512 * 1024)])
    revision = HiddenField(validators=[InputRequired(), Regexp(r"^\d+$")])


class ImageUploadForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF, WebP or SVG)"), validators=[FileRequired()])
    replace = BooleanField(_l("Replace an image of the same name"))


class ArchiveUploadForm(FlaskForm):
    archive = FileField(_l("Zip of the course folder"), validators=[FileRequired()])
    confirm = BooleanField(_l("Replace every file and image of the draft"), validators=[
        DataRequired(
            message=_l("Tick the box to confirm: the upload replaces the whole draft."))])


class QuizEditForm(FileEditForm):
    """The quiz editor: the text, plus an optional GIFT file to convert into it."""

    gift = FileField(_l("GIFT file (a Moodle question bank)"))
    mode = RadioField(_l("Put the converted questions"), default="append", choices=[
        ("append", _l("after the questions already here")),
        ("replace", _l("in place of the whole quiz"))])
    skip_unsupported = BooleanField(
        _l("Convert the supported questions even if some cannot be"))


class AssetRemoveForm(FlaskForm):
    path = HiddenField(validators=[DataRequired()])


class MaintainerForm(FlaskForm):
    """An admin names a trainer, by email, to maintain a course."""

    email = StringField(_l("Trainer's email"), validators=[DataRequired(), Length(max=254)])


class MaintainerRemoveForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Length(max=254)])
