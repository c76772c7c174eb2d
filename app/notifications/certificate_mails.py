"""The mails about a learner's certificate: issued, expiring, and its status changes."""
from __future__ import annotations

from flask_babel import gettext as _, ngettext
from sqlalchemy.orm import Session

from app.certificates.services import linkedin_url, public_reason_text
from app.models import Certificate
from app.models.certificates import REVOKED, SUSPENDED
from app.models.notifications import Notification
from app.notifications.kinds import Attachment, Links, Mail, mail_kind


def status_subject(change: str, course: str) -> str:
    """The subject of a status change's mail: revoked, suspended or reinstated."""
    if change == "revoked":
        return _("Your certificate for %(course)s has been revoked", course=course)
    if change == "suspended":
        return _("Your certificate for %(course)s has been suspended", course=course)
    if change == "reinstated":
        return _("Your certificate for %(course)s is valid again", course=course)
    raise LookupError(f"no status change {change!r}")


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
    return Mail(_("Congratulations: you are certified in %(course)s",
                  course=certificate.course_title), facts, (pdf,))


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
    return Mail(ngettext("Your %(course)s certificate expires in %(num)d day",
                         "Your %(course)s certificate expires in %(num)d days",
                         facts["days_left"], course=certificate.course_title), facts)


@mail_kind("certificate_status")
def certificate_status(session: Session, notification: Notification, links: Links
                       ) -> Mail | None:
    certificate = _certificate(session, notification)
    if certificate is None:
        return None
    change = notification.context["change"]
    facts = _facts(certificate, links) | {
        "change": change,
        # the public reason only: the internal note never leaves the admin pages; by its key,
        # so that it reads in the recipient's language (older notifications kept the sentence)
        "public_reason": public_reason_text(notification.context.get("public_reason_key"))
        or notification.context.get("public_reason"),
        "revoked": change == "revoked" or certificate.status == REVOKED,
        "suspended": change == "suspended" and certificate.status == SUSPENDED,
    }
    return Mail(status_subject(change, certificate.course_title), facts)


@mail_kind("test")
def test_mail(session: Session, notification: Notification, links: Links) -> Mail:
    """What `flask mail test` sends: proof that the settings deliver."""
    return Mail(_("Test mail from OKR Academy"), {"sent_to": notification.recipient})
