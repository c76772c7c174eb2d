"""`flask users ...` and `flask orgs ...`: thin wrappers on the account services."""
from __future__ import annotations

import secrets
import string

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth import recovery, services
from app.clock import utcnow
from app.extensions import db
from app.models import ROLES, Organisation, User

users_cli = AppGroup("users", help="Manage accounts.")
orgs_cli = AppGroup("orgs", help="Manage organisations.")

#: The demo accounts `make run` creates on first start (email, name, role).
DEMO_ACCOUNTS = (
    ("learner@demo.okr.academy", "Alex Learner", "learner"),
    ("trainer@demo.okr.academy", "Taylor Trainer", "trainer"),
    ("hr@demo.okr.academy", "Harper Recruiter", "hr"),
    ("admin@demo.okr.academy", "Avery Admin", "admin"),
)


def init_cli(app: Flask) -> None:
    """Register every command group of the app, once."""
    from app.authoring.cli import course_maintainers, export_course, import_gift
    from app.certificates.cli import certificates_group
    from app.courses.cli import courses_group
    from app.notifications.cli import jobs_group, mail_group
    from app.verify.cli import verify_command

    courses_group.add_command(export_course)
    courses_group.add_command(import_gift)
    courses_group.add_command(course_maintainers)
    certificates_group.add_command(verify_command)
    for group in (users_cli, orgs_cli, courses_group, certificates_group, jobs_group,
                  mail_group):
        app.cli.add_command(group)


def _policy():
    return services.PasswordPolicy.from_config(current_app.config)


def _fail(message: str):
    raise click.ClickException(message)


def _user(email: str) -> User:
    user = services.find_user_by_email(db.session, email)
    if user is None:
        _fail(f"No account with the email {email}.")
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Name as it appears on certificates.")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--org", "org_slug", help="Slug of the organisation the user belongs to.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email, name, role, org_slug, password):
    """Create an account."""
    org = None
    if org_slug:
        org = services.organisation_by_slug(db.session, org_slug)
        if org is None:
            _fail(f"No organisation with the slug {org_slug!r} (see `flask orgs list`).")
    try:
        user = services.create_user(db.session, email=email, name=name, password=password,
                                    policy=_policy(), roles=(role,), organisation=org)
    except services.AccountError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}).")


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def grant(email, role):
    """Grant ROLE to the account EMAIL."""
    user = _user(email)
    services.grant_role(db.session, None, user, role)
    db.session.commit()
    click.echo(f"{user.email} now has: {', '.join(sorted(user.roles))}.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="Asked for (twice, hidden) when omitted.")
def set_password(email, password):
    """Set the password of the account EMAIL; every login of the account ends."""
    user = _user(email)
    try:
        ended = recovery.set_password(db.session, None, user, password, _policy(), utcnow())
    except services.AccountError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    click.echo(f"Password of {user.email} set; {ended} login{'s' if ended != 1 else ''} ended.")


@users_cli.command("list")
@click.option("--role", type=click.Choice(ROLES))
def list_users(role):
    """List accounts."""
    for user in db.session.scalars(services.search_users(role=role)):
        org = user.organisation.slug if user.organisation else "-"
        state = "" if user.is_active_account else "  (deactivated)"
        click.echo(f"{user.email:<40} {user.name:<30} {','.join(sorted(user.roles)):<24} "
                   f"{org}{state}")


@users_cli.command("demo")
def create_demo_accounts():
    """Create one demo account per role, once, and print their passwords."""
    if services.find_user_by_email(db.session, DEMO_ACCOUNTS[0][0]) is not None:
        click.echo("Demo accounts exist already (their passwords were printed when created).")
        return
    org = services.organisation_by_slug(db.session, "demo-corp") or \
        services.create_organisation(db.session, "Demo Corp", slug="demo-corp")
    click.echo("Demo accounts (passwords are shown only this once):")
    for email, name, role in DEMO_ACCOUNTS:
        password = demo_password()
        services.create_user(db.session, email=email, name=name, password=password,
                             policy=_policy(), roles=(role,), organisation=org)
        click.echo(f"  {role:<8} {email:<28} {password}")
    db.session.commit()


def demo_password() -> str:
    """A random password that satisfies the strength rule."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(14))
    return f"{core}-{secrets.choice(string.digits)}{secrets.choice(string.ascii_uppercase)}"


@orgs_cli.command("create")
@click.argument("name")
@click.option("--slug", help="Short name; derived from NAME when omitted.")
def create_org(name, slug):
    """Create an organisation and print its invitation link."""
    try:
        org = services.create_organisation(db.session, name, slug=slug)
    except services.AccountError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(f"Created {org.name} ({org.slug}). Invitation link: {base}/register?invite="
               f"{org.invite_token}")


@orgs_cli.command("list")
def list_orgs():
    """List organisations."""
    for org in db.session.scalars(select(Organisation).order_by(Organisation.name)):
        click.echo(f"{org.slug:<24} {org.name:<40} {len(org.members)} members")
