"""What templates can call: navigation, page links, quiz links and the one date formatter.

Every Jinja global and filter of the app is registered here, once, by `init_templating`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Literal

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_percent
from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import get_locale, get_timezone

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
    A page in another language, or for a reader with a time zone, prints the same styles in
    that language's own patterns and that time zone.
    """
    if moment is None:
        return fallback
    try:
        formatter = _STYLES[style]
    except KeyError:
        raise ValueError(f"unknown date style {style!r}; use one of {', '.join(_STYLES)}") \
            from None
    language, zone = _reader()
    if style != "iso" and (language != "en" or zone is not None):
        return _localised(_in_zone(moment, zone or UTC), style, language)
    return formatter(_in_utc(moment))


def _reader() -> tuple[str, tzinfo | None]:
    """The page's language and, when it is not UTC, the reader's time zone. Outside a request
    (a mail written by a job) the language is the one forced for the recipient, in UTC."""
    if not has_app_context():
        return "en", None
    locale = get_locale()
    language = locale.language if locale else "en"
    if not has_request_context():
        return language, None
    zone = get_timezone()
    name = getattr(zone, "zone", None) or str(zone or "UTC")
    return language, (None if name == "UTC" else zone)


def _in_zone(moment: date | datetime, zone: tzinfo) -> date | datetime:
    if not isinstance(moment, datetime):
        return moment
    return _in_utc(moment).astimezone(zone)


def _localised(moment: date | datetime, style: DateStyle, language: str) -> str:
    """The style in the reader's language (Babel's patterns) and time zone."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if style == "date":
        return format_date(day, "long", locale=language)
    if style == "short_date":
        return format_skeleton("yMMMd", day, locale=language)
    if not isinstance(moment, datetime):
        raise TypeError(f"{moment!r} is a day without a time of day")
    time = f"{format_time(moment, 'HH:mm', locale=language)} {moment.tzname()}"
    return time if style == "time" else f"{format_skeleton('yMMMd', day, locale=language)}, {time}"


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
    app.jinja_env.filters["percent"] = percent
    init_static_files(app)  # url_for('static', ...) builds content-hashed names


def percent(value: float | int | None) -> str:
    """A percentage (80 for 80 %) as the page's language writes it: "80%", "80 %", "66,67 %"."""
    if value is None:
        return ""
    language, _zone = _reader()
    return format_percent(value / 100, locale=language, decimal_quantization=False)
