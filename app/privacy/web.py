"""The data rights pages' edge: the export as a download, mail subjects written again, and the
organisation a retention form names."""
from __future__ import annotations

import tempfile

from flask import Response, abort, current_app, send_file
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models import Notification, Organisation, User
from app.notifications.extension import SiteLinks
from app.notifications.kinds import KINDS
from app.privacy import export
from app.privacy.retention import may_manage

#: an export stays in memory up to this size, and goes to a temporary file beyond it
SPOOL_BYTES = 8 * 1024 * 1024


def export_response(actor: User, user: User) -> Response:
    """The zip of everything about `user`, written to a spooled file and sent; audited."""
    now = utcnow()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    export.export_archive(db.session, actor, user, now, spool, subject_of=_subjects())
    spool.seek(0)
    response = send_file(spool, mimetype="application/zip", as_attachment=True,
                         download_name=export.archive_name(user, now), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def _subjects():
    """Writes a kept mail's subject again, in the reader's language (None when it cannot be:
    what it was about is gone)."""
    links = SiteLinks(current_app._get_current_object())

    def subject_of(notification: Notification) -> str | None:
        kind = KINDS.get(notification.kind)
        if kind is None:
            return None
        try:
            mail = kind.build(db.session, notification, links)
        except (LookupError, ValueError, TypeError, AttributeError):
            return None  # the facts the mail was written from are gone or changed
        return str(mail.subject) if mail is not None else None
    return subject_of


def managed_organisation(slug: str, user: User) -> Organisation:
    """The organisation in the URL, when `user` may decide its retention (else 404 / 403)."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    if not may_manage(user, organisation):
        abort(403)
    return organisation
