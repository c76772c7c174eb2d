"""Admin forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from app.form_fields import MultiCheckboxField
from app.models import ROLES
from app.routing import MAX_ID

ROLE_LABELS = {"learner": _l("Learner"), "trainer": _l("Trainer"), "hr": _l("HR"), "admin": _l("Admin")}



class UserEditForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=[(r, ROLE_LABELS[r]) for r in ROLES if r != "learner"])
    organisation = SelectField(_l("Organisation"), coerce=str, validate_choice=True)
    submit = SubmitField(_l("Save changes"))


class UserActivationForm(FlaskForm):
    submit = SubmitField()


class OrganisationForm(FlaskForm):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Create organisation"))


class MailRetryForm(FlaskForm):
    """Retry one failed mail, named by its notification's id."""

    notification_id = IntegerField(widget=HiddenInput(), validators=[
        DataRequired(), NumberRange(min=1, max=MAX_ID)])


class MailRetryAllForm(FlaskForm):
    """Retry every failed mail (the CSRF token is the whole form)."""
