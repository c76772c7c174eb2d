"""Studio services: drafts, saving with the version check, structure edits, publishing through the
importer, progress across a publish, version sources and byte-stable export."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text, update

from app.authoring import services
from app.authoring.archive import ArchiveRejected, write_zip
from app.authoring.folder import DuplicateSlug, FolderRejected, OutlineError, content_hash
from app.authoring.images import ImageRejected
from app.authoring.sources import (
    CourseSources, capture_version_files, export_folder, version_sources,
)
from app.courses import services as course_services
from app.courses.reader import content_hash as folder_hash
from app.courses.reader import visible_files
from app.courses.content import read_course
from app.domain import DomainError
from app.models import AuditEvent, CourseDraft, CourseVersion, CourseVersionFile
from tests.factories import EXAMPLE_COURSE, import_example_course

LESSON = "01-foundations/01-origins.md"
QUIZ = "01-foundations/quiz.md"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", name="Tess Trainer")


@pytest.fixture
def draft(db, course, trainer):
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft


def folder_files(folder) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in visible_files(folder)}


def save(db, trainer, draft, path, new_text):
    changed = services.save_file(db.session, trainer, draft, path, new_text,
                                 services.file_revision(draft, path))
    db.session.commit()
    return changed


# --- starting drafts and the sources of a version ---------------------------------------------


def test_a_draft_starts_from_the_exact_files_of_the_current_version(draft, course):
    original = folder_files(EXAMPLE_COURSE)
    assert {p: t.encode() for p, t in draft.files.items()} == {
        p: data for p, data in original.items() if not p.startswith("assets/")}
    assert services.draft_assets(draft) == {"okr-cycle.svg": original["assets/okr-cycle.svg"]}
    assert draft.content_hash == course.current_version.content_hash
    assert draft.base_version_id == course.current_version_id
    assert services.StudioCourse(course, draft, 1).status == "published"


def test_starting_a_draft_stores_the_verified_files_of_the_version(db, draft, course):
    stored = db.session.scalars(select(CourseVersionFile.path).where(
        CourseVersionFile.version_id == course.current_version_id)).all()
    assert LESSON in stored
    # Stored now, the files no longer depend on the courses folder.
    sources = version_sources(db.session, course.current_version, courses_dir=None)
    assert sources.origin == "stored" and sources.content_hash == course.current_version.content_hash


def test_without_stored_or_matching_files_a_version_is_rebuilt_from_its_spec(db, course, tmp_path):
    changed = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, changed)
    (changed / LESSON).write_text("---\ntitle: Edited on disk\nminutes: 3\n---\n\nNew.\n")
    sources = version_sources(db.session, course.current_version, courses_dir=tmp_path)
    assert sources.origin == "rebuilt"
    rebuilt = tmp_path / "rebuilt" / "example-course"
    export_folder(rebuilt, sources)
    spec, problems = read_course(rebuilt)
    assert problems == []
    assert [lesson.body_md for m in spec.modules for lesson in m.lessons] == [
        lesson["body_md"] for m in course.current_version.spec["modules"] for lesson in m["lessons"]]


def test_the_draft_hash_is_the_importers_hash(draft):
    assert content_hash(draft.files, services.draft_assets(draft)) == folder_hash(EXAMPLE_COURSE)


def test_a_second_start_returns_the_same_draft(db, draft, course, trainer):
    assert services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent) is draft


def test_creating_a_course_gives_a_draft_that_validates(db, trainer):
    draft = services.create_course(db.session, trainer, slug="okr-101", title="OKR 101")
    db.session.commit()
    assert draft.course.status == "draft" and draft.course.current_version is None
    assert services.validate_draft(draft) == []
    assert course_services.find_course(db.session, "okr-101") is None  # not in the catalogue


@pytest.mark.parametrize("slug", ["example-course", "new"])
def test_creating_a_course_with_a_taken_or_reserved_slug_is_refused(db, course, trainer, slug):
    with pytest.raises(services.CourseExists, match="exists already"):
        services.create_course(db.session, trainer, slug=slug, title="Again")


def test_a_course_slug_must_be_a_slug(db, trainer):
    with pytest.raises(services.StudioError, match="lowercase"):
        services.create_course(db.session, trainer, slug="Bad Slug", title="Bad")


def test_studio_errors_are_one_domain_family_with_their_statuses():
    assert issubclass(services.StudioError, DomainError)
    assert services.StudioError("x").status_code == 400
    assert services.CourseExists("x").status_code == services.DraftConflict("x").status_code == 409
    assert services.DraftInvalid([]).status_code == 422
    assert services.GiftTooLarge("x").status_code == 413
    assert issubclass(OutlineError, services.StudioError) and DuplicateSlug("x").status_code == 409
    assert issubclass(FolderRejected, services.StudioError)
    assert ArchiveRejected("x", 413).status_code == 413 and ImageRejected("x").status_code == 415
    assert ImageRejected("x", 400).status == 400  # the name the studio's views read


# --- saving and the version check -------------------------------------------------------------


def test_saving_a_file_bumps_the_revision_stamps_only_that_file_and_audits(db, draft, trainer):
    before = dict(draft.file_revisions)
    assert save(db, trainer, draft, LESSON, draft.files[LESSON] + "\nOne more line.\n")
    assert draft.revision == 2
    assert draft.file_revisions[LESSON] == 2
    assert all(draft.file_revisions[p] == before[p] for p in before if p != LESSON)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "studio.file.save")).one()
    assert event.actor_id == trainer.id and event.details["path"] == LESSON
    assert "lesson" in event.summary


def test_saving_the_same_text_changes_nothing(db, draft, trainer):
    crlf = draft.files[LESSON].replace("\n", "\r\n")  # as a browser sends it
    assert not save(db, trainer, draft, LESSON, crlf)
    assert draft.revision == 1


def test_a_stale_save_is_a_conflict_and_overwrites_nothing(db, draft, trainer, make_user):
    other = make_user("trainer", name="Olu Other")
    opened_at = services.file_revision(draft, LESSON)
    save(db, other, draft, LESSON, draft.files[LESSON] + "\nOlu's paragraph.\n")
    with pytest.raises(services.DraftConflict, match="changed since you opened it.*Olu Other"):
        services.save_file(db.session, trainer, draft, LESSON, "my version", opened_at)
    db.session.rollback()
    assert "Olu's paragraph." in draft.files[LESSON]


def test_saves_of_different_files_do_not_conflict(db, draft, trainer, make_user):
    other = make_user("trainer")
    lesson_opened, quiz_opened = (services.file_revision(draft, p) for p in (LESSON, QUIZ))
    services.save_file(db.session, other, draft, LESSON, draft.files[LESSON] + "\nx\n",
                       lesson_opened)
    db.session.commit()
    assert services.save_file(db.session, trainer, draft, QUIZ, draft.files[QUIZ] + "\n",
                              quiz_opened)


def test_a_concurrent_writer_that_wins_the_race_makes_the_save_fail(db, draft, trainer):
    opened = services.file_revision(draft, LESSON)
    # Another request commits revision 2 between our read and our write.
    with db.engine.begin() as connection:
        connection.execute(update(CourseDraft.__table__).values(revision=2)
                           .where(CourseDraft.__table__.c.id == draft.id))
    with pytest.raises(services.DraftConflict, match="same moment"):
        services.save_file(db.session, trainer, draft, LESSON, "new text\n", opened)
    db.session.rollback()
    assert draft.files[LESSON] != "new text\n"


def test_saving_a_file_that_was_removed_meanwhile_is_a_conflict(db, draft, trainer):
    opened = services.file_revision(draft, LESSON)
    services.remove(db.session, trainer, draft, LESSON)
    db.session.commit()
    with pytest.raises(services.DraftConflict, match="renamed or removed"):
        services.save_file(db.session, trainer, draft, LESSON, "text", opened)


def test_an_oversized_file_is_refused(db, draft, trainer):
    with pytest.raises(services.StudioError, match="longer than"):
        services.save_file(db.session, trainer, draft, LESSON, "x" * (services.MAX_FILE_CHARS + 1),
                           services.file_revision(draft, LESSON))


# --- structure edits --------------------------------------------------------------------------


def test_structure_edits_are_audited_and_validated(db, draft, trainer):
    folder = services.add_module(db.session, trainer, draft, "Scoring deep dive", "scoring-deep-dive")
    lesson = services.add_lesson(db.session, trainer, draft, folder, "Why 0.7", "why-point-seven", 4)
    db.session.commit()
    assert folder == "03-scoring-deep-dive" and lesson == "03-scoring-deep-dive/01-why-point-seven.md"
    assert services.validate_draft(draft) == []
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"studio.module.add", "studio.lesson.add"} <= actions


def test_a_module_without_lessons_is_reported_by_the_validator(db, draft, trainer):
    services.add_module(db.session, trainer, draft, "Empty", "empty")
    problems = services.validate_draft(draft)
    assert [(p.path, p.message) for p in problems] == [
        ("03-empty", "the module has no lessons (files such as 01-why-okrs.md)")]


def test_a_rename_moves_the_file_and_keeps_its_text(db, draft, trainer):
    old_text = draft.files[LESSON]
    new_path = services.rename(db.session, trainer, draft, LESSON, "Where OKRs come from",
                               "where-okrs-come-from")
    assert new_path == "01-foundations/01-where-okrs-come-from.md"
    assert LESSON not in draft.files and "title: Where OKRs come from" in draft.files[new_path]
    assert draft.files[new_path].split("---", 2)[2] == old_text.split("---", 2)[2]


# --- images and archives ----------------------------------------------------------------------


def test_an_uploaded_image_is_stored_and_changes_the_hash(db, draft, trainer):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    services.upload_image(db.session, trainer, draft, "chart.png", png)
    db.session.commit()
    assert services.draft_assets(draft)["chart.png"] == png
    assert draft.content_hash == content_hash(draft.files, services.draft_assets(draft))


def test_an_image_of_an_existing_name_needs_replace(db, draft, trainer):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(services.AlreadyExists, match="exists already"):
        services.upload_image(db.session, trainer, draft, "okr-cycle.svg", svg)
    services.upload_image(db.session, trainer, draft, "okr-cycle.svg", svg, replace=True)
    assert services.draft_assets(draft)["okr-cycle.svg"] == svg


def test_an_archive_of_another_course_is_refused(db, draft, trainer):
    archive = write_zip("other-course", {"course.md": b"---\ntitle: x\n---\n"})
    with pytest.raises(services.StudioError, match="holds the folder 'other-course'"):
        services.replace_from_archive(db.session, trainer, draft, archive)


def test_an_archive_replaces_the_whole_draft(db, draft, trainer):
    files = {"course.md": b"---\ntitle: Replaced\n---\n", "01-a/module.md": b"---\ntitle: A\n---\n",
             "01-a/01-b.md": b"---\ntitle: B\nminutes: 2\n---\nBody\n", "assets/x.txt": b"x"}
    count = services.replace_from_archive(db.session, trainer, draft, write_zip("example-course", files))
    db.session.commit()
    assert count == 4
    assert set(draft.files) == {"course.md", "01-a/module.md", "01-a/01-b.md"}
    assert services.draft_assets(draft) == {"x.txt": b"x"}


def test_an_archive_with_a_stray_binary_changes_nothing(db, draft, trainer):
    archive = write_zip("example-course", {"course.md": b"---\n", "01-a/notes.docx": b"PK"})
    with pytest.raises(services.StudioError, match="only Markdown files"):
        services.replace_from_archive(db.session, trainer, draft, archive)
    db.session.rollback()
    assert LESSON in draft.files


# --- publishing -------------------------------------------------------------------------------


def test_publishing_makes_a_new_current_version_with_the_exact_files(db, draft, course, trainer):
    save(db, trainer, draft, LESSON, draft.files[LESSON] + "\nA new closing paragraph.\n")
    result = services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert result.status == "updated" and result.version.number == 2
    assert course.current_version.number == 2 and course.current_version.source == "studio"
    assert course.current_version.created_by_id == trainer.id
    lesson = course_services.find_lesson(db.session, course, "foundations", "origins")
    assert "A new closing paragraph." in lesson.html
    sources = version_sources(db.session, course.current_version)
    assert sources.origin == "stored" and sources.files == draft.files
    assert sources.content_hash == course.current_version.content_hash == draft.content_hash
    published = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "studio.publish")).one()
    assert published.actor_id == trainer.id and published.details["version"] == 2


def test_publishing_an_unchanged_draft_creates_no_version(db, draft, course, trainer):
    result = services.publish_draft(db.session, trainer, draft, draft.revision)
    assert result.status == "unchanged"
    assert db.session.scalar(select(CourseVersion.id).where(CourseVersion.number == 2)) is None


def test_publishing_an_invalid_draft_publishes_nothing_and_lists_the_problems(db, draft, course,
                                                                               trainer):
    broken = draft.files[QUIZ].replace("- [x]", "- [ ]")
    save(db, trainer, draft, QUIZ, broken)
    with pytest.raises(services.DraftInvalid) as error:
        services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.rollback()
    assert any(p.path == QUIZ and "no correct option" in p.message and p.line > 0
               for p in error.value.problems)
    assert course.current_version.number == 1
    assert draft.files[QUIZ] == broken  # the draft keeps what was typed


def test_publishing_a_draft_changed_since_review_is_a_conflict(db, draft, trainer):
    reviewed = draft.revision
    save(db, trainer, draft, LESSON, draft.files[LESSON] + "\nlate edit\n")
    with pytest.raises(services.DraftConflict):
        services.publish_draft(db.session, trainer, draft, reviewed)


def test_first_publish_of_a_studio_course_puts_it_in_the_catalogue(db, trainer):
    draft = services.create_course(db.session, trainer, slug="okr-101", title="OKR 101")
    db.session.commit()
    services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert course_services.find_course(db.session, "okr-101").current_version.number == 1


def test_progress_survives_a_publish_by_slug(db, draft, course, trainer, make_user):
    learner = make_user("learner")
    course_services.enroll(db.session, learner, course)
    course_services.complete_lesson(db.session, learner, course, "foundations", "origins", now=T0)
    db.session.commit()
    # Reorder the lessons and edit one: slugs stay, so the completion carries over.
    services.move(db.session, trainer, draft, LESSON, +1)
    save(db, trainer, draft, "01-foundations/01-anatomy.md",
         draft.files["01-foundations/01-anatomy.md"] + "\nEdited.\n")
    services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    progress = course_services.course_progress(db.session, learner, course)
    foundations = progress.module("foundations")
    assert [s.lesson.slug for s in foundations.lessons] == ["anatomy", "origins"]
    assert foundations.lessons[1].completed_at == T0


def test_a_renamed_lesson_slug_starts_fresh_for_progress(db, draft, course, trainer, make_user):
    learner = make_user("learner")
    course_services.enroll(db.session, learner, course)
    course_services.complete_lesson(db.session, learner, course, "foundations", "origins", now=T0)
    db.session.commit()
    services.rename(db.session, trainer, draft, LESSON, "History", "history")
    services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    progress = course_services.course_progress(db.session, learner, course)
    assert progress.completed == 0


def test_a_running_quiz_attempt_keeps_its_snapshot_across_a_publish(db, draft, course, trainer,
                                                                    make_user):
    quiz_services = pytest.importorskip("app.quizzes.services")
    learner = make_user("learner")
    course_services.enroll(db.session, learner, course)
    for lesson in ("origins", "anatomy"):
        course_services.complete_lesson(db.session, learner, course, "foundations", lesson, now=T0)
    attempt = quiz_services.start_attempt(db.session, learner, course, "foundations", T0)
    db.session.commit()
    version_1 = attempt.version_id
    questions_before = [q["id"] for q in attempt.snapshot["questions"]]
    # The new version drops the true/false question.
    quiz = draft.files[QUIZ]
    save(db, trainer, draft, QUIZ, quiz[:quiz.index("## OKR scores are meant")].rstrip() + "\n")
    services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert course.current_version.number == 2
    outcome = quiz_services.submit_attempt(db.session, learner, attempt.id,
                                           {"okr-pay-link": "b"}, T0)
    db.session.commit()
    assert outcome.attempt.version_id == version_1
    assert [q["id"] for q in outcome.attempt.snapshot["questions"]] == questions_before


# --- export round trip ------------------------------------------------------------------------


def test_export_of_an_imported_course_gives_back_the_same_bytes(db, course, tmp_path):
    sources = version_sources(db.session, course.current_version, EXAMPLE_COURSE.parent)
    target = tmp_path / "example-course"
    export_folder(target, sources)
    assert folder_files(target) == folder_files(EXAMPLE_COURSE)


def test_export_then_import_yields_the_same_content_hash(db, draft, course, trainer, tmp_path):
    save(db, trainer, draft, LESSON, draft.files[LESSON] + "\nStudio edit.\n")
    services.publish_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    target = tmp_path / "example-course"
    export_folder(target, version_sources(db.session, course.current_version))
    assert folder_hash(target) == course.current_version.content_hash
    result = course_services.import_course(db.session, target)
    assert result.status == "unchanged" and result.version.number == 2


def test_export_rewrites_only_changed_files_and_removes_deleted_ones(db, draft, course, trainer,
                                                                     tmp_path):
    target = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, target)
    (target / ".git").mkdir()
    untouched = (target / "01-foundations" / "02-anatomy.md").stat().st_mtime_ns
    services.remove(db.session, trainer, draft, LESSON)
    changed = export_folder(target, CourseSources(draft.files, services.draft_assets(draft)))
    assert changed == [LESSON]
    assert not (target / LESSON).exists() and (target / ".git").is_dir()
    assert (target / "01-foundations" / "02-anatomy.md").stat().st_mtime_ns == untouched


def test_export_refuses_a_folder_that_is_not_a_course(db, course, tmp_path):
    target = tmp_path / "documents"
    target.mkdir()
    (target / "thesis.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="not a course folder"):
        export_folder(target, version_sources(db.session, course.current_version, EXAMPLE_COURSE.parent))
    assert (target / "thesis.txt").read_text() == "precious"


def test_capture_version_files_stores_what_an_import_read(db, tmp_path, trainer):
    folder = tmp_path / "example-course"
    shutil.copytree(EXAMPLE_COURSE, folder)
    result = course_services.import_course(db.session, folder)
    capture_version_files(db.session, result.version, folder)
    shutil.rmtree(folder)
    sources = version_sources(db.session, result.version)
    assert sources.origin == "stored" and sources.content_hash == result.version.content_hash


def test_discarding_a_draft_leaves_the_published_version(db, draft, course, trainer):
    services.discard_draft(db.session, trainer, draft, draft.revision)
    db.session.commit()
    assert services.find_draft(db.session, course) is None
    assert course.current_version.number == 1
    assert db.session.execute(text("select count(*) from course_drafts")).scalar() == 0
