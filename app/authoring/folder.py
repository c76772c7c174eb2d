"""A course in its folder form, held in memory: the outline it implies, edits to its structure,
and writing it to disk for the validator and the importer.

Pure functions over `files` ({relative posix path: Markdown text}); assets are passed separately
({path under assets/: bytes}). Structure edits return a new mapping and never touch the input.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from app.authoring import translating
from app.authoring.archive import check_relative_path, is_hidden
from app.authoring.dialect import front_matter
from app.authoring.errors import StudioError
from app.courses.assets import ASSETS_DIR
from app.courses.frontmatter import Reporter, is_slug, read_front_matter
from app.courses.locales import translation_locale
from app.courses.reader import COURSE_FILE, FINAL_EXAM_KEY, MODULE_FILE, QUIZ_FILE
from app.courses.quiz_parser import DEFAULT_PASS_MARK

FileKind = Literal["course", "module", "lesson", "quiz", "exam", "capstone", "other"]
_PREFIXED_RE = re.compile(r"^(\d+)-(.+)$")
MAX_SLUG_LENGTH = 80


class OutlineError(StudioError):
    """A structure edit that cannot be made; the message is shown to the trainer."""


class DuplicateSlug(OutlineError):
    """Another module (or lesson of the same module) has that slug already."""

    status_code = 409


class FolderRejected(StudioError):
    """Files that cannot be part of a draft (not UTF-8, stray binaries); the message lists them."""


@dataclass(frozen=True)
class DraftLesson:
    """A lesson file of the draft."""

    path: str
    prefix: str
    slug: str
    title: str


@dataclass(frozen=True)
class DraftModule:
    """A module folder of the draft, with its lessons in order and its quiz, if any."""

    folder: str
    prefix: str
    slug: str
    title: str
    lessons: tuple[DraftLesson, ...]
    quiz_path: str | None

    @property
    def module_file(self) -> str:
        return f"{self.folder}/{MODULE_FILE}"


@dataclass(frozen=True)
class Outline:
    """What the files of a draft make: the course title, modules, the final exam, stray files."""

    title: str
    modules: tuple[DraftModule, ...]
    exam_path: str | None
    other_paths: tuple[str, ...]

    def module(self, folder: str) -> DraftModule:
        """A module by folder name, or `OutlineError`."""
        for module in self.modules:
            if module.folder == folder:
                return module
        raise OutlineError(f"There is no module '{folder}' in this draft.")


# --- reading the outline ----------------------------------------------------------------------


def read_settings(text: str) -> dict[str, Any]:
    """The front matter of a Markdown file as a mapping ({} when it is missing or broken)."""
    return read_front_matter(text, Reporter("")).data


def title_of(text: str | None, fallback: str) -> str:
    """The `title` setting of a file, or `fallback`."""
    title = read_settings(text or "").get("title")
    return str(title).strip() if title not in (None, "") else fallback


def exam_file_name(files: Mapping[str, str]) -> str | None:
    """The final exam file `course.md` names, when it names a top-level file."""
    return _named_file(files, "final_exam")


def _named_file(files: Mapping[str, str], setting: str) -> str | None:
    name = read_settings(files.get(COURSE_FILE, "")).get(setting)
    if isinstance(name, str) and name.endswith(".md") and "/" not in name:
        return name
    return None


def split_prefix(name: str) -> tuple[str, str] | None:
    """`("02", "anatomy")` for `02-anatomy` (or `02-anatomy.md`); None without a prefix."""
    match = _PREFIXED_RE.match(name.removesuffix(".md"))
    return (match.group(1), match.group(2)) if match else None


def read_outline(files: Mapping[str, str]) -> Outline:
    """The modules, lessons and quizzes the draft's paths describe, in course order."""
    folders = sorted({path.split("/", 1)[0] for path in files if "/" in path})
    modules = [_read_module(files, folder) for folder in folders if split_prefix(folder)]
    exam = exam_file_name(files)
    known = {COURSE_FILE, exam} | {m.module_file for m in modules} | {
        lesson.path for m in modules for lesson in m.lessons} | {m.quiz_path for m in modules}
    return Outline(
        title=title_of(files.get(COURSE_FILE), "Untitled course"),
        modules=tuple(sorted(modules, key=lambda m: (int(m.prefix), m.slug))),
        exam_path=exam if exam in files else None,
        other_paths=tuple(sorted(path for path in files if path not in known
                                 and not translation_locale(path.rsplit("/", 1)[-1]))),
    )


def _read_module(files: Mapping[str, str], folder: str) -> DraftModule:
    """One module folder."""
    prefix, slug = split_prefix(folder) or ("0", folder)
    lessons = []
    for path in files:
        parent, _, name = path.rpartition("/")
        parts = split_prefix(name) if parent == folder and name.endswith(".md") \
            and not translation_locale(name) else None
        if parts:
            lessons.append(DraftLesson(path, parts[0], parts[1], title_of(files[path], parts[1])))
    quiz = f"{folder}/{QUIZ_FILE}"
    return DraftModule(
        folder=folder, prefix=prefix, slug=slug,
        title=title_of(files.get(f"{folder}/{MODULE_FILE}"), slug),
        lessons=tuple(sorted(lessons, key=lambda lesson: (int(lesson.prefix), lesson.slug))),
        quiz_path=quiz if quiz in files else None,
    )


def file_kind(files: Mapping[str, str], path: str) -> FileKind:
    """What a draft file is, which decides its editor and its checks (a translation is what
    its source is)."""
    parent, _, name = path.rpartition("/")
    if translation_locale(name):
        return file_kind(files, translating.source_of(path))
    if path == COURSE_FILE:
        return "course"
    if not parent:
        if name == exam_file_name(files):
            return "exam"
        return "capstone" if name == _named_file(files, "capstone") else "other"
    if "/" in parent or not split_prefix(parent):
        return "other"
    if name == MODULE_FILE:
        return "module"
    if name == QUIZ_FILE:
        return "quiz"
    return "lesson" if split_prefix(name) and name.endswith(".md") else "other"


# --- creating files ---------------------------------------------------------------------------


def new_course_files(title: str, summary: str = "") -> dict[str, str]:
    """A new course that validates: settings, one module with one lesson."""
    return {
        COURSE_FILE: front_matter({"title": title, "summary": summary or None,
                                   "validity_months": 24, "sequential": True})
        + "\nWhat this course covers and who it is for.\n",
        f"01-introduction/{MODULE_FILE}": new_module_file("Introduction"),
        "01-introduction/01-welcome.md": new_lesson_file("Welcome", 5),
    }


def new_module_file(title: str) -> str:
    """`module.md` for a new module."""
    return front_matter({"title": title}) + "\nWhat this module covers.\n"


def new_lesson_file(title: str, minutes: int) -> str:
    """A new lesson with a line of text (a lesson cannot be empty)."""
    return front_matter({"title": title, "minutes": minutes}) + "\nWrite the lesson here.\n"


def new_quiz_file(title: str) -> str:
    """A quiz with one question to show the dialect."""
    return front_matter({"title": title, "pass_mark": DEFAULT_PASS_MARK, "max_attempts": 0,
                         "shuffle": True, "feedback": "after_submit"}) + (
        "\n## Which statement best describes an objective? {#objective-definition}\n"
        "- [ ] A number with a deadline\n"
        "- [x] A qualitative, inspiring description of where we want to be\n\n"
        "> Key results carry the numbers; the objective carries the direction.\n")


# --- editing front matter in place ------------------------------------------------------------


def set_setting(text: str, key: str, value: Any) -> str:
    """Set (or, with None, remove) one front matter setting, leaving every other line as it is."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return front_matter({key: value}) + text
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        raise OutlineError("The file's front matter is not closed; fix it in the editor first.")
    new_line = [] if value is None else [_setting_line(key, value)]
    start = next((i for i in range(1, closing) if _is_key_line(lines[i], key)), None)
    if start is None:
        return "".join(lines[:closing] + new_line + lines[closing:])
    end = start + 1
    while end < closing and lines[end][:1] in (" ", "\t"):
        end += 1
    return "".join(lines[:start] + new_line + lines[end:])


def _is_key_line(line: str, key: str) -> bool:
    """Whether a front matter line sets `key` at the top level."""
    return bool(re.match(rf"^{re.escape(key)}\s*:", line))


def _setting_line(key: str, value: Any) -> str:
    """`key: value` as YAML writes it (quoted where YAML would misread it)."""
    return yaml.safe_dump({key: value}, allow_unicode=True, width=10_000, sort_keys=False)


# --- structure edits --------------------------------------------------------------------------


def check_slug(slug: str, what: str) -> str:
    """A slug a module or lesson may take, or `OutlineError`."""
    slug = slug.strip()
    if not is_slug(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise OutlineError(f"The {what} slug '{slug}' may use only lowercase letters, digits and "
                           f"single hyphens (at most {MAX_SLUG_LENGTH} characters).")
    return slug


def _next_prefix(prefixes: list[str]) -> str:
    """One more than the highest prefix, as wide as the widest one (at least two digits)."""
    width = max([2] + [len(p) for p in prefixes])
    return str(max([0] + [int(p) for p in prefixes]) + 1).zfill(width)


def add_module(files: Mapping[str, str], title: str, slug: str) -> tuple[dict[str, str], str]:
    """A new module at the end of the course; returns the files and its folder."""
    slug = check_slug(slug, "module")
    outline = read_outline(files)
    if slug == FINAL_EXAM_KEY:
        raise OutlineError(f"'{FINAL_EXAM_KEY}' is reserved for the final exam.")
    if any(m.slug == slug for m in outline.modules):
        raise DuplicateSlug(f"The course already has a module with the slug '{slug}'.")
    folder = f"{_next_prefix([m.prefix for m in outline.modules])}-{slug}"
    return {**files, f"{folder}/{MODULE_FILE}": new_module_file(title)}, folder


def add_lesson(files: Mapping[str, str], folder: str, title: str, slug: str,
               minutes: int) -> tuple[dict[str, str], str]:
    """A new lesson at the end of a module; returns the files and its path."""
    slug = check_slug(slug, "lesson")
    module = read_outline(files).module(folder)
    if any(lesson.slug == slug for lesson in module.lessons):
        raise DuplicateSlug(f"Module '{module.title}' already has a lesson with the slug '{slug}'.")
    path = f"{folder}/{_next_prefix([lesson.prefix for lesson in module.lessons])}-{slug}.md"
    return {**files, path: new_lesson_file(title, minutes)}, path


def add_quiz(files: Mapping[str, str], folder: str | None) -> tuple[dict[str, str], str]:
    """A module quiz, or (folder None) the final exam named in course.md."""
    if folder is None:
        if exam_file_name(files) in files:
            raise OutlineError("The course has a final exam already.")
        path = f"{FINAL_EXAM_KEY}.md"
        course = set_setting(files.get(COURSE_FILE, ""), "final_exam", path)
        return {**files, COURSE_FILE: course, path: new_quiz_file("Final exam")}, path
    module = read_outline(files).module(folder)
    if module.quiz_path:
        raise OutlineError(f"Module '{module.title}' has a quiz already.")
    path = f"{folder}/{QUIZ_FILE}"
    return {**files, path: new_quiz_file(f"{module.title} check")}, path


def rename_module(files: Mapping[str, str], folder: str, title: str,
                  slug: str) -> tuple[dict[str, str], str]:
    """New title and/or slug for a module (the slug is its folder name after the prefix)."""
    module = read_outline(files).module(folder)
    slug = check_slug(slug, "module")
    if slug == FINAL_EXAM_KEY:
        raise OutlineError(f"'{FINAL_EXAM_KEY}' is reserved for the final exam.")
    if slug != module.slug and any(m.slug == slug for m in read_outline(files).modules):
        raise DuplicateSlug(f"The course already has a module with the slug '{slug}'.")
    new_folder = f"{module.prefix}-{slug}"
    renamed = _move_folder(files, folder, new_folder)
    module_file = f"{new_folder}/{MODULE_FILE}"
    if title.strip() and module_file in renamed:
        renamed[module_file] = set_setting(renamed[module_file], "title", title.strip())
    return renamed, new_folder


def rename_lesson(files: Mapping[str, str], path: str, title: str,
                  slug: str) -> tuple[dict[str, str], str]:
    """New title and/or slug for a lesson."""
    folder, lesson = _find_lesson(files, path)
    slug = check_slug(slug, "lesson")
    module = read_outline(files).module(folder)
    if slug != lesson.slug and any(other.slug == slug for other in module.lessons):
        raise DuplicateSlug(f"Module '{module.title}' already has a lesson with the slug '{slug}'.")
    new_path = f"{folder}/{lesson.prefix}-{slug}.md"
    renamed = translating.renamed_with_translations(files, {path: new_path})
    if title.strip():
        renamed[new_path] = set_setting(renamed[new_path], "title", title.strip())
    return renamed, new_path


def move(files: Mapping[str, str], path: str, step: int) -> dict[str, str]:
    """Swap a module (folder path) or lesson with its neighbour: step -1 is up, +1 down.

    Only the two numeric prefixes trade places, so every other path stays the same.
    """
    outline = read_outline(files)
    if "/" not in path:
        siblings = [(m.folder, m.prefix, m.slug) for m in outline.modules]
    else:
        folder, _ = _find_lesson(files, path)
        siblings = [(lesson.path, lesson.prefix, lesson.slug)
                    for lesson in outline.module(folder).lessons]
    index = next((i for i, item in enumerate(siblings) if item[0] == path), None)
    if index is None:
        raise OutlineError("That module or lesson is not in the draft any more.")
    other = index + step
    if not 0 <= other < len(siblings):
        return dict(files)
    (a_path, a_prefix, a_slug), (b_path, b_prefix, b_slug) = siblings[index], siblings[other]
    if "/" not in path:
        moved = _move_folder(files, a_path, f"{b_prefix}-{a_slug}")
        return _move_folder(moved, b_path, f"{a_prefix}-{b_slug}")
    parent = path.rsplit("/", 1)[0]
    swap = {a_path: f"{parent}/{b_prefix}-{a_slug}.md", b_path: f"{parent}/{a_prefix}-{b_slug}.md"}
    return translating.renamed_with_translations(files, swap)


def remove(files: Mapping[str, str], path: str) -> dict[str, str]:
    """Remove a module (folder path, with everything in it), a lesson or a quiz."""
    if "/" not in path and not path.endswith(".md"):
        read_outline(files).module(path)
        return {key: text for key, text in files.items() if not key.startswith(f"{path}/")}
    if path not in files or path == COURSE_FILE:
        raise OutlineError("That file is not in the draft (or cannot be removed).")
    kept = {key: text for key, text in translating.without_translations_of(files, path).items()
            if key != path}
    if path == exam_file_name(files):
        kept[COURSE_FILE] = set_setting(kept[COURSE_FILE], "final_exam", None)
    return kept


def _find_lesson(files: Mapping[str, str], path: str) -> tuple[str, DraftLesson]:
    """The module folder and lesson at `path`, or `OutlineError`."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    if folder:
        for module in read_outline(files).modules:
            for lesson in module.lessons:
                if lesson.path == path:
                    return folder, lesson
    raise OutlineError("That lesson is not in the draft any more.")


def _move_folder(files: Mapping[str, str], old: str, new: str) -> dict[str, str]:
    """Every path under folder `old` moved under `new`."""
    prefix = f"{old}/"
    return {(f"{new}/{key[len(prefix):]}" if key.startswith(prefix) else key): text
            for key, text in files.items()}


# --- the folder on disk, archives and hashes --------------------------------------------------


def split_folder(contents: Mapping[str, bytes]) -> tuple[dict[str, str], dict[str, bytes]]:
    """A folder's files as a draft keeps them: Markdown text, and assets by path under assets/.

    Hidden files are skipped. Anything else (a Markdown file that is not UTF-8, a stray binary
    outside assets/) raises `FolderRejected` listing every such file.
    """
    files: dict[str, str] = {}
    assets: dict[str, bytes] = {}
    refused: list[str] = []
    for path, data in sorted(contents.items()):
        if is_hidden(path):
            continue
        if path.startswith(f"{ASSETS_DIR}/"):
            assets[path[len(ASSETS_DIR) + 1:]] = data
        elif not path.endswith(".md"):
            refused.append(f"{path}: only Markdown files (.md) go outside {ASSETS_DIR}/")
        else:
            try:
                files[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                refused.append(f"{path}: not UTF-8 text")
    if refused:
        raise FolderRejected("; ".join(refused))
    return files, assets


def folder_contents(files: Mapping[str, str], assets: Mapping[str, bytes]) -> dict[str, bytes]:
    """The whole folder as {path: bytes}, assets under assets/."""
    contents = {path: text.encode("utf-8") for path, text in files.items()}
    contents.update({f"{ASSETS_DIR}/{path}": data for path, data in assets.items()})
    return contents


def write_folder(target: Path, files: Mapping[str, str], assets: Mapping[str, bytes]) -> Path:
    """Write the course folder at `target` (which must not exist yet) and return it."""
    target.mkdir(parents=True)
    for path, data in folder_contents(files, assets).items():
        destination = target / check_relative_path(path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return target


def content_hash(files: Mapping[str, str], assets: Mapping[str, bytes]) -> str:
    """The hash the importer gives this folder (`app.courses.reader.content_hash`), computed
    without writing it to disk: SHA-256 over length-prefixed (path, bytes) in path order."""
    digest = hashlib.sha256()
    contents = folder_contents(files, assets)
    for path in sorted(contents):
        name, data = path.encode("utf-8"), contents[path]
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()
