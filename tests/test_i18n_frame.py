"""The frame, the home page and the account pages in other languages: every sentence is marked
for translation, the switcher is on every page, and English stays the house default."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from app.auth import throttle
from app.auth.passwords import password_problems
from app.notifications.preferences import CATEGORY_LABELS
from tests.conftest import CsrfClient
from tests.i18n_support import OPEN, PSEUDO_LOCALE, pseudo, unmarked_lines
from tests.test_i18n import html_lang

PSEUDO = {"Accept-Language": PSEUDO_LOCALE}


@pytest.mark.parametrize("path, status", [
    ("/", 200), ("/login", 200), ("/register", 200), ("/forgot-password", 200),
    ("/reset-password/not-a-token", 400), ("/verify-email/not-a-token", 400),
    ("/no-such-page", 404),
])
def test_every_word_of_the_visitors_pages_is_marked(pseudo_app, path, status):
    response = pseudo_app.test_client().get(path, headers=PSEUDO)
    assert response.status_code == status and html_lang(response) == PSEUDO_LOCALE
    assert unmarked_lines(response.get_data(as_text=True)) == []


def test_every_word_of_the_account_page_is_marked(pseudo_app, client, login_as):
    user = login_as("hr")
    response = client.get("/account", headers=PSEUDO)
    assert response.status_code == 200
    # the optional mails are named by the notifications area
    data = (user.name, user.email, *(str(label) for label in CATEGORY_LABELS.values()))
    assert unmarked_lines(response.get_data(as_text=True), data) == []


def test_refusals_of_the_login_form_are_translated(pseudo_app, make_user):
    user = make_user()
    browser = CsrfClient(pseudo_app.test_client())
    answer = browser.post("/login", {"email": user.email, "password": "wrong password"},
                          headers=PSEUDO)
    assert answer.status_code == 401
    assert escape(pseudo("The email or password is not correct.")) in answer.get_data(
        as_text=True)


def test_the_api_says_its_errors_as_plain_strings_in_the_readers_language(pseudo_app):
    answer = pseudo_app.test_client().get("/api/no-such-thing", headers=PSEUDO)
    assert answer.status_code == 404
    message = answer.get_json()["error"]["message"]
    assert isinstance(message, str) and message.startswith(OPEN)


def test_the_footer_offers_every_language_with_the_current_one_chosen(client):
    html = client.get("/login?next=/verify", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert '<html lang="fr">' in html
    switcher = re.search(r'<form method="post" action="/language" class="language-switcher">'
                         r'(.*?)</form>', html, re.S).group(1)
    assert 'name="csrf_token"' in switcher and 'name="next" value="/login?next=/verify"' in switcher
    assert '<label for="language-choice">' in switcher
    options = re.findall(r'<option value="(\w+)" lang="\w+" translate="no"( selected)?>', switcher)
    assert options == [("en", ""), ("de", ""), ("fr", " selected"), ("es", "")]


def test_english_stays_the_default_and_reads_as_before(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to content" in html
    assert "Lead with OKRs your teams believe in." in html


def test_the_throttle_says_its_wait_when_it_is_shown(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(throttle.LoginThrottled(throttle.SPENT_HERE, 1)).endswith("in 1 second.")
        assert str(throttle.LoginThrottled(throttle.SPENT_HERE, 30)).endswith("in 30 seconds.")
        assert str(throttle.LoginThrottled(throttle.SLOWED_DOWN, 600)).startswith(
            "This account has had many failed logins")
        assert "in 10 minutes." in str(throttle.LoginThrottled(throttle.SLOWED_DOWN, 600))


def test_password_problems_read_in_english_outside_a_request(app):
    with app.app_context():
        problems = password_problems("short", min_length=10)
        assert [str(problem) for problem in problems][0] == "Use at least 10 characters."


def test_a_weak_password_on_the_command_line_is_refused_in_english(runner):
    result = runner.invoke(args=["users", "create", "--email", "weak@example.com", "--name",
                                 "Weak Password", "--password", "short"])
    assert result.exit_code != 0 and "Use at least" in result.output
