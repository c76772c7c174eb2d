"""Reading the mails the app sent, as a mail client would: run the queued jobs, then parse the
`.eml` files the development transport wrote into the instance folder."""
from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import Flask

from app.jobs import job_queue


def deliver_queued(app: Flask) -> int:
    """Run every job waiting in the app's queue (the deliveries the last commits enqueued)."""
    return job_queue(app).run_pending()


def sent_mails(app: Flask, to: str | None = None) -> list[EmailMessage]:
    """Deliver what is queued, then every message written so far (oldest first), optionally
    only those to one address."""
    deliver_queued(app)
    folder = Path(app.config.get("MAIL_FOLDER") or Path(app.config["INSTANCE_PATH"]) / "mail")
    messages = [parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]
    return [m for m in messages if to is None or m["To"] == to]


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def links_in(message: EmailMessage) -> list[str]:
    """The links of the plain-text part, in order."""
    return re.findall(r"https?://[^\s<>\"]+", text_of(message))


def path_of(url: str) -> str:
    """`http://localhost/reset/abc?x=1` → `/reset/abc?x=1`, for the test client."""
    return re.sub(r"^https?://[^/]+", "", url)
