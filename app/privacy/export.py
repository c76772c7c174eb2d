"""A person's copy of everything we hold about them: one JSON document plus their files, zipped.

`personal_data` gathers the JSON (plain values only); `write_archive` writes it and the files
(certificate PDFs, capstone files) into a zip, reading one file from the database at a time, so
the memory an export takes stays that of its largest file whatever the person holds.

What is left out is left out on purpose, and named where it is: secrets (the password hash,
login token hashes), the administrators' internal notes and the identities of staff who acted,
and other people's data (the hashed address of whoever verified a certificate).
"""
from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, defer

from app.audit import record
from app.certificates.status import public_reason_text
from app.models import (
    AuditEvent, CapstoneFile, CapstoneSubmission, Certificate, CourseMaintainer, DirectoryGroup,
    DirectoryGroupMember, Enrollment, Invitation, LessonProgress, LoginSession, Notification,
    ProvisionedAccount, QuizAttempt, User, VerificationLog,
)

FORMAT = "okr-academy-personal-data"
VERSION = 1
DATA_FILE = "data.json"
#: files go into the archive in pieces of this size
CHUNK_BYTES = 1024 * 1024

#: the account's columns the export gives, by name
ACCOUNT_COLUMNS = (
    "id", "email", "name", "organisation_id", "is_active_account", "created_at",
    "last_login_at", "email_verified_at", "mail_reminders", "mail_nudges", "mail_digests",
    "locale", "timezone", "content_locale",
)
#: the account's columns left out, each with the reason (a new column must join one list)
OMITTED_ACCOUNT_COLUMNS = {
    "password_hash": "a secret, and useless to its owner",  # nosec B105: a reason, not a password
}
#: per table, the columns of the person's own rows left out, each with the reason
OMITTED_COLUMNS: dict[type, dict[str, str]] = {
    LoginSession: {"token_hash": "a secret"},  # nosec B105: a reason, not a password
    Certificate: {
        "pdf": "in the archive as a file of its own",
        "status_reason": "the administrators' internal note; the public reason is given",
        "status_changed_by_id": "which staff member acted is their data",
        "recertification_allowed_by_id": "which staff member acted is their data",
    },
    CapstoneSubmission: {
        "claimed_by_id": "which trainer acted is their data",
        "graded_by_id": "which trainer acted is their data",
    },
    CapstoneFile: {"data": "in the archive as a file of its own"},
    CourseMaintainer: {"added_by_id": "which administrator acted is their data"},
    Invitation: {"invited_by_id": "which HR member acted is their data"},
}
#: every column that points to an account, by table: the person's own rows, given in the
#: section named, or references to the staff member who did something (their work, not data
#: about them: what they did is in the audit entries they made)
USER_REFERENCES: dict[str, str] = {
    "certificates.user_id": "certificates", "enrollments.user_id": "enrolments",
    "lesson_progress.user_id": "lesson_progress", "quiz_attempts.user_id": "quiz_attempts",
    "capstone_submissions.user_id": "capstone_submissions", "login_sessions.user_id": "logins",
    "notifications.user_id": "mails", "invitations.user_id": "invitations",
    "provisioned_accounts.user_id": "directory", "directory_group_members.user_id": "directory",
    "user_roles.user_id": "roles", "audit_events.actor_id": "audit_events",
    "course_maintainers.user_id": "maintained_courses",
}
STAFF_REFERENCES = frozenset({
    "course_maintainers.added_by_id", "course_versions.created_by_id",
    "course_drafts.created_by_id", "course_drafts.updated_by_id",
    "invitations.invited_by_id", "organisation_tokens.created_by_id",
    "webhook_endpoints.created_by_id", "capstone_submissions.claimed_by_id",
    "capstone_submissions.graded_by_id", "certificates.status_changed_by_id",
    "certificates.recertification_allowed_by_id",
})
#: what each mail kept in the outbox gives (its subject is written again from its facts)
MAIL_COLUMNS = ("id", "kind", "category", "recipient", "status", "created_at", "sent_at")
#: what each verification of one of the person's certificates gives; `client` (a keyed hash
#: of the verifier's address) is the verifier's data, not the holder's
VERIFICATION_COLUMNS = ("created_at", "channel", "verdict")

SubjectOf = Callable[[Notification], "str | None"]


def personal_data(session: Session, user: User, now: datetime, *,
                  subject_of: SubjectOf | None = None) -> dict[str, Any]:
    """Everything we hold about `user`, as plain JSON values, section by section.

    :param subject_of: writes a kept mail's subject again (None: subjects are left out)
    """
    certificates = _certificates(session, user)
    return {
        "format": FORMAT, "version": VERSION, "generated_at": _plain(now),
        "account": {name: _plain(getattr(user, name)) for name in ACCOUNT_COLUMNS},
        "organisation": ({"name": user.organisation.name, "slug": user.organisation.slug}
                         if user.organisation else None),
        "roles": sorted(user.roles),
        "directory": _directory(session, user),
        "logins": _rows(session.scalars(select(LoginSession).where(
            LoginSession.user_id == user.id).order_by(LoginSession.id))),
        "invitations": _rows(session.scalars(select(Invitation).where(or_(
            Invitation.user_id == user.id, Invitation.email == user.email))
            .order_by(Invitation.id))),
        "enrolments": _rows(_owned(session, Enrollment, user)),
        "lesson_progress": _rows(_owned(session, LessonProgress, user)),
        "quiz_attempts": _rows(_owned(session, QuizAttempt, user)),
        "capstone_submissions": _submissions(session, user),
        "maintained_courses": _rows(session.scalars(select(CourseMaintainer).where(
            CourseMaintainer.user_id == user.id).order_by(CourseMaintainer.course_id))),
        "certificates": [_certificate(session, c) for c in certificates],
        "mails": _mails(session, user, subject_of),
        "audit_events": _audit(session, user, [c.code for c in certificates]),
    }


def write_archive(session: Session, user: User, now: datetime, out: IO[bytes], *,
                  subject_of: SubjectOf | None = None) -> dict[str, Any]:
    """Write the zip: data.json, then each certificate PDF and capstone file; the data."""
    data = personal_data(session, user, now, subject_of=subject_of)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DATA_FILE, json.dumps(data, indent=2, ensure_ascii=False))
        for certificate in data["certificates"]:
            _add_file(archive, certificate["pdf_file"], now, session, select(
                Certificate.pdf).where(Certificate.id == certificate["id"]))
        for submission in data["capstone_submissions"]:
            for item in submission["files"]:
                _add_file(archive, item["archive_file"], now, session, select(
                    CapstoneFile.data).where(CapstoneFile.id == item["id"]))
    return data


def _add_file(archive: zipfile.ZipFile, name: str, now: datetime, session: Session,
              query) -> None:
    """Copy one stored file into the archive as it is (PDFs and Office files are compressed
    already); only this file is in memory, and only until it is written."""
    content = session.scalar(query) or b""
    info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    with archive.open(info, "w", force_zip64=len(content) > zipfile.ZIP64_LIMIT) as target:
        view = memoryview(content)
        for start in range(0, len(view), CHUNK_BYTES):
            target.write(view[start:start + CHUNK_BYTES])


def export_archive(session: Session, actor: User, user: User, now: datetime, out: IO[bytes], *,
                   subject_of: SubjectOf | None = None) -> None:
    """Write `user`'s archive into `out` and audit who asked for it (never what it holds)."""
    data = write_archive(session, user, now, out, subject_of=subject_of)
    record(session, actor, "privacy.export", "user", user.id, "Personal data exported",
           by_administrator=actor.id != user.id, certificates=len(data["certificates"]),
           files=sum(len(s["files"]) for s in data["capstone_submissions"]))


def archive_name(user: User, now: datetime) -> str:
    """The download's file name: okr-academy-data-<account id>-<date>.zip."""
    return f"okr-academy-data-{user.id}-{now.date().isoformat()}.zip"


def exported_columns(model: type) -> list[str]:
    """The columns of `model` the export gives for the person's own rows."""
    omitted = OMITTED_COLUMNS.get(model, {})
    return [c.key for c in model.__table__.columns if c.key not in omitted]


# --- sections ---------------------------------------------------------------------------------

def _owned(session: Session, model: type, user: User) -> Iterable[Any]:
    return session.scalars(select(model).where(model.user_id == user.id).order_by(model.id))


def _directory(session: Session, user: User) -> dict[str, Any] | None:
    """What the organisation's directory told us about the person, and their groups."""
    account = session.get(ProvisionedAccount, user.id)
    groups = session.scalars(
        select(DirectoryGroup.display_name).join(DirectoryGroupMember)
        .where(DirectoryGroupMember.user_id == user.id).order_by(DirectoryGroup.display_name))
    if account is None:
        names = list(groups)
        return {"groups": names} if names else None
    return _row(account) | {"groups": list(groups)}


def _submissions(session: Session, user: User) -> list[dict[str, Any]]:
    rows = []
    for submission in _owned(session, CapstoneSubmission, user):
        files = session.scalars(select(CapstoneFile).options(defer(CapstoneFile.data)).where(
            CapstoneFile.submission_id == submission.id).order_by(CapstoneFile.id))
        rows.append(_row(submission) | {"files": [
            _row(f) | {"archive_file": f"capstone/{submission.id}/{f.id}-{_safe(f.filename)}"}
            for f in files]})
    return rows


def _certificates(session: Session, user: User) -> list[Certificate]:
    return list(session.scalars(
        select(Certificate).options(defer(Certificate.pdf))
        .where(Certificate.user_id == user.id).order_by(Certificate.id)))


def _certificate(session: Session, certificate: Certificate) -> dict[str, Any]:
    """A certificate's facts, its status history and every verification of it."""
    history = session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "certificate",
                                 AuditEvent.target_id == certificate.code)
        .order_by(AuditEvent.created_at, AuditEvent.id))
    checks = session.execute(
        select(*(getattr(VerificationLog, name) for name in VERIFICATION_COLUMNS))
        .where(VerificationLog.code == certificate.code).order_by(VerificationLog.id))
    return _row(certificate) | {
        "public_reason_text": public_reason_text(certificate.public_reason),
        "pdf_file": f"certificates/{certificate.code}.pdf",
        "status_history": [
            {"at": _plain(e.created_at), "action": e.action,
             "public_reason": (e.details or {}).get("public_reason"),
             "previous_status": (e.details or {}).get("previous_status")}
            for e in history],
        "verifications": [dict(zip(VERIFICATION_COLUMNS, map(_plain, row))) for row in checks],
    }


def _mails(session: Session, user: User, subject_of: SubjectOf | None) -> list[dict[str, Any]]:
    mails = session.scalars(select(Notification).where(or_(
        Notification.user_id == user.id, Notification.recipient == user.email))
        .order_by(Notification.id))
    return [{name: _plain(getattr(n, name)) for name in MAIL_COLUMNS}
            | {"subject": subject_of(n) if subject_of else None} for n in mails]


def _audit(session: Session, user: User, codes: list[str]) -> list[dict[str, Any]]:
    """The entries the person made and those about them or their certificates. Of an entry
    the person made about someone else, only what was done and when."""
    about = or_(and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user.id)),
                and_(AuditEvent.target_type == "certificate", AuditEvent.target_id.in_(codes)))
    entries = session.scalars(select(AuditEvent).where(or_(AuditEvent.actor_id == user.id, about))
                              .order_by(AuditEvent.created_at, AuditEvent.id))
    rows = []
    for entry in entries:
        own = (entry.target_type == "user" and entry.target_id == str(user.id)) \
            or (entry.target_type == "certificate" and entry.target_id in codes)
        rows.append({
            "at": _plain(entry.created_at), "action": entry.action,
            "by": "you" if entry.actor_id == user.id else ("staff" if entry.actor_id else "system"),
            "target_type": entry.target_type, "target_id": entry.target_id if own else None,
            "summary": entry.summary if own else None})
    return rows


# --- plain values -----------------------------------------------------------------------------

def _rows(objects: Iterable[Any]) -> list[dict[str, Any]]:
    return [_row(o) for o in objects]


def _row(obj: Any) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in exported_columns(type(obj))}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # never reached for the columns given; bytes go into files
    return value


def _safe(filename: str) -> str:
    """A file name safe inside the archive: no folders, no control characters."""
    name = re.sub(r"[^\w.\- ]+", "_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return name.strip(" .")[:120] or "file"
