"""The language and time zone of each request (Flask-Babel).

The language is the account's choice, else the one chosen with the switcher (a cookie, for
visitors), else the best match of the browser's Accept-Language, else the site default (the
first of LANGUAGES). Times are shown in the account's time zone, UTC until one is chosen.
Operators' command-line output stays English.
"""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape

from app.auth.preferences import time_zones

#: the cookie the switcher sets for visitors (a logged-in choice is kept on the account)
LANGUAGE_COOKIE = "lang"

babel = Babel()


def _escaped(text: LazyString) -> str:
    return str(escape(str(text)))


# A lazy string is text, not markup. Flask-Babel's says it is HTML (its __html__ returns it as it
# is), so a translated sentence carrying a value someone typed would reach the page unescaped.
LazyString.__html__ = _escaped


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(current_language=current_language,
                                 language_choices=language_choices, time_zones=time_zones)


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    offered = languages()
    if not has_request_context():  # commands and jobs: English unless force_locale says otherwise
        return offered[0]
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in offered:
        return chosen
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in offered:
        return cookie
    return request.accept_languages.best_match(offered) or offered[0]


def select_timezone() -> str | None:
    return getattr(current_user, "timezone", None) if current_user else None


def current_language() -> str:
    """The language of this page, for `<html lang>`."""
    return str(get_locale() or languages()[0])


#: each language named in itself, as a switcher shows it
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of every language the interface speaks."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in languages()]
