"""Administrators' mail pages: the outbox by status with retries, and (in development, when mails
are written to a folder) the written mails, opened as a mail client would show them."""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.utils import secure_filename

from app.admin import mail_services
from app.admin.forms import MailRetryAllForm, MailRetryForm
from app.admin.routes import bp
from app.auth.decorators import role_required
from app.clock import utcnow
from app.errors import refusals_return_to
from app.extensions import db
from app.models.notifications import STATUSES
from app.notifications import mail_folder, outbox
from app.routing import bounded_int, page_number
from app.security import MAIL_PREVIEW_POLICY

#: how many written mails the outbox page shows before "All written mails"
NEWEST_WRITTEN = 10
#: what an attachment is served with: a download, never a page of this site
ATTACHMENT_CSP = "default-src 'none'; sandbox"


@bp.route("/mail")
@role_required("admin")
def mail():
    """Notifications by status, the recent ones (filtered, paged), and the newest written mails."""
    status = _status_arg()
    page = db.paginate(mail_services.notification_listing(status),
                       page=page_number(request.args), per_page=25, error_out=False)
    folder = _folder()
    written = mail_folder.folder_page(folder, 1, NEWEST_WRITTEN) if folder else None
    return render_template("admin/mail.html", page=page, status=status, statuses=STATUSES,
                           counts=outbox.counts(db.session), written=written,
                           retry_all_form=MailRetryAllForm())


@bp.route("/mail/retry", methods=["POST"])
@role_required("admin")
@refusals_return_to("admin.mail")
def mail_retry():
    """Send one failed mail again (its attempts start afresh); queued once this is committed."""
    form = MailRetryForm()
    if not form.validate_on_submit():
        abort(400)
    notification_id = form.notification_id.data
    mail_services.retry_failed(db.session, current_user, notification_id, utcnow())
    flash(_("Notification #%(id)s is queued again.", id=notification_id), "success")
    return _back_to_listing()


@bp.route("/mail/retry-failed", methods=["POST"])
@role_required("admin")
@refusals_return_to("admin.mail")
def mail_retry_all():
    """Send every failed mail again."""
    if not MailRetryAllForm().validate_on_submit():
        abort(400)
    count = mail_services.retry_failed(db.session, current_user, None, utcnow())
    flash(ngettext("%(num)d failed mail is queued again.", "%(num)d failed mails are queued again.",
                   count), "success")
    return _back_to_listing()


@bp.route("/mail/messages")
@role_required("admin")
def mail_messages():
    """Every mail written to the mail folder, newest first (development: no MAIL_URL)."""
    folder = _folder() or abort(404)
    written = mail_folder.folder_page(folder, page_number(request.args), 25)
    return render_template("admin/mail_messages.html", page=written, folder=folder)


@bp.route("/mail/messages/<filename>")
@role_required("admin")
def mail_message(filename: str):
    """One written mail: its headers, text, HTML (in a sandboxed frame) and attachments."""
    folder = _folder() or abort(404)
    try:
        message, problem = mail_folder.open_message(folder, filename), None
    except mail_folder.MalformedMail as error:
        message, problem = None, str(error)
    response = current_app.make_response(
        (render_template("admin/mail_message.html", name=filename, message=message,
                         problem=problem), 422 if problem else 200))
    response.headers["Content-Security-Policy"] = MAIL_PREVIEW_POLICY
    return response


@bp.route("/mail/messages/<filename>/attachment")
@role_required("admin")
def mail_attachment(filename: str):
    """An attachment of a written mail (`?index=0` for the first), always as a download."""
    folder = _folder() or abort(404)
    index = bounded_int(request.args, "index", minimum=0, maximum=10_000)
    if index is None:
        abort(404)
    try:
        name, data = mail_folder.attachment(folder, filename, index)
    except mail_folder.MalformedMail:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/octet-stream",
                         as_attachment=True,
                         download_name=secure_filename(name) or f"attachment-{index + 1}")
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_arg() -> str | None:
    status = request.args.get("status")
    return status if status in STATUSES else None


def _folder():
    """The mail folder, or None when mails go to an SMTP server."""
    return mail_folder.folder_for(current_app.config)


def _back_to_listing():
    """The outbox page the form was sent from (its status filter and page)."""
    page = page_number(request.args)
    return redirect(url_for("admin.mail", status=_status_arg(), page=page if page > 1 else None),
                    303)
