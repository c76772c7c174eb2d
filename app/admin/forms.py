"""Admin forms."""
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.models import ROLES

ROLE_LABELS = {"learner": "Learner", "trainer": "Trainer", "hr": "HR", "admin": "Admin"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserEditForm(FlaskForm):
    roles = MultiCheckboxField("Roles", choices=[(r, ROLE_LABELS[r]) for r in ROLES if r != "learner"])
    organisation = SelectField("Organisation", coerce=str, validate_choice=True)
    submit = SubmitField("Save changes")


class UserActivationForm(FlaskForm):
    submit = SubmitField()


class OrganisationForm(FlaskForm):
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Create organisation")
