"""The API token forms: a new token (its name and scopes), and revoking one."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.form_fields import MultiCheckboxField
from app.integrations.tokens import NAME_MAX
from app.models import TOKEN_SCOPES

#: what each scope lets a token do, for people
SCOPE_LABELS = {
    "scim": _l("Provision accounts and groups through SCIM (scim)"),
    "read:learners": _l("Read learners' progress (read:learners)"),
    "read:certificates": _l("Read certificates (read:certificates)"),
}



class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Give the token a name, for example the system that uses it.")),
        Length(max=NAME_MAX)])
    scopes = MultiCheckboxField(
        _l("What the token may do"), choices=[(s, SCOPE_LABELS[s]) for s in TOKEN_SCOPES],
        validators=[DataRequired(message=_l("Choose at least one of the scopes offered."))])
    submit = SubmitField(_l("Create the token"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke the token"))
