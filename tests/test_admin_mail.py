"""The administrators' mail pages: the outbox by status, retrying failed mails, and the mails
written to the development mail folder, opened safely."""
from __future__ import annotations

import os
import re
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.jobs import job_queue
from app.models import AuditEvent, Notification
from app.models.notifications import FAILED, PENDING, SENT
from app.notifications import mail_folder, outbox
from tests.mailbox import sent_mails

PDF = b"%PDF-1.7 not really a certificate\n" * 10


def _notification(db, app, to="someone@example.com", *, status=PENDING, key=None):
    """A committed notification in `status`, its delivery job dropped (nothing runs by itself)."""
    notification_id = outbox.queue(db.session, kind="test", to=to, now=utcnow(),
                                   key=key or f"admin-mail-test:{to}:{status}")
    notification = db.session.get(Notification, notification_id)
    if status == FAILED:
        notification.status, notification.attempts = FAILED, 8
        notification.last_error = "550 mailbox unavailable"
    elif status == SENT:
        notification.status, notification.sent_at = SENT, utcnow()
    db.session.commit()
    job_queue(app).huey.flush()
    return notification_id


def _folder(app) -> Path:
    folder = mail_folder.folder_for(app.config)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_eml(app, name: str, *, subject="Hello", to="reader@example.com", html=None,
               attachment: bytes | None = None) -> Path:
    message = EmailMessage()
    message["From"] = "OKR Academy <no-reply@okr.academy>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{name}@okr.academy>"
    message["List-Unsubscribe"] = "<https://okr.academy/mail/unsubscribe/abc>"
    message.set_content("Plain words & <angle brackets>.\nSecond line.")
    message.add_alternative(html or "<p style=\"color: #1d4ed8\">Styled words</p>", subtype="html")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf",
                               filename="OKR-TEST-CODE.pdf")
    path = _folder(app) / name
    path.write_bytes(bytes(message))
    return path


def _directive(policy: str, name: str) -> str:
    return next((part.strip() for part in policy.split(";") if part.strip().startswith(name)), "")


# --- who may open the pages ------------------------------------------------------------------

@pytest.mark.parametrize("role", ["learner", "trainer", "hr"])
def test_only_administrators_open_the_mail_pages(app, client, login_as, role):
    _write_eml(app, "one.eml")
    for path in ("/admin/mail", "/admin/mail/messages", "/admin/mail/messages/one.eml",
                 "/admin/mail/messages/one.eml/attachment?index=0"):
        assert client.get(path).status_code == 302, path  # anonymous: the login page
    login_as(role)
    for path in ("/admin/mail", "/admin/mail/messages", "/admin/mail/messages/one.eml",
                 "/admin/mail/messages/one.eml/attachment?index=0"):
        assert client.get(path).status_code == 403, path


def test_others_cannot_retry_mails(app, db, browser, login_as):
    failed = _notification(db, app, status=FAILED)
    login_as("hr")
    token = browser.token("/account")
    for path in ("/admin/mail/retry", "/admin/mail/retry-failed"):
        response = browser.client.post(path, data={"csrf_token": token, "notification_id": failed})
        assert response.status_code == 403
    assert db.session.get(Notification, failed).status == FAILED
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry")).all() \
        == []


# --- the outbox --------------------------------------------------------------------------------

def test_the_page_counts_lists_and_filters_the_notifications(app, db, client, login_as):
    failed = _notification(db, app, "failed@example.com", status=FAILED)
    sent = _notification(db, app, "sent@example.com", status=SENT)
    _notification(db, app, "waiting@example.com")
    login_as("admin")
    html = client.get("/admin/mail").get_data(as_text=True)
    counts = {label: value for value, label in re.findall(
        r'hr-tile-value">(\d+)</span><span class="hr-tile-label">(\w+)', html)}
    assert counts == {"pending": "1", "sending": "0", "sent": "1", "failed": "1", "skipped": "0"}
    assert all(f"{who}@example.com" in html for who in ("failed", "sent", "waiting"))
    assert "550 mailbox unavailable" in html and "Retry all failed (1)" in html
    only_failed = client.get("/admin/mail?status=failed").get_data(as_text=True)
    assert f'id="notification-{failed}"' in only_failed
    assert f'id="notification-{sent}"' not in only_failed
    assert "waiting@example.com" not in only_failed
    assert only_failed.count(">Retry</button>") == 1
    # an unknown status or page is ignored, never an error
    assert "waiting@example.com" in client.get("/admin/mail?status=<b>&page=x").get_data(
        as_text=True)


def test_the_notifications_are_paged_newest_first(app, db, client, login_as):
    ids = [_notification(db, app, f"n{i}@example.com") for i in range(30)]
    login_as("admin")
    first = client.get("/admin/mail").get_data(as_text=True)
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert f'id="notification-{ids[-1]}"' in first and f'id="notification-{ids[0]}"' not in first
    assert f'id="notification-{ids[0]}"' in second and "Page 2 of 2" in second
    assert "n29@example.com" not in client.get("/admin/mail?page=99").get_data(as_text=True)


def test_retrying_a_failed_mail_delivers_it_and_is_audited(app, db, browser, login_as):
    failed = _notification(db, app, "bounced@example.com", status=FAILED)
    admin = login_as("admin")
    response = browser.post("/admin/mail/retry?status=failed", {"notification_id": failed},
                            token_from="/admin/mail")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/mail?status=failed")
    notification = db.session.get(Notification, failed)
    assert (notification.status, notification.attempts) == (PENDING, 0)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry")).one()
    assert (event.actor_id, event.target_id, event.details["ids"]) == (admin.id, str(failed),
                                                                       [failed])
    # the delivery was enqueued once the request committed: the consumer sends it
    assert [m["To"] for m in sent_mails(app)] == ["bounced@example.com"]
    db.session.expire_all()
    assert db.session.get(Notification, failed).status == SENT
    assert "is queued again" in browser.get("/admin/mail").get_data(as_text=True)


def test_retry_all_failed_sends_every_failed_mail_once(app, db, browser, login_as):
    first = _notification(db, app, "a@example.com", status=FAILED)
    second = _notification(db, app, "b@example.com", status=FAILED)
    _notification(db, app, "c@example.com", status=SENT)
    login_as("admin")
    response = browser.post("/admin/mail/retry-failed", token_from="/admin/mail")
    assert response.status_code == 303
    assert job_queue(app).run_pending() == 2
    db.session.expire_all()
    assert {db.session.get(Notification, i).status for i in (first, second)} == {SENT}
    assert sorted(m["To"] for m in sent_mails(app)) == ["a@example.com", "b@example.com"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry")).one()
    assert (event.target_id, event.details["count"]) == ("failed", 2)


def test_a_retry_with_nothing_failed_is_refused_and_changes_nothing(app, db, browser, login_as):
    sent = _notification(db, app, status=SENT)
    login_as("admin")
    for path, form in (("/admin/mail/retry", {"notification_id": sent}),
                       ("/admin/mail/retry", {"notification_id": 999999}),
                       ("/admin/mail/retry-failed", {})):
        response = browser.post(path, form, token_from="/admin/mail")
        assert response.status_code == 303, path
        assert "no failed mail to retry" in browser.get("/admin/mail").get_data(as_text=True)
    assert job_queue(app).huey.pending_count() == 0
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry")).all() \
        == []
    # a forged or missing id, or no token: nothing happens either
    for forged in ("", "x", "-1", "99999999999", "1e3"):
        response = browser.post("/admin/mail/retry", {"notification_id": forged},
                                token_from="/admin/mail")
        assert response.status_code == 400, forged
    assert browser.client.post("/admin/mail/retry", data={"notification_id": sent}
                               ).status_code == 400


# --- the written mails -----------------------------------------------------------------------

def test_written_mails_are_listed_newest_first_and_open(app, db, client, login_as):
    delivered = _notification(db, app, "first@example.com")
    job_queue(app).enqueue(outbox.DELIVER_JOB, notification_id=delivered)
    sent_mails(app)
    older = _write_eml(app, "older.eml", subject="The older one")
    os.utime(older, (1_000_000_000, 1_000_000_000))
    _write_eml(app, "newer.eml", subject="The newer one", attachment=PDF)
    login_as("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    subjects = re.findall(r'<a href="/admin/mail/messages/[^"]+">([^<]+)</a>', page)
    assert subjects[0] == "The newer one" and subjects[-1] == "The older one"
    assert "Test mail from OKR Academy" in subjects
    assert subjects == re.findall(r'<a href="/admin/mail/messages/[^"]+">([^<]+)</a>',
                                  client.get("/admin/mail/messages").get_data(as_text=True))
    response = client.get("/admin/mail/messages/newer.eml")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("OKR Academy &lt;no-reply@okr.academy&gt;", "reader@example.com",
                  "The newer one", "&lt;newer.eml@okr.academy&gt;",
                  "https://okr.academy/mail/unsubscribe/abc"):
        assert shown in html, shown
    assert ('<pre class="mail-text">Plain words &amp; &lt;angle brackets&gt;.\nSecond line.\n'
            "</pre>") in html
    assert "OKR-TEST-CODE.pdf" in html and "application/pdf" in html
    download = client.get("/admin/mail/messages/newer.eml/attachment?index=0")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "OKR-TEST-CODE.pdf" in download.headers["Content-Disposition"]
    for bad in ("index=1", "index=-1", "index=x", ""):
        assert client.get(f"/admin/mail/messages/newer.eml/attachment?{bad}").status_code == 404


def test_the_html_part_is_shown_in_a_sandboxed_frame_with_its_styles(app, client, login_as):
    hostile = ('<style>p { color: red }</style><p style="color: #1d4ed8">Styled</p>'
               '<script>parent.document.title = "owned"</script>'
               '"><img src=x onerror=alert(1)><iframe src="https://evil.example"></iframe>')
    _write_eml(app, "hostile.eml", html=hostile)
    login_as("admin")
    response = client.get("/admin/mail/messages/hostile.eml")
    html = response.get_data(as_text=True)
    frames = re.findall(r"<iframe[^>]*>", html)
    assert len(frames) == 1  # the mail's own frame and script are text inside srcdoc
    assert ' sandbox="" ' in frames[0] and "allow-" not in frames[0]
    srcdoc = re.search(r'srcdoc="([^"]*)"', frames[0]).group(1)
    assert "&lt;script&gt;" in srcdoc and "&#34;&gt;&lt;img" in srcdoc
    assert "<script>parent" not in html and "onerror=alert(1)>" not in html
    # the frame inherits the page's policy: inline styles apply, scripts never do
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in _directive(policy, "style-src")
    assert _directive(policy, "script-src") == "script-src 'self'"
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    # every other page keeps the strict policy
    assert "unsafe-inline" not in client.get("/admin/mail").headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [
    "/admin/mail/messages/../secret.eml",
    "/admin/mail/messages/..%2Fsecret.eml",
    "/admin/mail/messages/%2E%2E%2Fsecret.eml",
    "/admin/mail/messages/..%5Csecret.eml",
    "/admin/mail/messages/%2Fetc%2Fpasswd",
    "/admin/mail/messages/outside.eml",
    "/admin/mail/messages/loop.eml",
    "/admin/mail/messages/folder.eml",
    "/admin/mail/messages/notes.txt",
    "/admin/mail/messages/missing.eml",
    "/admin/mail/messages/%00.eml",
    "/admin/mail/messages/" + "a" * 300 + ".eml",
    "/admin/mail/messages/outside.eml/attachment?index=0",
    "/admin/mail/messages/..%2Fsecret.eml/attachment?index=0",
])
def test_nothing_outside_the_mail_folder_can_be_opened(app, client, login_as, tmp_path, path):
    folder = _folder(app)
    secret = _write_eml(app, "secret.eml", subject="Secret outside", attachment=PDF)
    secret = secret.rename(folder.parent / "secret.eml")
    (folder / "outside.eml").symlink_to(secret)
    (folder / "loop.eml").symlink_to(folder / "loop.eml")
    (folder / "folder.eml").mkdir()
    (folder / "notes.txt").write_text("Subject: not a mail file\n\nhello")
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "Secret outside" not in response.get_data(as_text=True)


def test_the_symlinks_and_folders_are_not_listed(app, client, login_as):
    folder = _folder(app)
    outside = _write_eml(app, "outside-target.eml", subject="Secret outside")
    outside = outside.rename(folder.parent / "outside-target.eml")
    (folder / "outside.eml").symlink_to(outside)
    _write_eml(app, "inside.eml", subject="Inside")
    login_as("admin")
    html = client.get("/admin/mail/messages").get_data(as_text=True)
    assert "Inside" in html and "Secret outside" not in html


def test_a_file_over_25_mb_is_refused(app, client, login_as):
    path = _write_eml(app, "huge.eml", subject="Huge")
    with path.open("r+b") as file:
        file.truncate(mail_folder.MAX_BYTES + 1)
    login_as("admin")
    response = client.get("/admin/mail/messages/huge.eml")
    assert response.status_code == 413
    assert "larger than 25 MB" in response.get_data(as_text=True)
    assert client.get("/admin/mail/messages/huge.eml/attachment?index=0").status_code == 413
    assert "Huge" in client.get("/admin/mail/messages").get_data(as_text=True)  # still listed


@pytest.mark.parametrize("raw", [
    b"\x00\xff\xfe binary garbage\n\nthat is no mail",
    b"",
    b"just a line of text without any header",
])
def test_a_malformed_file_gets_a_clear_page(app, client, login_as, raw):
    (_folder(app) / "broken.eml").write_bytes(raw)
    login_as("admin")
    response = client.get("/admin/mail/messages/broken.eml")
    assert response.status_code == 422
    assert "This file is not a readable mail." in response.get_data(as_text=True)
    assert client.get("/admin/mail/messages/broken.eml/attachment?index=0").status_code == 404
    assert client.get("/admin/mail/messages").status_code == 200


def test_a_damaged_mail_shows_what_can_be_read_and_its_faults(app, client, login_as):
    (_folder(app) / "damaged.eml").write_bytes(
        b"To: <<<@@@>>>,,,\r\nSubject: =?utf-8?q?half\r\nDate: not a date\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nkept words\r\n")
    login_as("admin")
    response = client.get("/admin/mail/messages/damaged.eml")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "kept words" in html and "The file has faults" in html
    assert client.get("/admin/mail/messages").status_code == 200


def test_without_a_mail_folder_no_written_mail_is_offered(app, client, login_as):
    _write_eml(app, "one.eml", subject="Written before")
    app.config["MAIL_URL"] = "smtp://mail.example.com:587"
    login_as("admin")
    page = client.get("/admin/mail")
    assert page.status_code == 200 and "Written mails" not in page.get_data(as_text=True)
    for path in ("/admin/mail/messages", "/admin/mail/messages/one.eml",
                 "/admin/mail/messages/one.eml/attachment?index=0"):
        assert client.get(path).status_code == 404, path


def test_the_admin_navigation_links_the_mail_page(client, login_as):
    login_as("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert '<a href="/admin/mail">Mail</a>' in html
    assert '<a href="/admin/mail" aria-current="page">Mail</a>' in client.get(
        "/admin/mail").get_data(as_text=True)
