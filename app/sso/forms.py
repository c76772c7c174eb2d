"""Sign-on forms: an organisation's connection settings, and testing the connection."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.sso.connections import MAX_DOMAINS


def strip(value):
    return value.strip() if isinstance(value, str) else value


class SignOnSettingsForm(FlaskForm):
    protocol = RadioField(_l("Protocol"), default="oidc", choices=[
        ("oidc", _l("OpenID Connect")), ("saml", _l("SAML 2.0"))])
    oidc_issuer = StringField(_l("Issuer URL"), filters=[strip],
                              validators=[Optional(), Length(max=255)])
    oidc_client_id = StringField(_l("Client ID"), filters=[strip],
                                 validators=[Optional(), Length(max=255)])
    #: write-only: never rendered with its value; blank keeps the stored secret
    oidc_client_secret = PasswordField(_l("Client secret"), filters=[strip],
                                       validators=[Optional(), Length(max=2000)])
    saml_idp_metadata_url = StringField(_l("Identity provider metadata URL"), filters=[strip],
                                        validators=[Optional(), Length(max=500)])
    saml_idp_metadata = TextAreaField(_l("Or paste the identity provider metadata XML"),
                                      validators=[Optional(), Length(max=200_000)])
    domains = TextAreaField(_l("Email domains of your organisation (one per line)"),
                            validators=[Optional(), Length(max=MAX_DOMAINS * 260)])
    enabled = BooleanField(_l("Sign-on is enabled: people of these domains sign in through "
                              "the identity provider"))
    password_login = BooleanField(_l("People of this organisation may also log in with a "
                                     "password"), default=True)
    submit = SubmitField(_l("Save sign-on settings"))


class TestConnectionForm(FlaskForm):
    submit = SubmitField(_l("Test the connection"))
