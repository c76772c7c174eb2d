"""HR's forms: invitations by mail, and the account an invited person creates."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

#: 500 addresses with names fit easily
ADDRESSES_MAX_CHARS = 64_000
CSV_MAX_BYTES = 1024 * 1024
CSV_TOO_LARGE = _l("This file is larger than 1 MB: invite at most 500 addresses at a time.")


class InviteForm(FlaskForm):
    """Addresses to invite: pasted, or a CSV file, or both."""

    addresses = TextAreaField(
        _l("Addresses"), validators=[Length(max=ADDRESSES_MAX_CHARS, message=_l(
            "This list is too long: invite at most 500 addresses at a time."))])
    csv_file = FileField(
        _l("Or a CSV file"), validators=[FileSize(CSV_MAX_BYTES, message=CSV_TOO_LARGE)])
    submit = SubmitField(_l("Send invitations"))


class JoinForm(FlaskForm):
    """The account of an invited person: the address is the invitation's, not a field."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Create my account and join"))
