"""HR's forms: invitations by mail, and the account an invited person creates."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

#: 500 addresses with names fit easily
ADDRESSES_MAX_CHARS = 64_000
CSV_MAX_BYTES = 1024 * 1024


class InviteForm(FlaskForm):
    """Addresses to invite: pasted, or a CSV file, or both."""

    addresses = TextAreaField(
        "Addresses", validators=[Length(max=ADDRESSES_MAX_CHARS, message=(
            "This list is too long: invite at most 500 addresses at a time."))])
    csv_file = FileField(
        "Or a CSV file", validators=[FileSize(CSV_MAX_BYTES, message=(
            "This file is larger than 1 MB: invite at most 500 addresses at a time."))])
    submit = SubmitField("Send invitations")


class JoinForm(FlaskForm):
    """The account of an invited person: the address is the invitation's, not a field."""

    name = StringField("Full name", validators=[DataRequired(), Length(min=2, max=120)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Repeat password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])
    submit = SubmitField("Create my account and join")
