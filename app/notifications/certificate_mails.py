"""The mails about a learner's certificate: issued, expiring, and its status changes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.certificates.services import linkedin_url
from app.models import Certificate
from app.models.certificates import REVOKED, SUSPENDED
from app.models.notifications import Notification
from app.notifications.kinds import Attachment, Links, Mail, mail_kind

#: subjects of the status changes, by the change
STATUS_SUBJECTS = {
    "revoked": "Your certificate for {course} has been revoked",
    "suspended": "Your certificate for {course} has been suspended",
    "reinstated": "Your certificate for {course} is valid again",
}


def _certificate(session: Session, notification: Notification) -> Certificate | None:
    return session.get(Certificate, notification.context.get("certificate_id"))


def _facts(certificate: Certificate, links: Links) -> dict:
    return {"certificate": certificate, "course_title": certificate.course_title,
            "holder_name": certificate.holder_name, "code": certificate.code,
            "verify_url": links.url("verify.certificate_page", code=certificate.code),
            "certificate_url": links.url("certificates.certificate_page", code=certificate.code)}


@mail_kind("certificate_issued")
def certificate_issued(session: Session, notification: Notification, links: Links) -> Mail | None:
    certificate = _certificate(session, notification)
    if certificate is None:
        return None
    issuer_name = notification.context.get("issuer_name") or "OKR Academy"
    facts = _facts(certificate, links) | {
        "linkedin_url": linkedin_url(certificate, issuer_name),
        "renewal": bool(certificate.previous_id),
    }
    pdf = Attachment(f"{certificate.code}.pdf", "application/pdf", certificate.pdf)
    return Mail(f"Congratulations: you are certified in {certificate.course_title}", facts, (pdf,))


@mail_kind("certificate_expiring")
def certificate_expiring(session: Session, notification: Notification, links: Links
                         ) -> Mail | None:
    certificate = _certificate(session, notification)
    if certificate is None or certificate.status != "active":
        return None  # renewed (superseded), revoked or suspended since the reminder was written
    facts = _facts(certificate, links) | {
        "days_left": notification.context["days_left"],
        "expires_at": certificate.expires_at,
        "renew_url": links.url("courses.course_page", slug=certificate.course_slug),
    }
    return Mail(f"Your {certificate.course_title} certificate expires in "
                f"{facts['days_left']} days", facts)


@mail_kind("certificate_status")
def certificate_status(session: Session, notification: Notification, links: Links
                       ) -> Mail | None:
    certificate = _certificate(session, notification)
    if certificate is None:
        return None
    change = notification.context["change"]
    facts = _facts(certificate, links) | {
        "change": change,
        # the public reason only: the internal note never leaves the admin pages
        "public_reason": notification.context.get("public_reason"),
        "revoked": change == "revoked" or certificate.status == REVOKED,
        "suspended": change == "suspended" and certificate.status == SUSPENDED,
    }
    return Mail(STATUS_SUBJECTS[change].format(course=certificate.course_title), facts)


@mail_kind("test")
def test_mail(session: Session, notification: Notification, links: Links) -> Mail:
    """What `flask mail test` sends: proof that the settings deliver."""
    return Mail("Test mail from OKR Academy", {"sent_to": notification.recipient})
