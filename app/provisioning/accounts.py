"""SCIM Users: an organisation's accounts as its directory sees and writes them.

- userName is kept as sent; the account's sign-in address is userName when it is an address
  (what directories send in practice), else the primary email. A directory that gives neither
  gets an account with a reserved, undeliverable address: nobody can sign in with it until the
  directory sends a real one.
- name becomes the certificate name until the learner edits their name: from then on the
  learner's spelling wins (it is what their certificates carry); the directory's copy of the
  name is still kept and served.
- active false deactivates the account and ends every one of its logins at once.
- DELETE deactivates too, and SCIM answers 404 for the account from then on; the row stays, so
  its certificates stay verifiable and its history whole. The same person provisioned again
  gets the same account back.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from scim2_models import (
    Email, ForbiddenException, GroupMembership, InvalidValueException, Meta, NotFoundException,
    UniquenessException,
)
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.audit import record
from app.auth.logins import end_all_logins
from app.auth.services import find_user_by_email, normalise_email
from app.models import (
    DirectoryGroup, DirectoryGroupMember, Organisation, OrganisationToken, ProvisionedAccount,
    User,
)
from app.provisioning.resources import USER_TYPE, PersonName, ScimUser, version_of

#: a password hash no password matches (argon2 refuses to read it): a provisioned person signs
#: in through the organisation's sign-on, or sets a password with "forgot password"
UNUSABLE_PASSWORD_PREFIX = "!scim:"  # nosec B105: marks a hash no password matches
#: the domain of the address an account gets when the directory gives none (RFC 2606: never
#: delivered)
NO_ADDRESS_DOMAIN = "directory.invalid"
ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 120
FIELD_MAX = 255


def account_of(session: Session, organisation: Organisation, resource_id: str) -> User:
    """The organisation's account with this SCIM id; NotFound for any other (a deleted one too)."""
    user = session.get(User, int(resource_id)) if resource_id.isascii() and \
        resource_id.isdigit() and len(resource_id) < 10 else None
    if user is None or user.organisation_id != organisation.id or _removed(session, user):
        raise NotFoundException(detail=f"User {resource_id!r} not found")
    return user


def visible_accounts(organisation: Organisation):
    """A select of the organisation's accounts SCIM shows (those it deleted left out)."""
    removed = select(ProvisionedAccount.user_id).where(ProvisionedAccount.removed_at.is_not(None))
    return select(User).where(User.organisation_id == organisation.id,
                              User.id.not_in(removed)).order_by(User.id)


def with_user_name(statement, user_name: str):
    """Narrow a select of accounts to those whose userName is `user_name` (any case)."""
    wanted = user_name.lower()
    named = select(ProvisionedAccount.user_id).where(
        func.lower(ProvisionedAccount.user_name) == wanted)
    unnamed = select(ProvisionedAccount.user_id).where(ProvisionedAccount.user_name.is_not(None))
    return statement.where(or_(User.id.in_(named),
                               (User.email == wanted) & User.id.not_in(unnamed)))


def user_resource(session: Session, user: User) -> ScimUser:
    """The account as a SCIM User, its meta filled (the server adds the location)."""
    return user_resources(session, [user])[0]


def user_resources(session: Session, users: list[User]) -> list[ScimUser]:
    """The accounts as SCIM Users, in three queries whatever their number."""
    ids = [user.id for user in users]
    accounts = {a.user_id: a for a in session.scalars(
        select(ProvisionedAccount).where(ProvisionedAccount.user_id.in_(ids)))}
    memberships: dict[int, list[GroupMembership]] = {}
    for user_id, group_id, name in session.execute(
            select(DirectoryGroupMember.user_id, DirectoryGroup.id, DirectoryGroup.display_name)
            .join(DirectoryGroup).where(DirectoryGroupMember.user_id.in_(ids))
            .order_by(DirectoryGroup.id)):
        memberships.setdefault(user_id, []).append(
            GroupMembership(value=str(group_id), display=name))
    return [_resource(user, accounts.get(user.id), memberships.get(user.id)) for user in users]


def _resource(user: User, account: ProvisionedAccount | None,
              groups: list[GroupMembership] | None) -> ScimUser:
    resource = ScimUser(
        id=str(user.id), user_name=account.user_name if account and account.user_name
        else user.email, active=_active(user, account), name=_name(user, account),
        display_name=account.display_name if account else None,
        emails=[Email.model_validate(e) for e in account.emails]
        if account and account.emails else None,
        external_id=account.external_id if account else None, groups=groups)
    updated = account.updated_at if account else user.created_at
    resource.meta = Meta(resource_type=USER_TYPE, created=user.created_at, last_modified=updated,
                         version=version_of(resource))
    return resource


def create_account(session: Session, organisation: Organisation, resource: ScimUser,
                   token: OrganisationToken, now: datetime) -> User:
    """A new learner of the organisation: verified address, no usable password. An account the
    directory deleted earlier comes back (a returning person keeps their certificates)."""
    user_name = _user_name(resource)
    address = sign_in_address(resource)
    existing = find_user_by_email(session, address) if address else None
    if existing is not None:
        return _restore(session, organisation, existing, resource, token, now)
    _check_user_name_free(session, organisation, user_name, None)
    email = address or f"{secrets.token_hex(12)}@{NO_ADDRESS_DOMAIN}"
    user = User(email=email, name=_certificate_name(resource, user_name),
                organisation_id=organisation.id, created_at=now, email_verified_at=now,
                is_active_account=resource.active is not False,
                password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24))
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise UniquenessException(detail="userName is taken") from None
    account = ProvisionedAccount(user_id=user.id, created_at=now, provisioned_name=user.name)
    session.add(account)
    _write_attributes(account, resource, user_name, now, creating=True)
    session.flush()
    record(session, None, "scim.user_create", "user", user.id,
           f"Account {email} provisioned by the directory", **_by(token))
    events.user_registered.send(None, session=session, user=user, now=now)
    return user


def update_account(session: Session, user: User, resource: ScimUser,
                   token: OrganisationToken, now: datetime) -> None:
    """Write the whole new state the directory gives (PUT, or PATCH once applied)."""
    _refuse_admins(user)
    account = session.get(ProvisionedAccount, user.id) or ProvisionedAccount(
        user_id=user.id, created_at=now)
    session.add(account)
    before = [user.email, user.name]
    user_name = _user_name(resource)
    _check_user_name_free(session, user.organisation, user_name, user.id)
    address = sign_in_address(resource)
    if address and address != user.email:
        if find_user_by_email(session, address) is not None:
            raise UniquenessException(detail="userName is taken")
        user.email, user.email_verified_at = address, now
    new_name = _certificate_name(resource, user_name)
    if account.provisioned_name is not None and user.name == account.provisioned_name:
        user.name = new_name  # the learner never changed the directory's name
    account.provisioned_name = new_name
    _write_attributes(account, resource, user_name, now)
    session.flush()
    if resource.active is False:
        deactivate(session, user, token, now)
    elif resource.active and not user.is_active_account:
        user.is_active_account = True
        record(session, None, "scim.user_activate", "user", user.id,
               f"{user.email} reactivated by the directory", **_by(token))
    if before != [user.email, user.name]:
        record(session, None, "scim.user_update", "user", user.id,
               f"{user.email} updated by the directory", before=before,
               after=[user.email, user.name], **_by(token))


def deactivate(session: Session, user: User, token: OrganisationToken, now: datetime) -> None:
    """Deprovision: the account is deactivated and every one of its logins ends now."""
    _refuse_admins(user)
    if not user.is_active_account:
        return
    user.is_active_account = False
    ended = end_all_logins(session, user, now)
    record(session, None, "scim.user_deactivate", "user", user.id,
           f"{user.email} deactivated by the directory", logins_ended=ended, **_by(token))
    events.user_deactivated.send(None, session=session, user=user, actor=None, now=now)


def remove_account(session: Session, user: User, token: OrganisationToken,
                   now: datetime) -> list[int]:
    """DELETE: deactivate, leave the directory's groups; the groups left are returned (their
    roles are the caller's to recompute)."""
    deactivate(session, user, token, now)
    account = session.get(ProvisionedAccount, user.id) or ProvisionedAccount(
        user_id=user.id, created_at=now)
    session.add(account)
    account.removed_at = account.updated_at = now
    left = list(session.scalars(select(DirectoryGroupMember.group_id).where(
        DirectoryGroupMember.user_id == user.id)))
    session.execute(DirectoryGroupMember.__table__.delete().where(
        DirectoryGroupMember.user_id == user.id))
    record(session, None, "scim.user_delete", "user", user.id,
           f"{user.email} removed by the directory (account deactivated, certificates kept)",
           **_by(token))
    return left


def sign_in_address(resource: ScimUser) -> str | None:
    """userName when it is an address, else the primary (or first) email, else None."""
    candidates = [resource.user_name or ""] + [
        str(e.value) for e in sorted(resource.emails or [], key=lambda e: not e.primary)
        if e.value]
    return next((normalise_email(c) for c in candidates
                 if ADDRESS.match(normalise_email(c)) and len(c) <= 254), None)


def _restore(session: Session, organisation: Organisation, user: User, resource: ScimUser,
             token: OrganisationToken, now: datetime) -> User:
    account = session.get(ProvisionedAccount, user.id)
    if user.organisation_id != organisation.id or account is None or account.removed_at is None:
        raise UniquenessException(detail="userName is taken")
    account.removed_at = None
    record(session, None, "scim.user_restore", "user", user.id,
           f"{user.email} provisioned again by the directory", **_by(token))
    if resource.active is not False:
        user.is_active_account = True
    update_account(session, user, resource, token, now)
    return user


def _removed(session: Session, user: User) -> bool:
    account = session.get(ProvisionedAccount, user.id)
    return account is not None and account.removed_at is not None


def _check_user_name_free(session: Session, organisation: Organisation | None, user_name: str,
                          user_id: int | None) -> None:
    if organisation is None:
        return
    clash = session.scalar(with_user_name(visible_accounts(organisation), user_name)
                           .where(User.id != (user_id or 0)).limit(1))
    if clash is not None:
        raise UniquenessException(detail="userName is taken")


def _refuse_admins(user: User) -> None:
    if user.has_role("admin"):
        raise ForbiddenException(detail="Platform administrators are not managed through SCIM")


def _user_name(resource: ScimUser) -> str:
    user_name = (resource.user_name or "").strip()
    if not user_name or len(user_name) > FIELD_MAX:
        raise InvalidValueException(detail="userName must have 1 to 255 characters")
    return user_name


def _active(user: User, account: ProvisionedAccount | None) -> bool | None:
    """The account's real state, unless the directory removed the attribute."""
    if account is not None and account.active_removed:
        return None
    return user.is_active_account


def _name(user: User, account: ProvisionedAccount | None) -> PersonName | None:
    if account is None:
        return PersonName(formatted=user.name)
    if not (account.formatted_name or account.given_name or account.family_name):
        return None
    return PersonName(formatted=account.formatted_name, given_name=account.given_name,
                      family_name=account.family_name)


def _certificate_name(resource: ScimUser, user_name: str) -> str:
    """The name a certificate carries: formatted, else given and family, else the display name,
    else userName (its local part for an address); the learner can edit it."""
    name = resource.name or PersonName()
    parts = [name.formatted, " ".join(p for p in (name.given_name, name.family_name) if p),
             resource.display_name, user_name.partition("@")[0]]
    chosen = next(" ".join(p.split()) for p in parts if p and p.split())
    return chosen[:NAME_MAX]


def _write_attributes(account: ProvisionedAccount, resource: ScimUser, user_name: str,
                      now: datetime, *, creating: bool = False) -> None:
    name = resource.name or PersonName()
    account.user_name = user_name
    # a creation without active leaves the account active; a later write without it removes it
    account.active_removed = resource.active is None and not creating
    account.given_name = _bounded(name.given_name, NAME_MAX)
    account.family_name = _bounded(name.family_name, NAME_MAX)
    account.formatted_name = _bounded(name.formatted, NAME_MAX)
    account.display_name = _bounded(resource.display_name, NAME_MAX)
    account.external_id = _bounded(resource.external_id, FIELD_MAX)
    account.emails = [e.model_dump(exclude_none=True) for e in resource.emails] \
        if resource.emails else None
    account.updated_at = now


def _bounded(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if len(str(value)) > limit:
        raise InvalidValueException(detail=f"A value is longer than {limit} characters")
    return str(value)


def _by(token: OrganisationToken) -> dict[str, Any]:
    return {"token": token.id, "token_name": token.name}
