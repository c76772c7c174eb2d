"""Pure studio modules: the draft folder and its structure edits, the safe zip, image checks,
and the writer of our formats (it reads back to the same course)."""
from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from app.authoring import folder
from app.authoring.archive import ArchiveLimits, ArchiveRejected, check_relative_path, read_zip, write_zip
from app.authoring.dialect import course_files, quiz_markdown
from app.authoring.images import ImageRejected, check_image, sniff_image_type
from app.authoring.preview import preview_file
from app.courses.content import course_to_dict, read_course
from app.courses.reader import content_hash, visible_files
from app.courses.quiz_parser import parse_quiz
from tests.factories import EXAMPLE_COURSE

SHIPPED = Path(__file__).resolve().parent.parent / "courses"


def read_folder(path: Path) -> tuple[dict[str, str], dict[str, bytes]]:
    contents = {f.relative_to(path).as_posix(): f.read_bytes() for f in visible_files(path)}
    return folder.split_folder(contents)


@pytest.fixture
def files():
    return read_folder(EXAMPLE_COURSE)[0]


# --- outline and structure edits --------------------------------------------------------------


def test_the_outline_follows_prefixes_and_titles(files):
    outline = folder.read_outline(files)
    assert outline.title == "OKR Essentials"
    assert [(m.folder, m.title) for m in outline.modules][0] == ("01-foundations", "Foundations")
    assert [lesson.slug for lesson in outline.modules[0].lessons] == ["origins", "anatomy"]
    assert outline.modules[0].quiz_path == "01-foundations/quiz.md"
    assert outline.exam_path == "final-exam.md" and outline.other_paths == ()


@pytest.mark.parametrize("path, kind", [
    ("course.md", "course"), ("01-foundations/module.md", "module"),
    ("01-foundations/01-origins.md", "lesson"), ("01-foundations/quiz.md", "quiz"),
    ("final-exam.md", "exam"), ("notes.md", "other"), ("01-foundations/deep/x.md", "other"),
])
def test_file_kinds(files, path, kind):
    assert folder.file_kind(files, path) == kind


def test_adding_a_module_and_lesson_numbers_them_after_the_last(files):
    files, module = folder.add_module(files, "Cadence", "cadence")
    files, lesson = folder.add_lesson(files, module, "Weekly check-ins", "weekly", 7)
    assert (module, lesson) == ("03-cadence", "03-cadence/01-weekly.md")
    assert "title: Weekly check-ins\nminutes: 7\n" in files[lesson]


@pytest.mark.parametrize("slug, error", [
    ("foundations", folder.DuplicateSlug), ("final-exam", folder.OutlineError),
    ("Not A Slug", folder.OutlineError), ("a" * 81, folder.OutlineError),
])
def test_module_slugs_are_checked(files, slug, error):
    with pytest.raises(error):
        folder.add_module(files, "X", slug)


def test_a_duplicate_lesson_slug_in_the_module_is_refused(files):
    with pytest.raises(folder.DuplicateSlug, match="already has a lesson with the slug 'origins'"):
        folder.add_lesson(files, "01-foundations", "Again", "origins", 5)


def test_moving_swaps_only_two_prefixes(files):
    moved = folder.move(files, "01-foundations/01-origins.md", +1)
    assert "01-foundations/02-origins.md" in moved and "01-foundations/01-anatomy.md" in moved
    assert moved["01-foundations/02-origins.md"] == files["01-foundations/01-origins.md"]
    modules = folder.move(files, "02-writing-key-results", -1)
    assert "01-writing-key-results/quiz.md" in modules and "02-foundations/module.md" in modules
    assert folder.move(files, "01-foundations", -1) == files  # already first


def test_renaming_a_module_moves_every_file_and_sets_its_title(files):
    renamed, new_folder = folder.rename_module(files, "01-foundations", "Basics", "basics")
    assert new_folder == "01-basics"
    assert not any(p.startswith("01-foundations/") for p in renamed)
    assert folder.read_settings(renamed["01-basics/module.md"])["title"] == "Basics"


def test_set_setting_changes_one_line_and_quotes_what_yaml_would_misread():
    text = "---\ntitle: Old\nsummary: >\n  folded\n  text\nminutes: 3\n---\nBody\n"
    assert folder.set_setting(text, "title", "Yes") == \
        "---\ntitle: 'Yes'\nsummary: >\n  folded\n  text\nminutes: 3\n---\nBody\n"
    assert folder.set_setting(text, "summary", None) == "---\ntitle: Old\nminutes: 3\n---\nBody\n"
    assert folder.set_setting(text, "new", 2).endswith("minutes: 3\nnew: 2\n---\nBody\n")


def test_removing_the_final_exam_unsets_it_in_course_md(files):
    kept = folder.remove(files, "final-exam.md")
    assert "final-exam.md" not in kept and "final_exam" not in kept["course.md"]
    files_with_exam, path = folder.add_quiz(kept, None)
    assert path == "final-exam.md" and folder.exam_file_name(files_with_exam) == "final-exam.md"


def test_removing_a_module_removes_its_files(files):
    kept = folder.remove(files, "01-foundations")
    assert not any(p.startswith("01-foundations/") for p in kept)
    with pytest.raises(folder.OutlineError):
        folder.remove(files, "course.md")


def test_the_draft_hash_matches_the_importers(tmp_path):
    for course in (EXAMPLE_COURSE, SHIPPED / "okr-executive"):
        files, assets = read_folder(course)
        assert folder.content_hash(files, assets) == content_hash(course)


def test_split_folder_refuses_binaries_and_non_utf8_markdown():
    with pytest.raises(folder.FolderRejected) as error:
        folder.split_folder({"course.md": b"\xff\xfe", "01-a/notes.txt": b"x", ".DS_Store": b""})
    assert str(error.value) == ("01-a/notes.txt: only Markdown files (.md) go outside assets/; "
                                "course.md: not UTF-8 text")


# --- the writer reads back to the same course -------------------------------------------------


def _without_lines(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    data.pop("content_hash")
    quizzes = [data["final_exam"]] + [m["quiz"] for m in data["modules"]]
    for quiz in filter(None, quizzes):
        for question in quiz["questions"]:
            question.pop("line")
    return data


@pytest.mark.parametrize("course", [EXAMPLE_COURSE, SHIPPED / "okr-executive",
                                    SHIPPED / "okr-essentials"], ids=lambda p: p.name)
def test_a_course_rebuilt_from_its_spec_reads_back_the_same(course, tmp_path):
    spec, problems = read_course(course)
    assert problems == []
    _, assets = read_folder(course)
    rebuilt = folder.write_folder(tmp_path / course.name, course_files(spec), assets)
    again, problems = read_course(rebuilt)
    assert problems == []
    assert _without_lines(course_to_dict(again)) == _without_lines(course_to_dict(spec))


def test_quiz_markdown_round_trips_sections_and_draws():
    exam = (SHIPPED / "okr-executive" / "final-exam.md").read_text()
    spec, _ = parse_quiz(exam, key="final-exam")
    again, problems = parse_quiz(quiz_markdown(spec), key="final-exam")
    assert problems == [] and again.draw == spec.draw and again.sections == spec.sections


# --- archives ---------------------------------------------------------------------------------


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def test_a_zip_of_the_folder_and_a_zip_of_its_contents_read_the_same():
    inner = {"course.md": b"a", "01-x/module.md": b"b"}
    assert read_zip(write_zip("okr", inner)).files == inner
    assert read_zip(write_zip("okr", inner)).root_name == "okr"
    flat = read_zip(_zip(list(inner.items())))
    assert flat.files == inner and flat.root_name is None


def test_hidden_files_and_mac_folders_are_skipped():
    data = _zip([("okr/course.md", b"a"), ("okr/.DS_Store", b""), ("__MACOSX/okr/._course.md", b"")])
    assert read_zip(data).files == {"course.md": b"a"}


@pytest.mark.parametrize("name", ["../evil.md", "okr/../../evil.md", "/etc/passwd",
                                  "C:/windows/x.md", "okr\\..\\evil.md", "okr//x.md", "./x.md"])
def test_paths_escaping_the_folder_are_refused(name):
    with pytest.raises(ArchiveRejected, match="Refused") as error:
        read_zip(_zip([("okr/course.md", b"a"), (name, b"x")]))
    assert error.value.status_code == 400


def test_symlinks_are_refused():
    link = zipfile.ZipInfo("okr/assets/link.svg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ArchiveRejected, match="symbolic link"):
        read_zip(_zip([("okr/course.md", b"a"), (link, b"/etc/passwd")]))


def test_oversized_files_totals_and_entry_counts_are_refused():
    limits = ArchiveLimits(max_archive_bytes=10_000, max_entries=3, max_file_bytes=100,
                           max_total_bytes=150)
    with pytest.raises(ArchiveRejected, match="larger than") as error:
        read_zip(_zip([("big.md", b"x" * 101)]), limits)
    assert error.value.status_code == 413
    with pytest.raises(ArchiveRejected, match="unpacks to more than"):
        read_zip(_zip([("a.md", b"x" * 80), ("b.md", b"x" * 80)]), limits)
    with pytest.raises(ArchiveRejected, match="4 entries"):
        read_zip(_zip([(f"{n}.md", b"x") for n in range(4)]), limits)
    with pytest.raises(ArchiveRejected, match="archive is larger"):
        read_zip(b"x" * 10_001, limits)


def test_a_zip_bomb_is_stopped_while_reading():
    # The header claims 10 bytes; the stream inflates to a megabyte.
    data = bytearray(_zip([("bomb.md", b"\0" * 1_000_000)]))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    for offset in (info.header_offset + 22, data.rfind(b"PK\x01\x02") + 24):
        data[offset:offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises(ArchiveRejected):
        read_zip(bytes(data), ArchiveLimits(max_file_bytes=1000))


@pytest.mark.parametrize("data, message", [
    (b"not a zip", "not a zip archive"), (_zip([]), "holds no files"),
])
def test_junk_and_empty_archives(data, message):
    with pytest.raises(ArchiveRejected, match=message):
        read_zip(data)


def test_duplicate_entries_are_refused():
    with pytest.warns(UserWarning):
        data = _zip([("okr/course.md", b"a"), ("okr/course.md", b"b")])
    with pytest.raises(ArchiveRejected, match="appears twice"):
        read_zip(data)


def test_write_zip_is_deterministic():
    files = {"b.md": b"2", "a.md": b"1"}
    assert write_zip("okr", files) == write_zip("okr", dict(reversed(files.items())))
    with pytest.raises(ValueError):
        check_relative_path("../x")


# --- images -----------------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
SVG = b'<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'


@pytest.mark.parametrize("data, kind", [
    (PNG, "image/png"), (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"), (b"GIF89a....", "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"), (SVG, "image/svg+xml"), (b"<html>", None),
    (b"%PDF-1.7", None),
])
def test_image_types_come_from_the_bytes(data, kind):
    assert sniff_image_type(data) == kind


def test_a_good_image_is_accepted_under_its_base_name():
    image = check_image("chart.PNG", PNG)
    assert (image.name, image.content_type) == ("chart.PNG", "image/png")
    assert check_image("../../up.png", PNG).name == "up.png"


@pytest.mark.parametrize("name, data, status, message", [
    ("notes.png", b"just text", 415, "is not an image"),
    ("photo.jpg", PNG, 415, "holds a PNG image: name it .png"),
    ("big.png", PNG + b"\0" * 2000, 413, "images may be at most"),
    ("evil.svg", b'<svg onload="alert(1)"></svg>', 415, "scripts, event handlers"),
    ("with space.png", PNG, 400, "not a usable file name"),
])
def test_bad_images_are_refused(name, data, status, message):
    with pytest.raises(ImageRejected, match=message) as error:
        check_image(name, data, max_bytes=1000)
    assert error.value.status_code == status


# --- preview ----------------------------------------------------------------------------------


def test_the_lesson_preview_checks_front_matter_with_lines():
    preview = preview_file("lesson", "01-a/01-b.md", "---\ntitle: B\nminuts: 5\n---\nHello *there*\n",
                           None)
    assert [(p.line, p.message) for p in preview.problems] == [
        (3, "unknown setting 'minuts' (allowed: title, minutes, exercise_minutes)")]
    assert "<em>there</em>" in preview.html
    assert preview.minutes == 1  # no `minutes`: estimated from the words, at least one


def test_the_lesson_preview_refuses_minutes_that_are_not_a_reading_time():
    for minutes, message in (("0", "'minutes' must be between 1 and 600, got 0"),
                             ("-3", "'minutes' must be between 1 and 600, got -3"),
                             ("soon", "'minutes' must be a whole number, got 'soon'")):
        preview = preview_file("lesson", "x.md", f"---\ntitle: X\nminutes: {minutes}\n---\nBody\n",
                               None)
        assert [(p.line, p.message) for p in preview.problems] == [(3, message)]


def test_the_preview_sanitises_like_the_learner_pipeline():
    preview = preview_file("lesson", "x.md", "---\ntitle: X\nminutes: 1\n---\n<script>alert(1)</script>\n"
                           "[a](javascript:alert(1))\n", None)
    assert "<script" not in preview.html and 'href="javascript' not in preview.html


def test_the_quiz_preview_uses_the_quiz_parser():
    broken = preview_file("quiz", "01-a/quiz.md", "---\ntitle: Q\n---\n\n## Pick {#p}\n- [ ] a\n- [ ] b\n",
                          None)
    assert [(p.line, p.message) for p in broken.problems] == [
        (5, "question 'p' has no correct option: mark it with `- [x]`")]
    good = preview_file("quiz", "01-a/quiz.md", "---\ntitle: Q\n---\n\n## Pick {#p}\n- [x] a\n- [ ] b\n",
                        None)
    assert good.problems == () and good.questions[0]["options"][0] == ("a", True)


def test_the_capstone_named_in_course_md_is_edited_and_checked_as_one():
    from tests.capstone_fixtures import CAPSTONE

    files = {"course.md": "---\ntitle: C\ncapstone: brief.md\n---\n", "brief.md": CAPSTONE,
             "notes.md": "x"}
    assert folder.file_kind(files, "brief.md") == "capstone"
    assert folder.file_kind(files, "notes.md") == "other"
    good = preview_file("capstone", "brief.md", CAPSTONE, None)
    assert good.problems == () and good.minutes == 120 and "Objectives point the way" in good.html
    broken = preview_file("capstone", "brief.md", CAPSTONE.replace("(3): Objectives", "(9): Ob"),
                          None)
    assert [p.message for p in broken.problems] == [
        "criterion 'objectives': levels go from the most points to the fewest, each with its "
        "own number of points"]
