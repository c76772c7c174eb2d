"""The learner's pages in the reader's language: sentences from the catalogue, values escaped."""
from __future__ import annotations

import pytest

from tests.i18n_support import serve_catalogues, write_catalogue
from tests.test_quiz_pages import (  # noqa: F401 (fixtures)
    QUIZ_URL, course, form_for, learner, start, submit,
)

GERMAN = {
    "Courses": "Kurse",
    "Module %(number)d: %(title)s": "Modul %(number)d: %(title)s",
    ("%(num)d lesson", "%(num)d lessons"): ("%(num)d Lektion", "%(num)d Lektionen"),
    "%(minutes)d min": "%(minutes)d Min.",
    "Saved at %(time)s": "Gespeichert um %(time)s",
    "'%(option)s' is not an option of question '%(question)s'.":
        "„%(option)s“ ist keine Antwortmöglichkeit der Frage „%(question)s“.",
}


@pytest.fixture
def german(app, tmp_path):
    """A small German catalogue in place of the shipped ones, for this test only."""
    write_catalogue(tmp_path / "translations", "de", GERMAN)
    for _ in serve_catalogues(app, tmp_path / "translations"):
        yield {"Accept-Language": "de"}


def test_the_course_page_speaks_german(client, course, german):
    html = client.get("/courses/example-course", headers=german).get_data(as_text=True)
    assert "Kurse</a>" in html and "Modul 1: " in html and " Lektionen" in html
    assert " Min." in html and "Module 1: " not in html


def test_the_course_page_stays_english_by_default(client, course):
    html = client.get("/courses/example-course").get_data(as_text=True)
    assert "Courses</a>" in html and "Module 1: " in html and " lessons" in html


def test_the_attempt_page_gives_the_script_its_sentences(client, browser, learner, german):
    attempt = start(browser, QUIZ_URL)
    english = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-text-saved="Saved at {time}"' in english
    assert 'data-text-answered="Question {number}, answered"' in english
    translated = client.get(f"/attempts/{attempt.id}", headers=german).get_data(as_text=True)
    assert 'data-text-saved="Gespeichert um {time}"' in translated


def test_a_posted_value_in_a_translated_refusal_is_escaped(client, browser, learner, german):
    attempt = start(browser, QUIZ_URL)
    data = {**form_for(attempt, right=True), "answer-objective-definition": "<b>x</b>"}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = submit(browser, attempt, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "„&lt;b&gt;x&lt;/b&gt;“ ist keine Antwortmöglichkeit" in html
    assert "<b>x</b>" not in html
