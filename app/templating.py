"""What templates can call: navigation, page links, quiz links and the one date formatter.

Every Jinja global and filter of the app is registered here, once, by `init_templating`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

from flask import Flask, current_app

from app.auth.passwords import PasswordRule, password_rules
from app.courses.catalogue import duration
from app.courses.routes import quiz_url
from app.dates import long_date, short_date
from app.navigation import nav_items, url_for_page
from app.static_routes import init_static_files

#: the ways a page prints a date or a moment (examples for 5 December 2026, 14:05 UTC)
DateStyle = Literal["date", "short_date", "datetime", "time", "iso"]

def when(moment: date | datetime | None, style: DateStyle = "datetime", fallback: str = "") -> str:
    """A date or moment in one of the house styles, or `fallback` when there is none.

    Styles: `date` "5 December 2026", `short_date` "5 Dec 2026", `datetime`
    "5 Dec 2026, 14:05 UTC", `time` "14:05 UTC", `iso` for `<time datetime>` attributes.
    Moments print in UTC; a naive datetime is read as UTC, as the database columns store it.
    Templates name only the style, so a locale-aware body can replace this one unchanged.
    """
    if moment is None:
        return fallback
    try:
        formatter = _STYLES[style]
    except KeyError:
        raise ValueError(f"unknown date style {style!r}; use one of {', '.join(_STYLES)}") \
            from None
    return formatter(_in_utc(moment))


def _in_utc(moment: date | datetime) -> date | datetime:
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _time(moment: date) -> str:
    if not isinstance(moment, datetime):
        raise TypeError(f"{moment!r} is a day without a time of day")
    return f"{moment:%H:%M} UTC"


def _datetime(moment: date) -> str:
    return f"{short_date(moment)}, {_time(moment)}"


def _iso(moment: date) -> str:
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()


_STYLES: dict[str, Callable[[date], str]] = {
    "date": long_date, "short_date": short_date, "datetime": _datetime, "time": _time, "iso": _iso,
}


def new_password_rules() -> tuple[PasswordRule, ...]:
    """The password policy's rules, for the checklist under every new-password field."""
    return password_rules(current_app.config["PASSWORD_MIN_LENGTH"])


def init_templating(app: Flask) -> None:
    """Register the globals and filters every template may use."""
    app.jinja_env.globals.update(nav_items=nav_items, url_for_page=url_for_page,
                                 quiz_url=quiz_url, new_password_rules=new_password_rules)
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["duration"] = duration
    init_static_files(app)  # url_for('static', ...) builds content-hashed names
