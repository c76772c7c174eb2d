"""Data rights forms: the export button, the erasure's confirmation, the retention setting."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Download my data"))


class ErasureForm(FlaskForm):
    """Typing the account's address confirms (it works for accounts without a password too)."""

    email = StringField(_l("Type the account's email address to confirm"),
                        validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Erase the account"))


class RetentionForm(FlaskForm):
    keep = BooleanField(_l("Keep our people's certificates valid and verifiable after their "
                           "account is erased"))
    submit = SubmitField(_l("Save"))
