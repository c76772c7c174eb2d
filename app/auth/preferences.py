"""How an account reads the platform: its language and its time zone."""
from __future__ import annotations

import functools
import zoneinfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.domain import DomainError
from app.models import User


class PreferenceError(DomainError):
    """A language or time zone the platform does not offer."""

    status_code = 400


@functools.cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted (UTC first)."""
    return ("UTC", *sorted(zoneinfo.available_timezones() - {"UTC"}))


def set_language(session: Session, user: User, locale: str, offered: tuple[str, ...]) -> None:
    if locale not in offered:
        raise PreferenceError(_l("This language is not offered."))
    user.locale = locale
    session.flush()


def set_time_zone(session: Session, user: User, name: str) -> None:
    if name not in time_zones():
        raise PreferenceError(_l("This time zone is not known."))
    user.timezone = None if name == "UTC" else name
    session.flush()
