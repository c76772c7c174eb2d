"""Where the SCIM server reads and writes: one organisation's accounts and groups, through
the request's database session (scim2-server's storage interface).

Searches: the organisation's accounts or groups, narrowed in SQL by the comparisons directories
send (userName, externalId, id or displayName eq ...), the rest of the filter evaluated by
scim2-models on what is left, then paged by startIndex and count.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from scim2_models import (
    PreconditionFailedException, Resource, ResourceType, ResponseParameters, ScimFilter,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DirectoryGroup, Organisation, OrganisationToken, ProvisionedAccount, User
from app.provisioning import accounts, groups
from app.provisioning.resources import USER_TYPE, ScimGroup, ScimUser


class OrganisationStorage(ScimStorage):
    """The SCIM view of one organisation, for one request."""

    def __init__(self, session: Session, token: OrganisationToken, now: datetime) -> None:
        self.session = session
        self.token = token
        self.organisation: Organisation = token.organisation
        self.now = now
        # the rows this request loaded: the session's identity map holds rows weakly, so without
        # these references every step of an operation would load them again
        self._users: dict[str, User] = {}
        self._groups: dict[str, DirectoryGroup] = {}

    def _user(self, resource_id: str) -> User:
        if resource_id not in self._users:
            self._users[resource_id] = accounts.account_of(self.session, self.organisation,
                                                           resource_id)
        return self._users[resource_id]

    def _group(self, resource_id: str) -> DirectoryGroup:
        if resource_id not in self._groups:
            self._groups[resource_id] = groups.group_of(self.session, self.organisation,
                                                        resource_id)
        return self._groups[resource_id]

    # --- reading ---------------------------------------------------------------------------

    def get(self, resource_type: ResourceType, resource_id: str, *,
            response_parameters: ResponseParameters[Any] | None = None) -> Resource[Any]:
        if resource_type.name == USER_TYPE:
            return accounts.user_resource(self.session, self._user(resource_id))
        return groups.group_resource(self._group(resource_id))

    def search(self, resource_types: list[ResourceType], search_request: SearchRequest[Any], *,
               position: Any = None) -> SearchPage:
        start = search_request.start_index_0 or 0
        count = search_request.count
        if len(resource_types) == 1 and search_request.filter is None:
            return self._page(resource_types[0], start, count)
        found = [resource for resource_type in resource_types
                 for resource in self._matching(resource_type, search_request.filter)]
        return SearchPage(len(found), found[start:None if count is None else start + count])

    def _statement(self, resource_type: ResourceType):
        if resource_type.name == USER_TYPE:
            return accounts.visible_accounts(self.organisation)
        return groups.organisation_groups(self.organisation)

    def _resources(self, resource_type: ResourceType, rows: list) -> list[Resource[Any]]:
        if resource_type.name == USER_TYPE:
            return accounts.user_resources(self.session, rows)
        return [groups.group_resource(row) for row in rows]

    def _page(self, resource_type: ResourceType, start: int, count: int | None) -> SearchPage:
        """An unfiltered list: counted and paged in SQL."""
        statement = self._statement(resource_type)
        total = self.session.scalar(select(func.count()).select_from(statement.subquery()))
        if count is not None:
            statement = statement.limit(count)
        rows = list(self.session.scalars(statement.offset(start)))
        return SearchPage(total, self._resources(resource_type, rows))

    def _matching(self, resource_type: ResourceType, scim_filter: ScimFilter[Any] | None) -> list:
        """A filtered list: narrowed in SQL where it can be, then matched by scim2-models."""
        statement = self._statement(resource_type)
        if scim_filter is not None:
            statement = _narrowed(statement, scim_filter, resource_type.name == USER_TYPE)
        resources = self._resources(resource_type, list(self.session.scalars(statement)))
        if scim_filter is None:
            return resources
        return [resource for resource in resources if scim_filter.match(resource)]

    # --- writing ---------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if isinstance(resource, ScimUser):
            user = accounts.create_account(self.session, self.organisation, resource,
                                           self.token, self.now)
            return accounts.user_resource(self.session, user)
        group = groups.create_group(self.session, self.organisation, resource, self.token,
                                    self.now)
        return groups.group_resource(group)

    def update(self, resource_type: ResourceType, resource: Resource[Any], *,
               expected_version: str | None = None) -> Resource[Any]:
        current = self.get(resource_type, str(resource.id))
        if expected_version is not None and current.meta.version != expected_version:
            raise PreconditionFailedException
        if isinstance(resource, ScimUser):
            user = self._user(str(resource.id))
            accounts.update_account(self.session, user, resource, self.token, self.now)
            return accounts.user_resource(self.session, user)
        group = self._group(str(resource.id))
        groups.update_group(self.session, group, _as_group(resource), self.token, self.now)
        return groups.group_resource(group)

    def delete(self, resource_type: ResourceType, resource_id: str, *,
               expected_version: str | None = None) -> None:
        current = self.get(resource_type, resource_id)
        if expected_version is not None and current.meta.version != expected_version:
            raise PreconditionFailedException
        if resource_type.name == USER_TYPE:
            user = self._user(resource_id)
            left = accounts.remove_account(self.session, user, self.token, self.now)
            if left:
                groups.sync_roles(self.session, self.organisation.id, [user.id], self.token,
                                  self.now)
            return
        groups.delete_group(self.session, self._group(resource_id), self.token, self.now)


def _as_group(resource: Resource[Any]) -> ScimGroup:
    return resource if isinstance(resource, ScimGroup) else ScimGroup.model_validate(
        resource.model_dump())


#: the attributes a comparison can be narrowed by in SQL, per resource type
_USER_COLUMNS = {"id": User.id, "external_id": ProvisionedAccount.external_id}
_GROUP_COLUMNS = {"id": DirectoryGroup.id, "display_name": DirectoryGroup.display_name,
                  "external_id": DirectoryGroup.external_id}


def _narrowed(statement, scim_filter: ScimFilter[Any], users: bool):
    """The select narrowed by the filter's top-level eq comparisons that SQL can answer (the
    whole filter is still applied to what comes back)."""
    node = scim_filter.ast
    terms = node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_ \
        else (node,)
    for term in terms:
        if not isinstance(term, Comparison) or term.op != CompareOperator.eq \
                or not isinstance(term.value, str):
            continue
        binding = scim_filter.resolve_comparison(term.attr_path, strict=False)
        if binding is None or binding.sub_field_name is not None:
            continue
        statement = _compare(statement, binding.field_name, term.value, users)
    return statement


def _compare(statement, field: str, value: str, users: bool):
    if users and field == "user_name":
        return accounts.with_user_name(statement, value)
    column = (_USER_COLUMNS if users else _GROUP_COLUMNS).get(field)
    if column is None:
        return statement
    if field == "id":
        return statement.where(column == int(value)) if value.isascii() and value.isdigit() \
            and len(value) < 10 else statement.where(False)
    if users and field == "external_id":
        return statement.where(User.id.in_(select(ProvisionedAccount.user_id).where(
            column == value)))
    return statement.where(func.lower(column) == value.lower()) if field == "display_name" \
        else statement.where(column == value)
