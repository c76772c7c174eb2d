"""Forms of the public verification page and of HR's bulk check."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.verify.bulk import BULK_MAX_ROWS, reader_number

#: a certificate PDF is about 100 KB; anything much larger is not one of ours
PDF_MAX_BYTES = 5 * 1024 * 1024
#: 10,000 codes with a few columns around them fit comfortably
CSV_MAX_BYTES = 4 * 1024 * 1024
CSV_TOO_LARGE = _l("This file is larger than 4 MB. Please split it: up to 10,000 codes per upload.")
PDF_TOO_LARGE = _l("This file is larger than 5 MB; a certificate PDF is far smaller. Please "
                   "upload the PDF as you received it.")


class CodeLookupForm(FlaskForm):
    """A certificate code, as printed under the QR code; sent by GET, so no CSRF token."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Certificate code"),
        validators=[InputRequired(_l("Please enter the code printed on the certificate.")),
                    Length(max=200, message=_l("This is far too long to be a certificate code."))],
    )


class PdfUploadForm(FlaskForm):
    """A certificate PDF to check."""

    pdf = FileField(
        _l("Certificate PDF"),
        validators=[FileRequired(_l("Please choose the certificate's PDF file.")),
                    FileSize(PDF_MAX_BYTES, message=PDF_TOO_LARGE)],
    )


class BulkVerifyForm(FlaskForm):
    """A CSV of certificate codes to check at once."""

    codes = FileField(
        _l("CSV file of certificate codes"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileSize(CSV_MAX_BYTES, message=CSV_TOO_LARGE)],
        description=_l("One certificate code per row, up to %(most)s rows. Other columns (names, "
                       "employee numbers) may stay; we find the column of codes ourselves.",
                       most=reader_number(BULK_MAX_ROWS)),
    )
