"""`flask certificates verify FILE-or-CODE`: the same verdict on the command line.

Exit status 0 when the certificate is valid, 1 for any other verdict, so scripts can rely
on it. The command joins the certificates area's `flask certificates` group.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.certificates.extension import current_issuer
from app.clock import utcnow
from app.extensions import db
from app.verify import services

#: bytes read from a file given on the command line; certificates are far smaller
_MAX_FILE_BYTES = 50 * 1024 * 1024


@click.command("verify")
@click.argument("target")
@with_appcontext
def verify_command(target: str) -> None:
    """Verify a certificate PDF (a file path) or a certificate code."""
    issuer, now = current_issuer(), utcnow()
    path = Path(target)
    if path.is_file():
        result = services.verify_pdf(db.session, _read(path), keyring=issuer.keyring,
                                     trust_roots=issuer.trust_roots(), now=now)
        _print_pdf(result)
        code, outcome, valid = result.code or "", result.outcome, result.is_valid
    else:
        verdict = services.verify_certificate(db.session, target, keyring=issuer.keyring, now=now)
        _print_verdict(verdict)
        code, outcome, valid = services.logged_code(verdict, target), verdict.outcome, \
            verdict.is_valid
    services.log_verification(db.session, code=code, channel="cli", outcome=outcome, client=None,
                              now=now)
    db.session.commit()
    click.get_current_context().exit(0 if valid else 1)


def _read(path: Path) -> bytes:
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise click.ClickException(f"{path} is larger than 50 MB; it is not a certificate.")
    return path.read_bytes()


def _print_verdict(verdict: services.Verdict) -> None:
    click.echo(f"{verdict.outcome}: {verdict.headline}")
    click.echo(verdict.summary)
    stated = verdict.certificate
    if stated is not None:
        click.echo(f"  Code:     {stated.code}")
        click.echo(f"  Holder:   {stated.holder_name}")
        click.echo(f"  Course:   {stated.course_title} (version {stated.course_version})")
        click.echo(f"  Issued:   {stated.issued_on.isoformat()}")
        click.echo(f"  Expires:  {stated.expires_on.isoformat() if stated.expires_on else 'never'}")
        click.echo(f"  Issuer:   {stated.issuer}")
    if verdict.status_reason:
        click.echo(f"  Reason:   {verdict.status_reason}")
    for reason in verdict.reasons:
        click.echo(f"  - {reason}")


def _print_pdf(result: services.PdfVerdict) -> None:
    click.echo(f"{result.outcome}: {result.headline}")
    click.echo(result.summary)
    for finding in result.findings:
        mark = {True: "ok", False: "FAILED", None: "n/a"}[finding.passed]
        click.echo(f"  [{mark}] {finding.label}: {finding.detail}")
    if result.certificate is not None and result.certificate.certificate is not None:
        click.echo("As issued:")
        _print_verdict(result.certificate)
