"""Account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.auth.passwords import broken_rules, password_rules


def strip(value):
    return value.strip() if isinstance(value, str) else value


class RegistrationForm(FlaskForm):
    name = StringField(_l("Full name"),
                       validators=[DataRequired(), Length(min=2, max=120)])
    email = EmailField(_l("Work email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    invite = HiddenField()
    submit = SubmitField(_l("Create account"))

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
            raise ValidationError(" ".join(str(problem) for _, problem in broken))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    #: empty on the first step: the email decides whether a password is asked for at all
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=256)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name as it should appear on your certificate"),
                       validators=[DataRequired(), Length(min=2, max=120)])
    submit = SubmitField(_l("Save profile"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Set new password"))


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField(_l("Confirm this address"))


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(_l("New email address"), filters=[strip],
                           validators=[DataRequired(), Email(), Length(max=254)])
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change address"))
