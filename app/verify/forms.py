"""Forms of the public verification page and of HR's bulk check."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import StringField
from wtforms.validators import InputRequired, Length

#: a certificate PDF is about 100 KB; anything much larger is not one of ours
PDF_MAX_BYTES = 5 * 1024 * 1024
#: 10,000 codes with a few columns around them fit comfortably
CSV_MAX_BYTES = 4 * 1024 * 1024


class CodeLookupForm(FlaskForm):
    """A certificate code, as printed under the QR code; sent by GET, so no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(
        "Certificate code",
        validators=[InputRequired("Please enter the code printed on the certificate."),
                    Length(max=200, message="This is far too long to be a certificate code.")],
    )


class PdfUploadForm(FlaskForm):
    """A certificate PDF to check."""

    pdf = FileField(
        "Certificate PDF",
        validators=[FileRequired("Please choose the certificate's PDF file."),
                    FileSize(PDF_MAX_BYTES, message="This file is larger than 5 MB; a "
                             "certificate PDF is far smaller. Please upload the PDF as you "
                             "received it.")],
    )


class BulkVerifyForm(FlaskForm):
    """A CSV of certificate codes to check at once."""

    codes = FileField(
        "CSV file of certificate codes",
        validators=[FileRequired("Please choose a CSV file."),
                    FileSize(CSV_MAX_BYTES, message="This file is larger than 4 MB. Please "
                             "split it: up to 10,000 codes per upload.")],
    )
