"""The SCIM resources we serve and the capabilities we announce (RFC 7643 schemas, trimmed).

The schemas published at /Schemas list only the attributes we keep, so a directory never sends
data we would silently drop: a User is its userName (the sign-in address), its name, display
name, emails, active flag and externalId; a Group is a display name and its members.
"""
from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from scim2_models import (
    AuthenticationScheme, Bulk, ChangePassword, ComplexAttribute, Email, ETag, Filter,
    GroupMember, GroupMembership, Mutability, Patch, Required, Resource, ScimProvider, Sort,
    ServiceProviderConfig, Uniqueness,
)
from scim2_models.urn import URN

#: most resources one list answer holds (the client asks for pages of `count`)
MAX_RESULTS = 200


class PersonName(ComplexAttribute):
    """The parts of a person's name we keep."""

    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class ScimUser(Resource[Any]):
    """An account of the organisation; userName is its sign-in address."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: PersonName | None = None
    display_name: str | None = None
    active: bool | None = None
    emails: list[Email] | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class ScimGroup(Resource[Any]):
    """A group of the organisation's directory; named after a role, it grants it."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=True),
    authentication_schemes=[AuthenticationScheme(
        type="oauthbearertoken", name="Organisation API token",
        description="A bearer token with the scope scim, issued on the organisation's API "
                    "tokens page.", primary=True)],
)

PROVIDER = ScimProvider(models=[ScimUser, ScimGroup], config=CONFIG)
USER_TYPE = "User"
GROUP_TYPE = "Group"


def version_of(resource: Resource[Any]) -> str:
    """A weak ETag of what the resource says: it changes whenever the resource changes."""
    body = resource.model_dump(exclude={"meta"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'
