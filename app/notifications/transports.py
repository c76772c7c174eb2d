"""Where messages go: an SMTP server (MAIL_URL), or `.eml` files in a folder (development)."""
from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class DeliveryError(Exception):
    """The message was not accepted; `permanent` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpTransport:
    """``smtp://user:pass@host:587`` (STARTTLS when the server offers it; ``?tls=required``
    refuses a server that does not) or ``smtps://user:pass@host:465`` (implicit TLS).

    The server's certificate and host name are always verified, against the system's
    authorities or those of `ca_file` (a private CA); a certificate that does not verify fails
    the attempt like an unreachable server (retried), never sends in clear.
    """

    def __init__(self, url: str, timeout: float = 30.0, ca_file: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAIL_URL must look like smtp://user:pass@host:587 or smtps://…:465")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        options = parse_qs(parts.query)
        self.starttls = options.get("tls", ["opportunistic"])[0]  # opportunistic|required|off
        self.timeout = timeout
        self.ca_file = ca_file or None

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"{error.smtp_code} {error.smtp_error!r}",
                                permanent=500 <= error.smtp_code < 600
                                and error.smtp_code not in (530, 535)) from error
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"recipient refused: {error.recipients!r}",
                                permanent=all(500 <= code < 600 for code in codes)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        if refused:
            raise DeliveryError(f"recipient refused: {refused!r}", permanent=True)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls != "off" and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif self.starttls == "required":
                raise DeliveryError(f"{self.host} does not offer STARTTLS")
        except BaseException:
            smtp.close()
            raise
        return smtp


class FolderTransport:
    """Each message becomes one `.eml` file named after its Message-ID: writing the same message
    twice leaves one file (written whole, then linked into place)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / file_name(message)
        if path.exists():
            return
        with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".part", delete=False) as part:
            part.write(bytes(message))
        try:
            os.link(part.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(part.name)


def file_name(message: EmailMessage) -> str:
    """`<20261205T101500Z.42.abc@host>` → `20261205T101500Z.42.abc.eml` (sortable by time)."""
    local = str(message["Message-ID"]).strip("<>").split("@", 1)[0]
    return "".join(c for c in local if c.isalnum() or c in "._-") + ".eml"


def transport_for(config) -> SmtpTransport | FolderTransport:
    url = config.get("MAIL_URL") or ""
    if url:
        return SmtpTransport(url, float(config.get("MAIL_TIMEOUT_SECONDS", 30)),
                             config.get("MAIL_CA_FILE") or None)
    return FolderTransport(config.get("MAIL_FOLDER") or Path(config["INSTANCE_PATH"]) / "mail")
