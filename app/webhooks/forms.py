"""The webhook endpoint form: its URL, a description, the events it receives."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.form_fields import MultiCheckboxField
from app.models.webhooks import EVENT_TYPES
from app.webhooks.addresses import MAX_URL_LENGTH
from app.webhooks.services import DESCRIPTION_MAX

#: what each event type means, for people
EVENT_LABELS = {
    "certificate.issued": _l("A certificate is issued or renewed"),
    "certificate.revoked": _l("A certificate is revoked"),
    "certificate.suspended": _l("A certificate is suspended"),
    "certificate.reinstated": _l("A suspended certificate is valid again"),
    "certificate.expiring": _l("A certificate expires in 90, 30 or 7 days"),
    "learner.completed": _l("A learner completes a course"),
}



class EndpointForm(FlaskForm):
    url = StringField(_l("URL"), validators=[
        DataRequired(message=_l("Enter the URL that receives the messages.")),
        Length(max=MAX_URL_LENGTH)])
    description = StringField(_l("Description (optional)"),
                              validators=[Length(max=DESCRIPTION_MAX)])
    event_types = MultiCheckboxField(
        _l("Events"), choices=[(name, EVENT_LABELS[name]) for name in EVENT_TYPES],
        validators=[DataRequired(message=_l("Choose at least one of the events listed."))])
    submit = SubmitField(_l("Save"))
