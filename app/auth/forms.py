"""Account forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length


def strip(value):
    return value.strip() if isinstance(value, str) else value


class RegistrationForm(FlaskForm):
    name = StringField("Full name",
                       validators=[DataRequired(), Length(min=2, max=120)])
    email = EmailField("Work email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Repeat password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])
    invite = HiddenField()
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")
    submit = SubmitField("Log in")


class ProfileForm(FlaskForm):
    name = StringField("Name as it should appear on your certificate",
                       validators=[DataRequired(), Length(min=2, max=120)])
    submit = SubmitField("Save profile")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Repeat new password", validators=[
        DataRequired(), EqualTo("new_password", message="The two passwords differ.")])
    submit = SubmitField("Change password")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Send me a link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Repeat new password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])
    submit = SubmitField("Set new password")


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField("Confirm this address")


class ChangeEmailForm(FlaskForm):
    new_email = EmailField("New email address", filters=[strip],
                           validators=[DataRequired(), Email(), Length(max=254)])
    current_password = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Change address")
