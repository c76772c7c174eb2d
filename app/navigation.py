"""The main navigation, per role, and which item the current page belongs to."""
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request, url_for
from flask_babel import LazyString, lazy_gettext as _l
from flask_login import current_user

#: (endpoint, label, roles that see it; None = everybody, "anonymous" = logged out only)
NAV = (
    ("main.dashboard", _l("My learning"), ("learner",)),
    ("courses.catalogue", _l("Courses"), None),
    ("certificates.mine", _l("My certificates"), ("learner",)),
    ("authoring.index", _l("Studio"), ("trainer",)),
    ("hr.dashboard", _l("HR"), ("hr",)),
    ("verify.verify_form", _l("Verify"), None),
    ("admin.index", _l("Admin"), ("admin",)),
)


#: where each role lands after logging in. Someone with several roles lands on the home of the
#: first one listed: an admin's home reaches every other area; HR comes before the studio
#: because the HR dashboard holds work with a deadline (certificates about to expire, people
#: to remind), while studio work waits for its author. Everybody is also a learner, and the
#: learner dashboard stays in every role's navigation.
ROLE_HOMES = (("admin", "admin.index"), ("hr", "hr.dashboard"), ("trainer", "authoring.index"))
LEARNER_HOME = "main.dashboard"


def home_endpoint(user) -> str:
    """The endpoint of `user`'s home page. HR without an organisation has no dashboard yet, so
    that role does not count for them."""
    roles = user.roles - ({"hr"} if user.organisation_id is None else set())
    return next((endpoint for role, endpoint in ROLE_HOMES if role in roles), LEARNER_HOME)


def home_url(user) -> str:
    return url_for(home_endpoint(user))


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation."""

    url: str
    label: str | LazyString
    active: bool


def nav_items() -> list[NavItem]:
    """The navigation items the current user sees, the current page's one marked active."""
    return [NavItem(url_for(endpoint), label, _is_active(endpoint))
            for endpoint, label, roles in NAV if _visible(roles)]


#: pages that belong to a navigation item other than their blueprint's
ACTIVE_ALIASES = {"courses.dashboard": "main.dashboard", "certificates.admin_list": "admin.index",
                  "certificates.admin_change_status": "admin.index",
                  "capstones.queue": "authoring.index", "capstones.score": "authoring.index"}


def _is_active(endpoint: str) -> bool:
    current = ACTIVE_ALIASES.get(request.endpoint, request.endpoint)
    if current == endpoint:
        return True
    blueprint = endpoint.split(".")[0]
    return current not in ACTIVE_ALIASES.values() and blueprint != "main" \
        and request.blueprint == blueprint


def _visible(roles) -> bool:
    if roles is None:
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.has_role(*roles) or ("admin" in current_user.roles and roles != ("learner",))


def url_for_page(number: int) -> str:
    """The current page's URL with its query string, at another page number."""
    # The query is appended, not passed to url_for: names such as `_method`, `_external` or a
    # path argument in the query string must not steer how the URL is built.
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{url_for(request.endpoint, **request.view_args)}?" \
        f"{urlencode([*query, ('page', number)])}"
