"""SCIM Groups: the organisation's directory groups, and the roles the role-named ones grant.

A group whose display name is a role a directory may grant ("trainer", "hr"; any case) gives
that role to its members within the organisation; leaving the last such group takes it away.
"learner" may be pushed too (every account is a learner). "admin" is never granted through
SCIM. Other groups are kept as the directory sent them and grant nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scim2_models import GroupMember, InvalidValueException, Meta, NotFoundException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record
from app.models import (
    DirectoryGroup, DirectoryGroupMember, Organisation, OrganisationToken, User, UserRole,
)
from app.provisioning.accounts import FIELD_MAX, visible_accounts
from app.provisioning.resources import GROUP_TYPE, ScimGroup, version_of

#: the roles a directory group can grant, by the group's display name (case-insensitive)
GRANTABLE_ROLES = ("trainer", "hr")


def role_of(display_name: str) -> str | None:
    """The role a group of this name grants, if any (never admin)."""
    name = display_name.strip().casefold()
    return name if name in GRANTABLE_ROLES else None


def group_of(session: Session, organisation: Organisation, resource_id: str) -> DirectoryGroup:
    group = session.get(DirectoryGroup, int(resource_id)) if resource_id.isascii() and \
        resource_id.isdigit() and len(resource_id) < 10 else None
    if group is None or group.organisation_id != organisation.id:
        raise NotFoundException(detail=f"Group {resource_id!r} not found")
    return group


def organisation_groups(organisation: Organisation):
    """A select of the organisation's directory groups."""
    return select(DirectoryGroup).where(DirectoryGroup.organisation_id == organisation.id) \
        .order_by(DirectoryGroup.id)


def group_resource(group: DirectoryGroup) -> ScimGroup:
    resource = ScimGroup(
        id=str(group.id), display_name=group.display_name, external_id=group.external_id,
        members=[GroupMember(value=str(m.user_id), ref=f"Users/{m.user_id}", type="User",
                             display=m.display)
                 for m in sorted(group.memberships, key=lambda m: m.user_id)] or None)
    resource.meta = Meta(resource_type=GROUP_TYPE, created=group.created_at,
                         last_modified=group.updated_at, version=version_of(resource))
    return resource


def create_group(session: Session, organisation: Organisation, resource: ScimGroup,
                 token: OrganisationToken, now: datetime) -> DirectoryGroup:
    group = DirectoryGroup(organisation_id=organisation.id, display_name="", created_at=now)
    session.add(group)
    write_group(session, group, resource, token, now)
    record(session, None, "scim.group_create", "organisation", organisation.id,
           f"Directory group {group.display_name} created", group=group.id, token=token.id)
    return group


def write_group(session: Session, group: DirectoryGroup, resource: ScimGroup,
                token: OrganisationToken, now: datetime) -> None:
    """Give the group the state the directory sent (POST, PUT, or PATCH once applied)."""
    name = " ".join((resource.display_name or "").split())
    if not name or len(name) > FIELD_MAX or len(resource.external_id or "") > FIELD_MAX:
        raise InvalidValueException(detail="displayName must have 1 to 255 characters")
    before = {m.user_id for m in group.memberships}
    wanted = _members(session, group.organisation_id, resource.members or [])
    group.display_name, group.external_id, group.updated_at = name, resource.external_id, now
    group.memberships = [DirectoryGroupMember(user_id=user_id, display=display)
                         for user_id, display in wanted.items()]
    session.flush()
    sync_roles(session, group.organisation_id, before | set(wanted), token, now)


def update_group(session: Session, group: DirectoryGroup, resource: ScimGroup,
                 token: OrganisationToken, now: datetime) -> None:
    """PUT, or PATCH once applied: the group's new name and members."""
    before = (group.display_name, sorted(m.user_id for m in group.memberships))
    write_group(session, group, resource, token, now)
    after = (group.display_name, sorted(m.user_id for m in group.memberships))
    if before != after:
        record(session, None, "scim.group_update", "organisation", group.organisation_id,
               f"Directory group {group.display_name} changed", group=group.id,
               before=[before[0], before[1]], after=[after[0], after[1]], token=token.id)


def delete_group(session: Session, group: DirectoryGroup, token: OrganisationToken,
                 now: datetime) -> None:
    members = {m.user_id for m in group.memberships}
    organisation_id = group.organisation_id
    record(session, None, "scim.group_delete", "organisation", organisation_id,
           f"Directory group {group.display_name} deleted", group=group.id, token=token.id)
    session.delete(group)
    session.flush()
    sync_roles(session, organisation_id, members, token, now)


def sync_roles(session: Session, organisation_id: int, user_ids: Iterable[int],
               token: OrganisationToken, now: datetime) -> None:
    """Each account holds a grantable role exactly when a group of its organisation named after
    the role has it as a member; the grants and removals are audited."""
    for user in session.scalars(select(User).where(User.id.in_(set(user_ids)))):
        names = session.scalars(select(DirectoryGroup.display_name).join(DirectoryGroupMember)
                                .where(DirectoryGroupMember.user_id == user.id,
                                       DirectoryGroup.organisation_id == organisation_id))
        granted = {role for role in map(role_of, names) if role}
        held = {grant.role for grant in user.role_grants} & set(GRANTABLE_ROLES)
        if granted == held:
            continue
        user.role_grants = [g for g in user.role_grants
                            if g.role not in GRANTABLE_ROLES or g.role in granted] + \
            [UserRole(role=role) for role in sorted(granted - held)]
        session.flush()
        record(session, None, "scim.user_roles", "user", user.id,
               f"Roles of {user.email} set by the directory groups", granted=sorted(granted - held),
               removed=sorted(held - granted), token=token.id)


def _members(session: Session, organisation_id: int,
             members: list[GroupMember]) -> dict[int, str | None]:
    """The accounts named as members, each one of the organisation's (else invalidValue)."""
    wanted: dict[int, str | None] = {}
    for member in members:
        value = member.value or ""
        if member.type not in (None, "User") or not (value.isascii() and value.isdigit()) \
                or len(value) > 9:
            raise InvalidValueException(detail=f"Member {value!r} is not a User")
        wanted[int(value)] = member.display
    if wanted:
        organisation = session.get(Organisation, organisation_id)
        known = set(session.scalars(visible_accounts(organisation).with_only_columns(User.id)
                                    .where(User.id.in_(wanted))))
        if known != set(wanted):
            raise InvalidValueException(detail="A member is not a User of this organisation")
    return wanted
