"""The development mail folder: the `.eml` files the folder transport writes when no MAIL_URL is
set, listed and opened as a mail client would, for the administrators' mail pages.

A file is only ever looked up by a plain name (`NAME`) that resolves to a regular file directly
inside the folder: no path, no `..`, no symlink that leads out. Files are read up to a bound.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from app.domain import DomainError
from app.paging import Page, paginate

#: what a mail file may be called: a plain name ending in .eml
NAME = re.compile(r"[A-Za-z0-9._-]{1,200}\.eml")
#: the largest file the pages open
MAX_BYTES = 25 * 1024 * 1024
#: how much of each file the listing reads for its headers
HEADER_BYTES = 64 * 1024
#: the headers a message page shows, in this order
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
#: without any of these, a file is not a mail
MAIL_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")
#: what a header or a part may raise when it is read from a broken file
_UNREADABLE = (ValueError, LookupError, TypeError, AttributeError, IndexError, UnicodeError,
               AssertionError)


class MailFileNotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "There is no such mail in the mail folder.") -> None:
        super().__init__(message)


class MailFileTooLarge(DomainError):
    status_code = 413


class MalformedMail(Exception):
    """The file is there but cannot be read as a mail."""


@dataclass(frozen=True)
class Summary:
    """One line of the folder's listing."""

    name: str
    size: int
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class AttachmentInfo:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageView:
    """What a message page shows: the headers, both parts, the attachments, the file's faults."""

    name: str
    size: int
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[AttachmentInfo]
    problems: list[str]

    @property
    def subject(self) -> str:
        return dict(self.headers).get("Subject", "")


def folder_for(config: Mapping) -> Path | None:
    """The folder mails are written to, or None when they go to an SMTP server (MAIL_URL)."""
    if config.get("MAIL_URL"):
        return None
    return Path(config.get("MAIL_FOLDER") or Path(config["INSTANCE_PATH"]) / "mail")


def message_names(folder: Path) -> list[str]:
    """The mail files of the folder, newest first (by the time each was written, then name)."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        try:
            if NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
        except OSError:
            continue  # removed meanwhile
    return [name for _, name in sorted(found, reverse=True)]


def summaries(folder: Path, names: list[str]) -> list[Summary]:
    """Date, recipient and subject of each named file, from its first HEADER_BYTES."""
    found = []
    for name in names:
        try:
            path = message_path(folder, name)
            with path.open("rb") as file:
                head = file.read(HEADER_BYTES)
            size = path.stat().st_size
        except (MailFileNotFound, OSError):
            continue  # removed meanwhile
        found.append(_summary(name, size, head))
    return found


def _summary(name: str, size: int, head: bytes) -> Summary:
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(head)
        return Summary(name, size, _date(headers), _header(headers, "To"),
                       _header(headers, "Subject"))
    except _UNREADABLE:
        return Summary(name, size, None, "", "(unreadable)")


def message_path(folder: Path, name: str) -> Path:
    """The file `name` directly inside `folder`; MailFileNotFound for any other name."""
    if not NAME.fullmatch(name):
        raise MailFileNotFound()
    try:
        root = folder.resolve(strict=True)
        path = (root / name).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        raise MailFileNotFound() from None
    if path.parent != root or not path.is_file():
        raise MailFileNotFound()
    return path


def read_message(folder: Path, name: str, max_bytes: int = MAX_BYTES) -> EmailMessage:
    """The parsed file; MailFileTooLarge past `max_bytes`, MalformedMail when it is no mail."""
    return _read(folder, name, max_bytes)[0]


def _read(folder: Path, name: str, max_bytes: int) -> tuple[EmailMessage, int]:
    path = message_path(folder, name)
    with path.open("rb") as file:
        raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise MailFileTooLarge(f"This mail is larger than {max_bytes // (1024 * 1024)} MB: "
                               "it is not shown here.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except _UNREADABLE as error:
        raise MalformedMail(f"The file could not be parsed ({type(error).__name__}).") from error
    if not any(header in message for header in MAIL_HEADERS):
        raise MalformedMail("The file has none of the headers of a mail (From, To, Subject, "
                            "Date, Message-ID).")
    return message, len(raw)


def open_message(folder: Path, name: str, max_bytes: int = MAX_BYTES) -> MessageView:
    """What the message page shows of the file `name`."""
    message, size = _read(folder, name, max_bytes)
    try:
        return MessageView(
            name=name, size=size,
            headers=[(header, _header(message, header)) for header in SHOWN_HEADERS],
            text=_part_text(message, "plain"), html=_part_text(message, "html"),
            attachments=[AttachmentInfo(index, _filename(part, index), part.get_content_type(),
                                        len(_payload(part)))
                         for index, part in enumerate(message.iter_attachments())],
            problems=_problems(message))
    except _UNREADABLE as error:
        raise MalformedMail(f"A part of the file could not be read ({type(error).__name__}: "
                            f"{error}).") from error


def attachment(folder: Path, name: str, index: int,
               max_bytes: int = MAX_BYTES) -> tuple[str, bytes]:
    """The file name and bytes of the attachment numbered `index` (from 0) of a mail."""
    message = read_message(folder, name, max_bytes)
    try:
        parts = list(message.iter_attachments())
        if not 0 <= index < len(parts):
            raise MailFileNotFound("This mail has no such attachment.")
        return _filename(parts[index], index), _payload(parts[index])
    except _UNREADABLE as error:
        raise MalformedMail(f"The attachment could not be read ({type(error).__name__}).") \
            from error


def _header(message: EmailMessage, name: str) -> str:
    """A header as text; a header too broken to decode shows as it is written."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except _UNREADABLE:
        return next((str(value) for key, value in message.raw_items()
                     if key.lower() == name.lower()), "")


def _date(message: EmailMessage) -> datetime | None:
    value = message.get("Date")
    return getattr(value, "datetime", None) if value is not None else None


def _part_text(message: EmailMessage, subtype: str) -> str | None:
    """The body part of that subtype as text; an unknown charset is read as UTF-8."""
    part = message.get_body((subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        return _payload(part).decode("utf-8", "replace")


def _payload(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: EmailMessage, index: int) -> str:
    return part.get_filename() or f"attachment-{index + 1}"


def _problems(message: EmailMessage) -> list[str]:
    """The faults the parser found in the file, in words."""
    defects = list(message.defects)
    for part in message.walk():
        if part is not message:
            defects += part.defects
    return [(type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
            for defect in defects]


def folder_page(folder: Path, page: int, per_page: int) -> Page:
    """The page numbered `page` (from 1) of the folder's mails, newest first."""
    return paginate(message_names(folder), page, per_page,
                    shown=lambda names: summaries(folder, names))
