"""The studio and the capstone grading in the reader's language: every word a trainer reads on
these pages was marked for translation (checked with the pseudo-locale)."""
from __future__ import annotations

import re

import pytest

from app.authoring import services
from app.authoring.folder import read_outline, title_of
from app.clock import utcnow
from app.models import CapstoneSubmission
from app.models.quizzes import FINAL_EXAM_KEY
from tests.capstone_fixtures import (  # noqa: F401  (fixtures)
    CAPSTONE, capstone_course, ready_learner, trainer,
)
from tests.conftest import log_in
from tests.factories import EXAMPLE_COURSE, take_quiz
from tests.i18n_support import (
    PSEUDO_LOCALE, VisibleText, serve_catalogues, unmarked_lines, write_catalogue,
)
from tests.test_i18n import html_lang

SLUG = "capstone-course"
LESSON = "01-foundations/01-origins.md"
QUIZ = "01-foundations/quiz.md"
#: the rubric's words: criteria, level names and what each level shows (content, not interface)
RUBRIC = (*re.findall(r"^## (.+?) \{", CAPSTONE, re.M),
          *(text for level in re.findall(r"^- \*\*(\w+)\*\* \(\d+\): (.+)$", CAPSTONE, re.M)
            for text in level),
          *re.findall(r"^(?![-#])(\w.+)$", CAPSTONE.split("# Rubric", 1)[1], re.M))

#: dates (in the house format of a locale Babel barely knows) and file paths are not sentences
DATES_AND_PATHS = re.compile(r"\d{1,2} \w{3,} \d{4}(, \d\d:\d\d \w+)?|[\w./-]+\.md\b")


class _InterfaceText(VisibleText):
    """The visible text less the course's content: the Markdown being edited, its preview and
    the rendered work, and code (slugs, paths, commands)."""

    CONTENT = {"textarea", "code", "pre"}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        content = (tag in self.CONTENT or "data-preview" in attributes
                   or "prose" in (attributes.get("class") or "").split())
        super().handle_starttag(tag, [*attrs, ("translate", "no")] if content else attrs)


def untranslated_text(html: str, data: tuple[str, ...]) -> list[str]:
    """The interface text outside every pseudo-translation, less the given data (titles, names:
    content, not interface)."""
    return unmarked_lines(html, data, parser=_InterfaceText, also_data=DATES_AND_PATHS)


@pytest.fixture
def studio(db, client, pseudo_app, capstone_course, ready_learner, trainer):
    """A trainer's studio with a draft of the capstone course and a hand-in waiting."""
    take_quiz(db, ready_learner, capstone_course, FINAL_EXAM_KEY)
    services.start_draft(db.session, trainer, capstone_course, EXAMPLE_COURSE.parent)
    db.session.commit()
    submission = CapstoneSubmission(user_id=ready_learner.id, course_id=capstone_course.id,
                                    version_id=capstone_course.current_version_id,
                                    text_md="Our OKRs", attempt=1, status="submitted")
    db.session.add(submission)
    db.session.commit()
    log_in(client, trainer)
    return submission


def data_of(db, course, *people) -> tuple[str, ...]:
    """What the pages show that is content: the titles of the course and its parts, names."""
    draft = services.find_draft(db.session, course)
    outline = read_outline(draft.files)
    titles = [course.title, *(person.name for person in people), *(person.email for person in people)]
    for module in outline.modules:
        titles += [module.title, *(lesson.title for lesson in module.lessons)]
        if module.quiz_path:
            titles.append(title_of(draft.files[module.quiz_path], ""))
    return (*titles, *RUBRIC)


PAGES = ["/studio/", f"/studio/{SLUG}", f"/studio/{SLUG}/edit/{LESSON}", f"/studio/{SLUG}/edit/{QUIZ}",
         "/studio/grading", "/studio/grading?state=all", "/studio/grading/{submission}"]


@pytest.mark.parametrize("path", PAGES)
def test_every_word_a_trainer_reads_was_marked_for_translation(db, client, studio, trainer,
                                                               ready_learner, path):
    path = path.format(submission=studio.id)
    html = client.get(path, headers={"Accept-Language": PSEUDO_LOCALE})
    assert html.status_code == 200 and html_lang(html) == PSEUDO_LOCALE
    left = untranslated_text(html.get_data(as_text=True),
                             data_of(db, studio.course, trainer, ready_learner))
    assert not left, f"{path}: text never marked for translation:\n" + "\n".join(map(repr, left))


def test_the_score_form_of_a_claimed_submission_is_marked_for_translation(
        db, client, studio, trainer, ready_learner):
    studio.claimed_by_id, studio.claimed_at = trainer.id, utcnow()
    db.session.commit()
    html = client.get(f"/studio/grading/{studio.id}", headers={"Accept-Language": PSEUDO_LOCALE})
    assert html.status_code == 200
    left = untranslated_text(html.get_data(as_text=True),
                             data_of(db, studio.course, trainer, ready_learner))
    assert not left, "\n".join(map(repr, left))


GERMAN = {
    "Line %(line)s": "Zeile %(line)s",
    ("%(count)s problem in this file", "%(count)s problems in this file"):
        ("%(count)s Problem in dieser Datei", "%(count)s Probleme in dieser Datei"),
    "Choose a level for “%(criterion)s”.": "Wählen Sie eine Stufe für „%(criterion)s“.",
}


@pytest.fixture
def german(app, tmp_path):
    """A small German catalogue in place of the shipped ones, for this test only."""
    write_catalogue(tmp_path / "translations", "de", GERMAN)
    for _ in serve_catalogues(app, tmp_path / "translations"):
        yield {"Accept-Language": "de"}


def test_the_editor_gives_its_script_the_sentences_in_the_pages_language(
        db, client, studio, german):
    url = f"/studio/{SLUG}/edit/{LESSON}"
    english = client.get(url).get_data(as_text=True)
    assert 'data-text-line="Line {line}"' in english
    assert 'data-text-problem-other="{count} problems in this file"' in english
    german_page = client.get(url, headers=german).get_data(as_text=True)
    assert 'data-text-line="Zeile {line}"' in german_page
    assert 'data-text-problem-one="{count} Problem in dieser Datei"' in german_page


def test_a_refused_score_is_explained_in_the_trainers_language(db, client, browser, studio,
                                                               trainer, german):
    url = f"/studio/grading/{studio.id}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert browser.post(f"{url}/claim", token_from=url).status_code == 303
    refused = browser.post(url, {"level-objectives": "4"}, token_from=url)
    assert refused.status_code == 400
    assert "Wählen Sie eine Stufe für „Key results measure outcomes“." in \
        refused.get_data(as_text=True)


def test_the_studio_stays_closed_to_learners_in_every_language(client, login_as):
    login_as("learner")
    assert client.get("/studio/", headers={"Accept-Language": "fr"}).status_code == 403
