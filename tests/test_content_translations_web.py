"""Translated course content in the database and on the pages: import, the learner's content
language (same progress and attempts), quizzes graded alike in both languages, the studio."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import func, select

from app.authoring import folder, services as studio
from app.courses import services
from app.courses.content import CourseInvalid, content_hash
from app.courses.translations import course_wording, version_locales
from app.extensions import db as _db
from app.models import LessonProgress, QuizAttempt, VersionTranslation
from tests.content_translations_support import SLUG, edit, translated_course
from tests.factories import EXAMPLE_COURSE, import_example_course

COURSE_URL = f"/courses/{SLUG}"
LESSON_URL = f"{COURSE_URL}/foundations/origins"
QUIZ_URL = f"{COURSE_URL}/quiz/foundations"
CHOOSER = f"{COURSE_URL}/content-language"


@pytest.fixture
def course(db, tmp_path):
    result = services.import_course(db.session, translated_course(tmp_path))
    db.session.commit()
    return result.course


@pytest.fixture
def learner(db, login_as, course):
    user = login_as("learner")
    services.enroll(db.session, user, course)
    db.session.commit()
    return user


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def choose(browser, locale: str, back: str = COURSE_URL):
    return browser.post(CHOOSER, {"locale": locale, "next": back}, token_from=back)


# --- storage -----------------------------------------------------------------------------------


def test_import_stores_each_translated_part_and_the_wording(course, db, tmp_path):
    version = course.current_version
    parts = db.session.execute(
        select(VersionTranslation.part, func.count()).where(
            VersionTranslation.version_id == version.id, VersionTranslation.locale == "de")
        .group_by(VersionTranslation.part)).all()
    assert dict(parts) == {"course": 1, "module": 2, "lesson": 4, "quiz": 3}
    assert version_locales(db.session, version) == ("en", "de")
    assert version.content_hash != content_hash(EXAMPLE_COURSE)
    lesson = next(row for row in version.translations if row.ref == "foundations/origins")
    assert "DE Origins" == lesson.data["title"] and 'src="/courses/example-course/assets/' \
        'okr-cycle.svg?v=1"' in lesson.data["html"]
    quiz = next(r for r in version.translations if (r.part, r.ref) == ("quiz", "foundations"))
    assert quiz.data["questions"]["objective-definition"]["options"]["b"].startswith("DE ")
    german = course_wording(db.session, version, "de")
    assert (german.title, german.locale, german.signatory_title) == ("DE OKR Essentials", "de",
                                                                     None)
    assert course_wording(db.session, version, "fr").title == "OKR Essentials"
    assert course_wording(db.session, version, "fr").locale == "en"


def test_reimporting_is_unchanged_and_a_changed_translation_is_a_new_version(course, db,
                                                                             tmp_path):
    folder_path = tmp_path / "courses" / SLUG
    assert services.import_course(db.session, folder_path).status == "unchanged"
    edit(folder_path / "01-foundations/01-origins.de.md", "title: DE Origins",
         "title: DE Ursprünge")
    result = services.import_course(db.session, folder_path)
    db.session.commit()
    assert (result.status, result.version.number) == ("updated", 2)
    page = next(r for r in result.version.translations if r.ref == "foundations/origins")
    assert page.data["title"] == "DE Ursprünge"


def test_an_inconsistent_translation_is_refused_and_nothing_is_written(db, tmp_path):
    folder_path = translated_course(tmp_path)
    edit(folder_path / "01-foundations/quiz.de.md", "- [x] DE A qualitative",
         "- [ ] DE A qualitative")
    with pytest.raises(CourseInvalid) as refused:
        services.import_course(db.session, folder_path)
    assert any(p.path == f"{SLUG}/01-foundations/quiz.de.md" for p in refused.value.problems)
    db.session.rollback()
    assert count(VersionTranslation) == 0


# --- the learner's content language ------------------------------------------------------------


def test_a_learner_switches_language_and_keeps_one_progress(learner, browser, db):
    page = text(browser.get(COURSE_URL))
    assert "OKR Essentials" in page and "DE OKR Essentials" not in page
    assert re.search(r'<option value="de" lang="de" translate="no"[^>]*>Deutsch</option>', page)
    response = choose(browser, "de")
    assert response.status_code == 303 and response.headers["Location"].endswith(COURSE_URL)
    db.session.refresh(learner)
    assert learner.content_locale == "de"
    page = text(browser.get(COURSE_URL))
    assert '<html lang="en"' in page and '<h1 lang="de">DE OKR Essentials</h1>' in page
    assert "DE Origins" in page and "DE This course introduces" in page
    lesson = text(browser.get(LESSON_URL))
    assert '<div lang="de">' in lesson and "DE Origins" in lesson
    assert browser.post(f"{LESSON_URL}/complete", {}, token_from=LESSON_URL).status_code in (
        302, 303)
    choose(browser, "en")
    page = text(browser.get(COURSE_URL))
    assert "DE Origins" not in page and "1 of 4 lessons completed" in page
    assert count(LessonProgress) == 1


def test_the_interface_language_decides_until_the_learner_chooses(learner, client, db):
    learner.locale = "de"
    db.session.commit()
    assert "DE OKR Essentials" in text(client.get(COURSE_URL))
    learner.locale = "fr"
    db.session.commit()
    page = text(client.get(COURSE_URL))
    assert "DE OKR Essentials" not in page and 'lang="en"' in page  # English content, French page


def test_a_visitor_chooses_with_a_cookie(course, browser):
    response = choose(browser, "de")
    assert response.status_code == 303
    assert "content_lang=de" in response.headers["Set-Cookie"]
    assert "DE OKR Essentials" in text(browser.get(COURSE_URL))


def test_a_language_the_course_lacks_is_refused(learner, browser, db):
    response = choose(browser, "fr")
    assert response.status_code == 303
    db.session.refresh(learner)
    assert learner.content_locale is None
    assert "This course is not offered in that language." in text(browser.get(COURSE_URL))
    assert browser.post(CHOOSER, {"locale": "de"}, token_from=COURSE_URL).status_code == 303
    assert browser.client.post(CHOOSER, data={"locale": "de"}).status_code == 400  # no CSRF


def test_a_course_without_translations_shows_no_chooser(db, client):
    import_example_course(db)
    assert 'name="locale"' not in text(client.get(COURSE_URL)).split("language-switcher")[0]


def _form(snapshot: dict) -> dict:
    """The right answers as the page posts them (option positions, numbers as typed)."""
    data = {}
    for question in snapshot["questions"]:
        name = f"answer-{question['id']}"
        if question["kind"] == "numeric":
            data[name] = str(question["answer"])
        else:
            data[name] = [str(n) for n, o in enumerate(question["options"], start=1)
                          if o["correct"]]
    return data


def test_a_quiz_in_german_is_graded_like_the_english_one(learner, browser, db):
    choose(browser, "de")
    started = browser.post(QUIZ_URL, {})
    assert started.status_code == 303
    attempt_url = started.headers["Location"]
    page = text(browser.get(attempt_url))
    assert "DE Which statement best describes an objective?" in page
    assert '<legend class="quiz-stem" lang="de">' in page
    attempt = db.session.scalars(select(QuizAttempt)).one()
    assert not attempt.snapshot["questions"][0]["stem_md"].startswith("DE ")  # stored in English
    submitted = browser.post(f"{attempt_url}/submit", _form(attempt.snapshot),
                             token_from=attempt_url)
    assert submitted.status_code == 303
    db.session.expire_all()
    attempt = db.session.scalars(select(QuizAttempt)).one()
    assert attempt.passed and attempt.score == 100
    result = text(browser.get(f"{attempt_url}/result"))
    assert "DE Key results carry the numbers" in result
    choose(browser, "en")
    result = text(browser.get(f"{attempt_url}/result"))
    assert "Key results carry the numbers" in result and "DE Key results" not in result
    assert count(QuizAttempt) == 1


# --- the studio --------------------------------------------------------------------------------


@pytest.fixture
def draft(db, login_as):
    course = import_example_course(db)
    trainer = login_as("trainer")
    studio.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    draft = studio.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def test_the_studio_translates_edits_previews_and_publishes(draft, browser, db):
    studio_url = f"/studio/{SLUG}"
    assert "Translate into Deutsch" in text(browser.get(studio_url))
    response = browser.post(f"{studio_url}/translate",
                            {"path": "01-foundations/01-origins.md", "locale": "de"},
                            token_from=studio_url)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/edit/01-foundations/01-origins.de.md")
    db.session.refresh(draft)
    assert draft.files["01-foundations/01-origins.de.md"] == \
        draft.files["01-foundations/01-origins.md"]
    assert "course.de.md" in draft.files
    page = text(browser.get(studio_url))
    assert ">Deutsch</span></a>" in page and "the German translation lacks this file" in page
    publish = text(browser.get(f"{studio_url}/publish"))
    refused = browser.post(f"{studio_url}/publish", {"revision": hidden(publish, "revision")})
    assert refused.status_code in (400, 409, 422)
    assert "the German translation lacks this file" in text(refused)
    for path in [p for p in draft.files if not p.endswith(".de.md")]:
        if path not in ("course.md", "01-foundations/01-origins.md"):
            studio.start_translation(db.session, draft.updated_by, draft, path, "de")
    db.session.commit()
    lesson = "01-foundations/01-origins.de.md"
    editor = text(browser.get(f"{studio_url}/edit/{lesson}"))
    assert "Translation into Deutsch of" in editor
    german = draft.files[lesson].replace("title: Origins", "title: Ursprünge")
    saved = browser.post(f"{studio_url}/edit/{lesson}", {"text": german,
                                                          "revision": hidden(editor, "revision")})
    assert saved.status_code in (302, 303)
    preview = browser.post(f"{studio_url}/preview/{lesson}", {"text": german + "\nNeu.\n"},
                           token_from=f"{studio_url}/edit/{lesson}")
    assert "Neu." in preview.get_json()["html"]
    publish = text(browser.get(f"{studio_url}/publish"))
    published = browser.post(f"{studio_url}/publish", {"revision": hidden(publish, "revision")})
    assert published.status_code in (302, 303), text(published)[:2000]
    version = draft.course.current_version
    db.session.refresh(version)
    assert version.number == 2 and version_locales(db.session, version) == ("en", "de")
    row = next(r for r in version.translations if r.ref == "foundations/origins")
    assert row.data["title"] == "Ursprünge"


def test_publishing_an_inconsistent_translation_is_refused_with_its_problems(draft, browser, db):
    for path in list(draft.files):
        if f"{path[:-3]}.de.md" not in draft.files:
            studio.start_translation(db.session, draft.updated_by, draft, path, "de")
    quiz = "01-foundations/quiz.de.md"
    draft.files = {**draft.files, quiz: draft.files[quiz].replace(
        "- [x] A qualitative", "- [ ] A qualitative")}
    db.session.commit()
    publish = text(browser.get(f"/studio/{SLUG}/publish"))
    refused = browser.post(f"/studio/{SLUG}/publish", {"revision": hidden(publish, "revision")})
    assert refused.status_code != 303
    assert "question 'objective-definition' has no correct option" in text(refused) or \
        "the options marked [x]" in text(refused)
    assert draft.course.current_version.number == 1


def test_structure_edits_carry_translations_along():
    files = {"course.md": "c", "01-a/module.md": "m", "01-a/01-x.md": "x", "01-a/01-x.de.md": "X",
             "01-a/02-y.md": "y", "01-a/02-y.de.md": "Y", "01-a/quiz.md": "q",
             "01-a/quiz.de.md": "Q"}
    assert [lesson.path for lesson in folder.read_outline(files).modules[0].lessons] == [
        "01-a/01-x.md", "01-a/02-y.md"]
    assert folder.read_outline(files).other_paths == ()
    assert folder.file_kind(files, "01-a/quiz.de.md") == "quiz"
    moved = folder.move(files, "01-a/01-x.md", 1)
    assert moved["01-a/02-x.de.md"] == "X" and moved["01-a/01-y.de.md"] == "Y"
    renamed, _ = folder.rename_lesson(files, "01-a/01-x.md", "", "z")
    assert renamed["01-a/01-z.de.md"] == "X" and "01-a/01-x.de.md" not in renamed
    removed = folder.remove(files, "01-a/quiz.md")
    assert "01-a/quiz.de.md" not in removed and "01-a/01-x.de.md" in removed


def test_the_catalogue_and_the_dashboard_name_courses_in_the_chosen_language(learner, browser):
    assert "DE OKR Essentials" not in text(browser.get("/courses"))
    choose(browser, "de")
    catalogue = text(browser.get("/courses"))
    assert '<h2 lang="de"><a href="/courses/example-course">DE OKR Essentials</a></h2>' in catalogue
    assert "DE A short course" in catalogue
    assert "DE OKR Essentials" in text(browser.get("/dashboard/learning"))
