"""Course forms: the learner's actions are single buttons, so the forms carry only CSRF."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class EnrollForm(FlaskForm):
    """Enrol in a course."""

    submit = SubmitField("Enrol")


class LessonCompleteForm(FlaskForm):
    """Mark a lesson as complete."""

    submit = SubmitField("Mark as complete")
