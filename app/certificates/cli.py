"""`flask certificates issue|revoke|suspend|unsuspend|list`: thin wrappers on the services."""
from __future__ import annotations

from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.services import find_user_by_email
from app.certificates import services
from app.certificates.extension import current_issuer
from app.certificates.pdf import CertificateTemplateError
from app.extensions import db
from app.models import Certificate, Course, User
from app.clock import utcnow

certificates_group = AppGroup("certificates", help="Issue, revoke and list certificates.")


def _fail(message: str) -> NoReturn:
    """Stop with the message and exit code 1."""
    db.session.rollback()
    raise click.ClickException(message)


@certificates_group.command("issue")
@click.argument("email")
@click.argument("course_slug", metavar="COURSE")
def issue(email: str, course_slug: str) -> None:
    """Issue the certificate of COURSE (a slug) to the learner EMAIL, if they met its rule."""
    user = find_user_by_email(db.session, email)
    if user is None:
        _fail(f"No account with the email {email}.")
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        known = ", ".join(db.session.scalars(select(Course.slug).order_by(Course.slug))) or "none"
        _fail(f"No course with the slug {course_slug!r} (courses: {known}).")
    held = services.live_certificate(db.session, user, course)
    try:
        certificate = services.issue_certificate(db.session, user, course, utcnow(),
                                                 issuer=current_issuer())
    except services.NotEligible as refusal:
        _fail(f"Not issued: {user.email} has not met the certification rule of {course.slug}:\n"
              + "\n".join(f"  - {reason}" for reason in refusal.reasons))
    except CertificateTemplateError as broken:
        _fail(f"Not issued: {broken}")
    db.session.commit()
    if certificate is held:
        click.echo(f"{user.email} already holds {certificate.code} ({certificate.status}, "
                   f"issued {certificate.issued_at:%Y-%m-%d}); nothing issued.")
        return
    renews = f", renewing {held.code}" if held is not None else ""
    click.echo(f"Issued {certificate.code} to {certificate.holder_name} for "
               f"{certificate.course_title}{_expiry(certificate)}{renews}.")


_PUBLIC_REASON = click.option(
    "--public-reason", type=click.Choice(sorted(services.PUBLIC_REASONS)),
    help="What verification shows as the reason (default: none is shown).")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Internal note, kept on record; never shown.")
@_PUBLIC_REASON
def revoke(code: str, reason: str, public_reason: str | None) -> None:
    """Revoke the certificate CODE for good."""
    certificate = _change(lambda: services.revoke(db.session, None, code, reason, utcnow(),
                                                  public_reason))
    click.echo(f"Revoked {certificate.code}: {certificate.status_reason}{_shown(certificate)}")


@certificates_group.command("suspend")
@click.argument("code")
@click.option("--reason", required=True, help="Internal note, kept on record; never shown.")
@_PUBLIC_REASON
def suspend(code: str, reason: str, public_reason: str | None) -> None:
    """Suspend the certificate CODE while it is investigated."""
    certificate = _change(lambda: services.suspend(db.session, None, code, reason, utcnow(),
                                                   public_reason))
    click.echo(f"Suspended {certificate.code}: {certificate.status_reason}{_shown(certificate)}")


def _shown(certificate: Certificate) -> str:
    public = services.public_reason_text(certificate.public_reason)
    return f" (verification shows: {public})" if public else " (verification shows no reason)"


@certificates_group.command("unsuspend")
@click.argument("code")
@click.option("--reason", default="", help="A note for the audit log.")
def unsuspend(code: str, reason: str) -> None:
    """Lift the suspension of the certificate CODE."""
    certificate = _change(lambda: services.unsuspend(db.session, None, code, utcnow(), reason))
    click.echo(f"{certificate.code} is active again.")


@certificates_group.command("allow-recertification")
@click.argument("code")
@click.option("--reason", required=True, help="Why a new certificate may be earned (audited).")
def allow_recertification(code: str, reason: str) -> None:
    """Let the holder of the revoked certificate CODE earn a new one by passing the exam again."""
    certificate = _change(lambda: services.allow_recertification(db.session, None, code, reason,
                                                                 utcnow()))
    click.echo(f"{certificate.holder_name} may earn a new certificate for "
               f"{certificate.course_slug} by passing the final exam again.")


def _change(apply) -> Certificate:
    """Run a status change and commit it, or exit 1 with the service's sentence."""
    try:
        certificate = apply()
    except services.CertificateError as error:
        _fail(str(error))
    db.session.commit()
    return certificate


@certificates_group.command("list")
@click.option("--status", type=click.Choice(services.STATUSES))
@click.option("--search", "q", default="", help="Code, holder name, email or course slug.")
def list_certificates(status: str | None, q: str) -> None:
    """List certificates, newest first."""
    now = utcnow()
    stmt = services.search_certificates(q, status).add_columns(User.email)
    for certificate, email in db.session.execute(stmt):
        expires = f"{certificate.expires_at:%Y-%m-%d}" if certificate.expires_at else "-"
        click.echo(f"{certificate.code}  {services.certificate_state(certificate, now):<10} "
                   f"{certificate.issued_at:%Y-%m-%d}  {expires:<10}  {email:<32} "
                   f"{certificate.course_slug}")


@certificates_group.command("expiring")
@click.option("--days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Announce certificates that expire within this many days.")
def expiring(days: int) -> None:
    """Announce the active certificates about to expire (reminders react to it)."""
    announced = services.announce_expiring(db.session, utcnow(), days)
    db.session.commit()
    for certificate in announced:
        click.echo(f"{certificate.code}  expires {certificate.expires_at:%Y-%m-%d}  "
                   f"{certificate.holder_name}")
    click.echo(f"{len(announced)} certificate(s) expire within {days} days.")


def _expiry(certificate: Certificate) -> str:
    return f", valid until {certificate.expires_at:%Y-%m-%d}" if certificate.expires_at else ""

