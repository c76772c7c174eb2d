"""Studio pages: happy paths, permissions and bad input for every route."""
from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import select

from app.authoring import services
from app.authoring.archive import write_zip
from app.extensions import db as _db
from app.models import AuditEvent, CourseVersion
from tests.factories import EXAMPLE_COURSE, import_example_course

SLUG = "example-course"
LESSON = "01-foundations/01-origins.md"
QUIZ = "01-foundations/quiz.md"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
COURSE_PAGE = f"/studio/{SLUG}"


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def trainer(db, login_as, course):
    """A trainer who maintains the course (others are refused: tests/security)."""
    user = login_as("trainer")
    services.add_maintainer(db.session, None, course, user.email, datetime.now(UTC))
    db.session.commit()
    return user


@pytest.fixture
def draft(db, course, trainer, app):
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft


def edit_url(path: str) -> str:
    return f"/studio/{SLUG}/edit/{path}"


def textarea(html: str) -> str:
    return unescape(re.search(r"<textarea[^>]*>\n(.*?)</textarea>", html, re.S).group(1))


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- permissions ------------------------------------------------------------------------------

GET_PAGES = ["/studio/", "/studio/new", COURSE_PAGE, edit_url(LESSON), f"/studio/{SLUG}/publish",
             f"/studio/{SLUG}/images", f"/studio/{SLUG}/history", f"/studio/{SLUG}/upload",
             f"/studio/{SLUG}/download", f"/studio/{SLUG}/assets/okr-cycle.svg",
             f"/studio/{SLUG}/rename?path=01-foundations",
             f"/studio/{SLUG}/remove?path={LESSON}"]
POST_ACTIONS = [f"/studio/{SLUG}/draft", f"/studio/{SLUG}/modules", f"/studio/{SLUG}/lessons",
                f"/studio/{SLUG}/move", f"/studio/{SLUG}/publish", edit_url(LESSON),
                f"/studio/{SLUG}/preview/{LESSON}", f"/studio/{SLUG}/images/remove",
                f"/studio/{SLUG}/upload", f"/studio/{SLUG}/draft/discard", "/studio/new"]


@pytest.mark.parametrize("path", GET_PAGES)
def test_visitors_are_sent_to_the_login_page(client, draft, path):
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["learner", "hr"])
@pytest.mark.parametrize("path", GET_PAGES)
def test_learners_and_hr_get_403_on_every_page(db, course, make_user, login_as, client, role, path):
    login_as(role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["learner", "hr"])
@pytest.mark.parametrize("path", POST_ACTIONS)
def test_learners_and_hr_get_403_on_every_action(course, login_as, browser, role, path):
    login_as(role)
    response = browser.post(path, {"path": LESSON, "title": "x", "slug": "x"}, token_from="/")
    assert response.status_code == 403


@pytest.mark.parametrize("path", GET_PAGES)
def test_trainers_and_admins_open_every_page(draft, client, login_as, path):
    assert client.get(path).status_code == 200
    login_as("admin")
    assert client.get(path).status_code == 200


def test_a_post_without_its_csrf_token_is_refused(draft, client):
    response = client.post(edit_url(LESSON), data={"text": "x", "revision": "1"})
    assert response.status_code == 400 and draft.files[LESSON] != "x"


# --- the course list, creating courses, drafts -------------------------------------------------


def test_the_course_list_shows_versions_and_status(draft, client, trainer, db):
    services.save_file(db.session, trainer, draft, LESSON, draft.files[LESSON] + "\nmore\n",
                       services.file_revision(draft, LESSON))
    db.session.commit()
    html = page(client.get("/studio/"))
    assert "OKR Essentials" in html and "Unpublished changes" in html and "Version 1" in html


def test_creating_a_course(trainer, browser, db):
    response = browser.post("/studio/new", {"title": "OKR for sales", "slug": "okr-for-sales"})
    assert response.status_code == 302 and response.location.endswith("/studio/okr-for-sales")
    html = page(browser.get("/studio/okr-for-sales"))
    assert "Draft · never published" in html and "The draft passes every check" in html


@pytest.mark.parametrize("slug, status, message", [
    (SLUG, 409, "exists already"), ("new", 409, "exists already"),
    ("Bad Slug", 400, "Use lowercase letters"),
])
def test_creating_a_course_with_a_bad_or_taken_slug(course, trainer, browser, slug, status, message):
    response = browser.post("/studio/new", {"title": "Again", "slug": slug})
    assert response.status_code == status and message in page(response)


def test_starting_and_discarding_a_draft(course, trainer, browser, db):
    assert "Start a draft" in page(browser.get(COURSE_PAGE))
    assert browser.post(f"/studio/{SLUG}/draft", token_from=COURSE_PAGE).status_code == 302
    html = page(browser.get(COURSE_PAGE))
    # The test app's courses folder does not hold this course: the draft is rebuilt, and says so.
    assert "Outline" in html and "were not stored, so the draft was rebuilt" in html
    draft = services.find_draft(db.session, course)
    response = browser.post(f"/studio/{SLUG}/draft/discard", {"revision": str(draft.revision)},
                            token_from=COURSE_PAGE)
    assert response.status_code == 302 and services.find_draft(db.session, course) is None


def test_discarding_with_a_stale_revision_is_a_conflict(draft, browser):
    response = browser.post(f"/studio/{SLUG}/draft/discard", {"revision": "99"},
                            token_from=COURSE_PAGE)
    assert response.status_code == 409 and "changed since you opened it" in page(response)


def test_unknown_courses_and_files_are_404(draft, client):
    assert client.get("/studio/no-such-course").status_code == 404
    assert client.get(edit_url("01-foundations/nope.md")).status_code == 404
    assert client.get(f"/studio/{SLUG}/rename?path=nope").status_code == 404


# --- editing ----------------------------------------------------------------------------------


def test_editing_a_lesson_saves_to_the_draft_and_shows_the_preview(draft, browser, db):
    html = page(browser.get(edit_url(LESSON)))
    assert "Peter Drucker" in textarea(html)
    assert "<em>management by objectives</em>" in html  # rendered by the learner pipeline
    new_text = textarea(html).replace("in 1954", "in 1954 (The Practice of Management)")
    response = browser.post(edit_url(LESSON), {"text": new_text.replace("\n", "\r\n"),
                                               "revision": hidden(html, "revision")})
    assert response.status_code == 302
    assert "The Practice of Management" in draft.files[LESSON] and "\r" not in draft.files[LESSON]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "studio.file.save")).one()
    assert event.details["path"] == LESSON


def test_invalid_front_matter_is_kept_and_shown_beside_its_line(draft, browser):
    broken = "---\ntitle: Origins\nminuts: 6\n---\n\nBody.\n"
    html = page(browser.get(edit_url(LESSON)))
    browser.post(edit_url(LESSON), {"text": broken, "revision": hidden(html, "revision")})
    html = page(browser.get(edit_url(LESSON)))
    assert textarea(html) == broken
    assert re.search(r'class="gutter-line is-problem" title="unknown setting \'minuts\'[^"]*">3<',
                     html)
    assert "Line 3" in html and "unknown setting 'minuts'" in html


def test_a_quiz_without_a_correct_answer_is_shown_with_its_line(draft, browser):
    html = page(browser.get(edit_url(QUIZ)))
    text = textarea(html).replace("- [x] A qualitative", "- [ ] A qualitative")
    browser.post(edit_url(QUIZ), {"text": text, "revision": hidden(html, "revision")})
    html = page(browser.get(edit_url(QUIZ)))
    assert "Line 12" in html and "question 'objective-definition' has no correct option" in html
    assert '<code class="problem-source">## Which statement best describes an objective?' in html


def test_a_stale_save_is_409_keeps_the_typed_text_and_shows_the_difference(draft, browser, db,
                                                                          make_user):
    html = page(browser.get(edit_url(LESSON)))
    other = make_user("trainer", name="Olu Other")
    services.save_file(db.session, other, draft, LESSON, draft.files[LESSON] + "\nOlu was here.\n",
                       services.file_revision(draft, LESSON))
    db.session.commit()
    mine = textarea(html) + "\nMy paragraph.\n"
    response = browser.post(edit_url(LESSON), {"text": mine, "revision": hidden(html, "revision")})
    html = page(response)
    assert response.status_code == 409
    assert "Changed since you opened it" in html and "Olu Other" in html
    assert textarea(html) == mine and "+My paragraph." in html and "-Olu was here." in html
    assert "Olu was here." in draft.files[LESSON] and "My paragraph." not in draft.files[LESSON]
    # Saving again after review keeps the trainer's text on purpose.
    again = browser.post(edit_url(LESSON), {"text": mine, "revision": hidden(html, "revision")})
    assert again.status_code == 302 and "My paragraph." in draft.files[LESSON]


def test_the_live_preview_returns_html_and_problems(draft, browser):
    response = browser.post(f"/studio/{SLUG}/preview/{QUIZ}",
                            {"text": "---\ntitle: Q\n---\n\n## Pick {#p}\n- [ ] a\n- [ ] b\n"},
                            token_from=edit_url(QUIZ))
    data = response.get_json()
    assert response.status_code == 200
    assert data["problems"] == [{"line": 5, "message": "question 'p' has no correct option: mark "
                                                       "it with `- [x]`"}]
    lesson = browser.post(f"/studio/{SLUG}/preview/{LESSON}",
                          {"text": "---\ntitle: T\nminutes: 2\n---\n![cycle](../assets/okr-cycle.svg)\n"},
                          token_from=edit_url(LESSON)).get_json()
    assert lesson["problems"] == [] and f'src="/studio/{SLUG}/assets/okr-cycle.svg"' in lesson["html"]


def test_a_too_long_text_is_refused(draft, browser):
    html = page(browser.get(edit_url(LESSON)))
    response = browser.post(edit_url(LESSON), {"text": "x" * (513 * 1024),
                                               "revision": hidden(html, "revision")})
    assert response.status_code == 400 and draft.files[LESSON].startswith("---")


# --- GIFT in the quiz editor ------------------------------------------------------------------


def gift_post(browser, gift: bytes, **fields):
    html = page(browser.get(edit_url(QUIZ)))
    data = {"text": textarea(html), "revision": hidden(html, "revision"), "action": "import-gift",
            "mode": "append", "gift": (io.BytesIO(gift), "bank.gift"), **fields}
    return browser.post(edit_url(QUIZ), data, token_from=edit_url(QUIZ))


def test_a_gift_file_is_converted_into_the_editor_unsaved(draft, browser):
    response = gift_post(browser, b"::Cadence::Weeks in a cycle?{#10..14}")
    html = page(response)
    assert response.status_code == 200 and "Converted 1 question" in html
    assert textarea(html).endswith("## Weeks in a cycle? {#cadence}\n= 12 ± 2\n")
    assert "{#cadence}" not in draft.files[QUIZ]  # not saved until the trainer saves


def test_unsupported_gift_questions_are_listed_and_nothing_changes(draft, browser):
    response = gift_post(browser, b"Describe it.{}\n\nGood?{T}")
    html = page(response)
    assert response.status_code == 422
    assert "GIFT line 1" in html and "essay questions" in html
    assert "Good?" not in textarea(html)
    skipped = gift_post(browser, b"Describe it.{}\n\nGood?{T}", skip_unsupported="y")
    assert skipped.status_code == 200 and "## Good? {#question-2}" in textarea(page(skipped))


def test_a_gift_file_that_is_not_utf8_is_refused(draft, browser):
    response = gift_post(browser, "Qu\xe9?{T}".encode("latin-1"))
    assert response.status_code == 400 and "not UTF-8" in page(response)


# --- structure --------------------------------------------------------------------------------


def post_outline(browser, action: str, data: dict):
    return browser.post(f"/studio/{SLUG}/{action}", data, token_from=COURSE_PAGE)


def test_adding_a_module_a_lesson_and_a_quiz(draft, browser):
    assert post_outline(browser, "modules", {"title": "Cadence", "slug": "cadence"}).status_code == 302
    assert post_outline(browser, "lessons", {"module": "03-cadence", "title": "Weekly",
                                             "slug": "weekly", "minutes": "4"}).status_code == 302
    assert post_outline(browser, "quizzes", {"module": "03-cadence"}).status_code == 302
    assert {"03-cadence/module.md", "03-cadence/01-weekly.md", "03-cadence/quiz.md"} <= set(draft.files)


def test_a_duplicate_slug_is_409_and_changes_nothing(draft, browser):
    before = dict(draft.files)
    response = post_outline(browser, "modules", {"title": "Again", "slug": "foundations"})
    assert response.status_code == 409 and "already has a module with the slug" in page(response)
    response = post_outline(browser, "lessons", {"module": "01-foundations", "title": "Again",
                                                 "slug": "origins", "minutes": "3"})
    assert response.status_code == 409 and draft.files == before


def test_bad_outline_input_is_400(draft, browser):
    assert post_outline(browser, "modules", {"title": "X", "slug": "Not a slug"}).status_code == 400
    assert post_outline(browser, "lessons", {"module": "01-foundations", "title": "X",
                                             "slug": "x", "minutes": "0"}).status_code == 400
    assert post_outline(browser, "lessons", {"module": "09-nope", "title": "X", "slug": "x",
                                             "minutes": "3"}).status_code == 400
    assert post_outline(browser, "move", {"path": LESSON, "step": "7"}).status_code == 400


def test_moving_a_lesson(draft, browser):
    assert post_outline(browser, "move", {"path": LESSON, "step": "1"}).status_code == 302
    assert "01-foundations/02-origins.md" in draft.files


def test_renaming_a_slug_needs_confirmation(draft, browser):
    url = f"/studio/{SLUG}/rename?path={LESSON}"
    html = page(browser.get(url))
    assert "learners' progress" in html
    refused = browser.post(url, {"path": LESSON, "title": "History", "slug": "history"})
    assert refused.status_code == 400 and LESSON in draft.files
    done = browser.post(url, {"path": LESSON, "title": "History", "slug": "history",
                              "confirm_slug_change": "y"})
    assert done.status_code == 302 and "01-foundations/01-history.md" in draft.files


def test_renaming_only_the_title_needs_no_confirmation(draft, browser):
    url = f"/studio/{SLUG}/rename?path=01-foundations"
    response = browser.post(url, {"path": "01-foundations", "title": "Basics", "slug": "foundations"})
    assert response.status_code == 302
    assert "title: Basics" in draft.files["01-foundations/module.md"]


def test_removing_needs_confirmation(draft, browser):
    url = f"/studio/{SLUG}/remove?path=01-foundations"
    assert "and its 2 lessons" in page(browser.get(url))
    assert browser.post(url, {"path": "01-foundations"}).status_code == 400
    assert browser.post(url, {"path": "01-foundations", "confirm": "y"}).status_code == 302
    assert not any(p.startswith("01-foundations/") for p in draft.files)


# --- images -----------------------------------------------------------------------------------


def upload_image(browser, name: str, data: bytes, **fields):
    url = f"/studio/{SLUG}/images"
    return browser.post(url, {"image": (io.BytesIO(data), name), **fields})


def test_uploading_and_serving_an_image(draft, browser, db):
    assert upload_image(browser, "chart.png", PNG).status_code == 302
    served = browser.get(f"/studio/{SLUG}/assets/chart.png")
    assert served.data == PNG and served.mimetype == "image/png"
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "chart.png" in page(browser.get(f"/studio/{SLUG}/images"))
    assert browser.post(f"/studio/{SLUG}/images/remove", {"path": "chart.png"},
                        token_from=f"/studio/{SLUG}/images").status_code == 302
    assert "chart.png" not in services.draft_assets(draft)


@pytest.mark.parametrize("name, data, status, message", [
    ("notes.png", b"plain text, not a picture", 415, "is not an image"),
    ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415,
     "scripts, event handlers"),
    ("photo.jpg", PNG, 415, "holds a PNG image"),
    ("okr-cycle.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', 409, "exists already"),
])
def test_bad_images_are_refused(draft, browser, name, data, status, message):
    before = services.draft_assets(draft)
    response = upload_image(browser, name, data)
    assert response.status_code == status and message in page(response)
    assert services.draft_assets(draft) == before


def test_an_oversized_image_is_413(draft, browser, app):
    app.config["STUDIO_MAX_IMAGE_BYTES"] = 1000
    response = upload_image(browser, "big.png", PNG + b"\0" * 2000)
    assert response.status_code == 413 and "images may be at most" in page(response)


# --- archives ---------------------------------------------------------------------------------


def test_downloading_the_draft_and_the_published_version(draft, client):
    for query in ("", "?source=published"):
        response = client.get(f"/studio/{SLUG}/download{query}")
        assert response.mimetype == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert archive.read(f"{SLUG}/{LESSON}") == (EXAMPLE_COURSE / LESSON).read_bytes()
            assert archive.read(f"{SLUG}/assets/okr-cycle.svg") == \
                (EXAMPLE_COURSE / "assets/okr-cycle.svg").read_bytes()


def upload_zip(browser, data: bytes, confirm: bool = True):
    fields = {"archive": (io.BytesIO(data), "course.zip")}
    if confirm:
        fields["confirm"] = "y"
    return browser.post(f"/studio/{SLUG}/upload", fields)


def test_uploading_a_zip_replaces_the_draft(draft, browser, client):
    archive = client.get(f"/studio/{SLUG}/download").data
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        files = {name.split("/", 1)[1]: source.read(name) for name in source.namelist()}
    files[LESSON] = files[LESSON].replace(b"1954", b"1954 (edited offline)")
    response = upload_zip(browser, write_zip(SLUG, files))
    assert response.status_code == 302 and "edited offline" in draft.files[LESSON]


@pytest.mark.parametrize("entries, status, message", [
    ({"../escape.md": b"x"}, 400, "points outside its folder"),
    ({"/etc/cron.d/job": b"x"}, 400, "absolute path"),
    ({"01-a/01-b.md": b"\xff\xfe"}, 422, "not UTF-8"),
])
def test_unsafe_or_unusable_zips_change_nothing(draft, browser, entries, status, message):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.md", b"---\ntitle: x\n---\n")
        for name, data in entries.items():
            archive.writestr(name, data)
    before = dict(draft.files)
    response = upload_zip(browser, buffer.getvalue())
    assert response.status_code == status and message in page(response)
    assert draft.files == before


def test_an_oversized_upload_is_413(draft, browser, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = upload_zip(browser, write_zip(SLUG, {"assets/noise.bin": os.urandom(5000)}))
    assert response.status_code == 413


def test_a_zip_upload_needs_confirmation(draft, browser):
    response = upload_zip(browser, write_zip(SLUG, {"course.md": b"x"}), confirm=False)
    assert response.status_code == 400 and "Tick the box" in page(response)


def test_junk_instead_of_a_zip_is_400(draft, browser):
    response = upload_zip(browser, b"definitely not a zip")
    assert response.status_code == 400 and "not a zip archive" in page(response)


# --- publishing and history -------------------------------------------------------------------


def test_publish_page_shows_the_diff_and_publishes(draft, browser, db, course, trainer):
    services.save_file(db.session, trainer, draft, LESSON,
                       draft.files[LESSON].replace("in 1954", "in 1954, famously"),
                       services.file_revision(draft, LESSON))
    db.session.commit()
    html = page(browser.get(f"/studio/{SLUG}/publish"))
    assert "+Peter Drucker described *management by objectives* in 1954, famously." in html
    assert "Publish version 2" in html
    response = browser.post(f"/studio/{SLUG}/publish", {"revision": hidden(html, "revision")})
    assert response.status_code == 302
    assert course.current_version.number == 2
    lesson = browser.get(f"/courses/{SLUG}/foundations/origins")
    assert lesson.status_code in (200, 403)  # the trainer is not enrolled; the version is live
    history = page(browser.get(f"/studio/{SLUG}/history"))
    assert "Published example-course version 2" in history and "Saved lesson" in history


def test_publishing_an_invalid_draft_is_422_and_publishes_nothing(draft, browser, db, trainer):
    services.save_file(db.session, trainer, draft, QUIZ, draft.files[QUIZ].replace("- [x]", "- [ ]"),
                       services.file_revision(draft, QUIZ))
    db.session.commit()
    html = page(browser.get(f"/studio/{SLUG}/publish"))
    response = browser.post(f"/studio/{SLUG}/publish", {"revision": hidden(html, "revision")})
    assert response.status_code == 422 and "no correct option" in page(response)
    assert db.session.scalar(select(CourseVersion.id).where(CourseVersion.number == 2)) is None


def test_publishing_after_the_draft_changed_is_409(draft, browser, db, trainer):
    html = page(browser.get(f"/studio/{SLUG}/publish"))
    services.save_file(db.session, trainer, draft, LESSON, draft.files[LESSON] + "\nlate\n",
                       services.file_revision(draft, LESSON))
    db.session.commit()
    response = browser.post(f"/studio/{SLUG}/publish", {"revision": hidden(html, "revision")})
    assert response.status_code == 409


def test_publishing_without_changes_says_so(draft, browser):
    html = page(browser.get(f"/studio/{SLUG}/publish"))
    assert "nothing to publish" in html
    response = browser.post(f"/studio/{SLUG}/publish", {"revision": hidden(html, "revision")})
    assert response.status_code == 302
    assert "Nothing to publish" in page(browser.get(COURSE_PAGE))


def test_pages_without_a_draft_say_how_to_start_one(course, trainer, client):
    response = client.get(edit_url(LESSON))
    assert response.status_code == 404 and "start one" in page(response)
    assert _db.session.get(type(course), course.id).current_version.number == 1


def test_a_gift_file_with_too_many_questions_keeps_the_editors_text(draft, browser):
    from app.authoring.gift import MAX_GIFT_QUESTIONS

    response = gift_post(browser, b"Q?{T}\n\n" * (MAX_GIFT_QUESTIONS + 1))
    assert response.status_code == 413
    assert f"at most {MAX_GIFT_QUESTIONS} are converted" in page(response)
    assert "Foundations check" in page(response)  # the quiz text typed so far is still there
