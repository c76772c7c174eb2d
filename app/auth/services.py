"""Accounts: registration, authentication, roles and organisations."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.auth.logins import end_all_logins
from app.auth.passwords import check_password, hash_password, hasher, password_problems, sentences
from app.clock import utcnow
from app.domain import DomainError
from app.models import (
    ROLES, AuditEvent, Organisation, SignOnConnection, SignOnDomain, User, UserRole,
)


class AccountError(DomainError):
    """A rule of the accounts domain was broken; `field` names the form field concerned."""

    status_code = 400

    def __init__(self, message: str | LazyString, field: str | None = None):
        super().__init__(message)
        self.field = field


class EmailTaken(AccountError):
    """An account with this email exists already, or was created at the same moment."""

    def __init__(self) -> None:
        super().__init__(_l("An account with this email already exists."), "email")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    time_cost: int = 3
    memory_cost: int = 65536

    @classmethod
    def from_config(cls, config) -> PasswordPolicy:
        return cls(config["PASSWORD_MIN_LENGTH"], config["ARGON2_TIME_COST"],
                   config["ARGON2_MEMORY_COST"])

    @property
    def hasher(self):
        return hasher(self.time_cost, self.memory_cost)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(session: Session, *, email: str, name: str, password: str, policy: PasswordPolicy,
                roles: tuple[str, ...] = (), organisation: Organisation | None = None,
                actor: User | None = None, verified: bool = True,
                locale: str | None = None) -> User:
    """Create an account, enforcing the password rule and a unique email (EmailTaken).

    Every other rule is checked, and the password hashed, before the email is looked up, so a
    taken email costs the same work and is the last thing a caller can learn. An account that
    an administrator, the command line or a test creates counts as verified; self-service
    registration passes `verified=False` (the owner confirms the address from a mail), and the
    language the person registered in as the account's `locale`, so that the mails written
    before they ever choose one (the address confirmation first) are in that language.
    """
    email = normalise_email(email)
    name = " ".join(name.split())
    problems = password_problems(password, min_length=policy.min_length, email=email, name=name)
    if problems:
        raise AccountError(sentences(problems), "password")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(_l("Unknown role %(role)s; roles are %(roles)s.",
                              role=repr(sorted(unknown)[0]), roles=", ".join(ROLES)), "role")
    password_hash = hash_password(password, policy.hasher)
    if find_user_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(email=email, name=name, password_hash=password_hash,
                organisation_id=organisation.id if organisation else None,
                email_verified_at=utcnow() if verified else None, locale=locale)
    user.role_grants = [UserRole(role=role) for role in sorted(set(roles) - {"learner"})]
    _insert_account(session, user)
    record(session, actor or user, "user.create", "user", user.id, f"Account {email} created",
           roles=sorted(user.roles), organisation=organisation.slug if organisation else None)
    events.user_registered.send(None, session=session, user=user, now=user.created_at)
    return user


def _insert_account(session: Session, user: User) -> None:
    """Insert the account; the unique index turns a simultaneous twin into EmailTaken."""
    email = user.email
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            raise  # another constraint than the email's
        raise EmailTaken() from None


def register(session: Session, *, email: str, name: str, password: str, policy: PasswordPolicy,
             organisation: Organisation | None = None, locale: str | None = None) -> User | None:
    """Self-service registration: the new, unverified account, or None when the email is taken.

    The caller answers both alike (see `create_user`): whether an email has an account is
    nobody's business but its owner's. The owner is told instead, by a mail
    (`events.registration_repeated`).
    """
    try:
        return create_user(session, email=email, name=name, password=password, policy=policy,
                           organisation=organisation, verified=False, locale=locale)
    except EmailTaken:
        owner = session.scalar(select(User).where(User.email == normalise_email(email)))
        if owner is not None:
            events.registration_repeated.send(None, session=session, user=owner, now=utcnow())
        return None


def authenticate(session: Session, email: str, password: str, policy: PasswordPolicy,
                 now: datetime) -> User | None:
    """The user when the credentials match an active account, else None."""
    user = find_user_by_email(session, email)
    if user is None:
        # Spend the same effort as a real check so timing does not reveal unknown emails.
        check_password(_dummy_hash(policy), password, policy.hasher)
        return None
    if not check_password(user.password_hash, password, policy.hasher) or not user.is_active:
        return None
    if policy.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, policy.hasher)
    return user


_dummy_hashes: dict[tuple[int, int], str] = {}


def _dummy_hash(policy: PasswordPolicy) -> str:
    key = (policy.time_cost, policy.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hash_password(secrets.token_hex(16), policy.hasher)
    return _dummy_hashes[key]


def change_password(session: Session, user: User, current: str, new: str,
                    policy: PasswordPolicy, now: datetime | None = None) -> None:
    """Replace the password after checking the current one and the strength rule."""
    if not check_password(user.password_hash, current, policy.hasher):
        raise AccountError(_l("Your current password is not correct."), "current_password")
    problems = password_problems(new, min_length=policy.min_length, email=user.email, name=user.name)
    if problems:
        raise AccountError(sentences(problems), "new_password")
    user.password_hash = hash_password(new, policy.hasher)
    now = now or utcnow()
    ended = end_all_logins(session, user, now, keep=user.login_id)
    record(session, user, "user.password", "user", user.id, "Password changed",
           other_logins_ended=ended)
    events.password_changed.send(None, session=session, user=user, now=now)


def update_profile(session: Session, user: User, name: str) -> None:
    name = " ".join(name.split())
    if name != user.name:
        record(session, user, "user.profile", "user", user.id, "Certificate name changed",
               old=user.name, new=name)
        user.name = name


def set_roles(session: Session, actor: User, user: User, roles: set[str]) -> None:
    roles = set(roles) - {"learner"}
    unknown = roles - set(ROLES)
    if unknown:
        raise AccountError(_l("Unknown role %(role)s.", role=repr(sorted(unknown)[0])), "roles")
    if user.id == actor.id and "admin" not in roles:
        raise AccountError(_l("You cannot remove your own admin role."), "roles")
    before = sorted(user.roles)
    user.role_grants = [g for g in user.role_grants if g.role in roles] + [
        UserRole(role=r) for r in sorted(roles - {g.role for g in user.role_grants})
    ]
    session.flush()
    if before != sorted(user.roles):
        record(session, actor, "user.roles", "user", user.id, f"Roles of {user.email} changed",
               before=before, after=sorted(user.roles))


def grant_role(session: Session, actor: User | None, user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError(_l("Unknown role %(role)s; roles are %(roles)s.", role=repr(role),
                              roles=", ".join(ROLES)), "role")
    if role in user.roles:
        return
    user.role_grants.append(UserRole(role=role))
    session.flush()
    record(session, actor, "user.grant", "user", user.id, f"{role} granted to {user.email}",
           role=role)


def set_active(session: Session, actor: User, user: User, active: bool,
               now: datetime | None = None) -> None:
    """Deactivate or reactivate an account (never one's own)."""
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    if user.is_active_account != active:
        user.is_active_account = active
        record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id,
               f"{user.email} {'reactivated' if active else 'deactivated'}")
        if not active:
            now = now or utcnow()
            end_all_logins(session, user, now)
            events.user_deactivated.send(None, session=session, user=user, actor=actor,
                                         now=now)


def log_out(session: Session, user: User, now: datetime) -> int:
    """Log out: every login of the account ends at once (audited); the count ended."""
    ended = end_all_logins(session, user, now)
    record(session, user, "user.logout", "user", user.id, f"{user.email} logged out",
           logins_ended=ended)
    return ended


def sign_out_everywhere(session: Session, actor: User, user: User, now: datetime) -> int:
    """End every login of the user (an administrator's or the user's own decision); audited."""
    keep = user.login_id if actor.id == user.id else None
    ended = end_all_logins(session, user, now, keep=keep)
    record(session, actor, "user.sign_out_everywhere", "user", user.id,
           f"{user.email} signed out everywhere", logins_ended=ended)
    return ended


def set_organisation(session: Session, actor: User, user: User, org: Organisation | None) -> None:
    if user.organisation_id != (org.id if org else None):
        before = user.organisation.slug if user.organisation else None
        user.organisation = org
        record(session, actor, "user.organisation", "user", user.id,
               f"Organisation of {user.email} changed", before=before,
               after=org.slug if org else None)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64] or "org"


def create_organisation(session: Session, name: str, actor: User | None = None,
                        slug: str | None = None) -> Organisation:
    name = " ".join(name.split())
    if not name:
        raise AccountError(_l("An organisation needs a name."), "name")
    slug = slug or slugify(name)
    if session.scalar(select(Organisation).where(Organisation.slug == slug)):
        raise AccountError(_l("An organisation with the slug %(slug)s already exists.",
                              slug=repr(slug)), "name")
    org = Organisation(name=name, slug=slug, invite_token=secrets.token_urlsafe(24))
    session.add(org)
    session.flush()
    record(session, actor, "organisation.create", "organisation", org.id, f"{name} created")
    return org


def regenerate_invite(session: Session, actor: User, org: Organisation) -> None:
    org.invite_token = secrets.token_urlsafe(24)
    record(session, actor, "organisation.invite", "organisation", org.id,
           f"Invite link of {org.name} renewed")


def organisation_by_invite(session: Session, token: str | None) -> Organisation | None:
    if not token:
        return None
    return session.scalar(select(Organisation).where(Organisation.invite_token == token))


def sign_on_organisation(session: Session, email: str) -> Organisation | None:
    """The organisation whose enabled sign-on the address's domain belongs to, else None."""
    domain = normalise_email(email).rpartition("@")[2]
    if not domain:
        return None
    return session.scalar(
        select(Organisation)
        .join(SignOnDomain, SignOnDomain.organisation_id == Organisation.id)
        .join(SignOnConnection, SignOnConnection.organisation_id == Organisation.id)
        .where(SignOnDomain.domain == domain, SignOnConnection.enabled.is_(True)))


def password_login_closed(session: Session, organisation_id: int | None) -> bool:
    """True when the organisation lets its people sign in through its identity provider only."""
    if organisation_id is None:
        return False
    return session.scalar(select(SignOnConnection.id).where(
        SignOnConnection.organisation_id == organisation_id, SignOnConnection.enabled.is_(True),
        SignOnConnection.password_login.is_(False))) is not None


def organisation_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def search_users(q: str = "", role: str | None = None):
    """A select of users matching a search on name or email, optionally by role."""
    stmt = select(User).order_by(User.name)
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(func.lower(User.name).like(pattern) | User.email.like(pattern))
    if role and role != "learner":
        stmt = stmt.where(User.role_grants.any(UserRole.role == role))
    return stmt


def organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def audit_trail(session: Session, user: User, limit: int = 20) -> list[AuditEvent]:
    """The latest audit events about `user`, newest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "user",
                                 AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.created_at.desc()).limit(limit)))
