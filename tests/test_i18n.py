"""Languages: which one a page is in, the switcher, dates in the reader's language and time zone,
complete catalogues, and a pseudo-locale that finds text never marked for translation."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from app.i18n import LANGUAGE_COOKIE
from app.templating import when
from tests.i18n_support import (PSEUDO_LOCALE, ROOT, english_on_page, english_only_words,
                                extracted_messages, unmarked_lines)

TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sdif]")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


# --- which language -------------------------------------------------------------------------------

def test_the_browser_language_is_used_when_it_is_offered(client):
    assert html_lang(client.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9"})) == "de"
    assert html_lang(client.get("/login", headers={"Accept-Language": "fr-FR"})) == "fr"
    assert html_lang(client.get("/login", headers={"Accept-Language": "ja"})) == "en"
    assert html_lang(client.get("/login")) == "en"


def test_the_switcher_remembers_a_visitors_choice_and_goes_back(client, browser):
    answer = browser.post("/language", data={"locale": "es", "next": "/verify"}, token_from="/login")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/verify")
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    assert html_lang(client.get("/login", headers={"Accept-Language": "de"})) == "es"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", ""])
def test_the_switcher_never_sends_anyone_elsewhere(browser, target):
    answer = browser.post("/language", data={"locale": "fr", "next": target}, token_from="/login")
    assert answer.status_code == 303 and answer.headers["Location"] in ("/", "http://localhost/")


def test_a_language_not_offered_is_refused(client, browser):
    assert browser.post("/language", data={"locale": "xx"}, token_from="/login").status_code == 400
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_an_accounts_choice_wins_over_the_browser(client, browser, db, login_as):
    user = login_as("learner")
    assert browser.post("/language", data={"locale": "fr"}, token_from="/account").status_code == 303
    db.session.refresh(user)
    assert user.locale == "fr"
    client.delete_cookie(LANGUAGE_COOKIE)
    assert html_lang(client.get("/account", headers={"Accept-Language": "de"})) == "fr"


# --- dates ------------------------------------------------------------------------------------

MOMENT = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize("language, style, expected", [
    ("en", "date", "5 December 2026"),
    ("en", "datetime", "5 Dec 2026, 14:05 UTC"),
    ("de", "date", "5. Dezember 2026"),
    ("fr", "date", "5 décembre 2026"),
    ("es", "date", "5 de diciembre de 2026"),
    ("de", "short_date", "5. Dez. 2026"),
    ("de", "datetime", "5. Dez. 2026, 14:05 UTC"),
])
def test_dates_are_written_in_the_pages_language(app, language, style, expected):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert when(MOMENT, style) == expected


def test_moments_are_shown_in_the_readers_time_zone(app, db, make_user):
    from flask import g

    reader = make_user()
    reader.timezone, reader.locale = "Europe/Berlin", "de"
    db.session.commit()
    with app.test_request_context():
        g._login_user = reader  # what Flask-Login's loader sets for a logged-in request
        assert when(MOMENT, "time") == "15:05 CET"
        assert when(MOMENT, "datetime") == "5. Dez. 2026, 15:05 CET"
        assert when(date(2026, 12, 5), "date") == "5. Dezember 2026"
        assert when(MOMENT, "iso") == "2026-12-05T14:05:00+00:00"


def test_outside_a_request_dates_are_the_house_english(app):
    with app.app_context():
        assert when(MOMENT, "date") == "5 December 2026"


# --- catalogues ----------------------------------------------------------------------------------

def offered_translations(app_languages=("de", "fr", "es")):
    return [pytest.param(language, id=language) for language in app_languages]


@pytest.mark.parametrize("language", offered_translations())
def test_every_marked_string_is_translated_and_nothing_is_fuzzy(language):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    missing, fuzzy, broken = [], [], []
    for key, places in extracted_messages():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid:
            continue
        message = catalog.get(msgid)
        strings = message.string if message else None
        texts = list(strings) if isinstance(strings, tuple) else [strings]
        if message is None or not all(texts):
            missing.append(f"{places[0]}: {msgid!r}")
        elif message.fuzzy:
            fuzzy.append(f"{places[0]}: {msgid!r}")
        elif any(set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid))
                 for text in texts):
            broken.append(f"{places[0]}: {msgid!r} -> {texts!r}")
    assert not missing, f"{len(missing)} untranslated in {language}:\n" + "\n".join(missing[:40])
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}:\n" + "\n".join(fuzzy[:40])
    assert not broken, f"placeholders changed in {language}:\n" + "\n".join(broken[:40])


# --- the pseudo-locale ---------------------------------------------------------------------------

#: the visitors' pages of the verification and the catalogue (the frame's own: test_i18n_frame.py)
PSEUDO_PAGES = ["/verify", "/courses"]


@pytest.mark.parametrize("path", PSEUDO_PAGES)
def test_every_word_on_the_page_was_marked_for_translation(pseudo_app, path):
    client = pseudo_app.test_client()
    response = client.get(path, headers={"Accept-Language": PSEUDO_LOCALE})
    assert response.status_code == 200 and html_lang(response) == PSEUDO_LOCALE
    untranslated = unmarked_lines(response.get_data(as_text=True))
    assert not untranslated, f"{path}: text never marked for translation:\n" + "\n".join(
        repr(line) for line in untranslated)


def test_the_account_keeps_a_language_and_a_time_zone(client, browser, db, login_as):
    user = login_as("learner")
    answer = browser.post("/account/reading", data={"locale": "de", "timezone": "Europe/Berlin"},
                          token_from="/account")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account#reading")
    db.session.refresh(user)
    assert (user.locale, user.timezone) == ("de", "Europe/Berlin")
    page = client.get("/account").get_data(as_text=True)
    assert '<option value="Europe/Berlin" translate="no" selected>' in page


@pytest.mark.parametrize("form", [{"locale": "de", "timezone": "Mars/Olympus"},
                                  {"locale": "xx", "timezone": "UTC"}, {}])
def test_an_unknown_language_or_time_zone_saves_nothing(browser, db, login_as, form):
    user = login_as("learner")
    answer = browser.post("/account/reading", data=form, token_from="/account")
    assert answer.status_code == 303  # refused: back where the form was, saying why
    db.session.refresh(user)
    assert (user.locale, user.timezone) == (None, None)


def test_choosing_needs_an_account(browser):
    answer = browser.post("/account/reading", data={"locale": "de", "timezone": "UTC"},
                          token_from="/login")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_lazy_sentence_is_text_not_markup(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app.test_request_context():
        sentence = lazy_gettext("Certificate %(code)s was not found.", code="<b>x</b>")
        assert render_template_string("{{ s }}", s=sentence) == \
            "Certificate &lt;b&gt;x&lt;/b&gt; was not found."


def test_a_mail_written_for_a_german_reader_dates_in_german(app):
    from flask_babel import force_locale

    with app.app_context(), force_locale("de"):
        assert when(MOMENT, "date") == "5. Dezember 2026"


def test_english_words_are_told_apart_from_german_ones():
    essentials = ROOT / "courses" / "okr-essentials"
    english = english_only_words("de", (essentials,))
    assert {"certificate", "lesson", "the"} <= english
    assert not {"okr", "zyklus", "zertifikat", "name", "status"} & english
    assert english_on_page("<p>Ihr Zertifikat ist bereit</p>", "de") == []
    assert set(english_on_page("<p>Your certificate is <b>ready</b></p>", "de")) >= {
        "Your", "certificate", "ready"}
    assert english_on_page('<p translate="no">Your certificate</p>', "de") == []
