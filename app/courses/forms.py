"""Course forms: the learner's actions are single buttons, so the forms carry only CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class EnrollForm(FlaskForm):
    """Enrol in a course."""

    submit = SubmitField(_l("Enrol"))


class LessonCompleteForm(FlaskForm):
    """Mark a lesson as complete."""

    submit = SubmitField(_l("Mark as complete"))


class ContentLanguageForm(FlaskForm):
    """Read a course's content in another of its languages."""

    submit = SubmitField(_l("Show the course in this language"))
