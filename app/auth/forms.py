"""Account forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.passwords import broken_rules, password_rules


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

    def __init__(self, *args, min_length: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_length = min_length
        self.password_rules = password_rules(min_length)
        #: keys of the rules the submitted password broke
        self.broken_rules: set[str] = set()

    def validate_password(self, field):
        """Every broken rule at once, whatever else is wrong with the form."""
        broken = broken_rules(field.data, min_length=self.min_length, email=self.email.data or "",
                              name=self.name.data or "")
        self.broken_rules = {rule.key for rule, _ in broken}
        if broken:
            raise ValidationError(" ".join(problem for _, problem in broken))


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
