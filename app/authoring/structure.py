"""Structure edits of a draft: adding, renaming, moving and removing modules, lessons and quizzes.

The folder form does the edit (`app.authoring.folder`: pure functions that return new files);
this module stores the result as a new revision of the draft, with an audit entry that says
what changed. Slugs stay stable across moves, so learner progress survives a reordering; a
renamed slug is a new lesson for progress, which is why the studio asks before changing one.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.authoring import folder as draft_folder
from app.authoring import translating
from app.authoring.revisions import commit_files
from app.courses.reader import COURSE_FILE
from app.models import CourseDraft, User


def add_module(session: Session, actor: User, draft: CourseDraft, title: str, slug: str) -> str:
    """A module at the end of the course; returns its folder."""
    files, folder = draft_folder.add_module(draft.files, title.strip(), slug)
    commit_files(session, actor, draft, files, "module.add", f"Added module {folder}", path=folder)
    return folder


def add_lesson(session: Session, actor: User, draft: CourseDraft, folder: str, title: str,
               slug: str, minutes: int) -> str:
    """A lesson at the end of a module; returns its path."""
    files, path = draft_folder.add_lesson(draft.files, folder, title.strip(), slug, minutes)
    commit_files(session, actor, draft, files, "lesson.add", f"Added lesson {path}", path=path)
    return path


def add_quiz(session: Session, actor: User, draft: CourseDraft, folder: str | None) -> str:
    """A module quiz, or (folder None) the final exam; returns its path."""
    files, path = draft_folder.add_quiz(draft.files, folder)
    what = "the final exam" if folder is None else f"quiz {path}"
    commit_files(session, actor, draft, files, "quiz.add", f"Added {what}", path=path)
    return path


def rename(session: Session, actor: User, draft: CourseDraft, path: str, title: str,
           slug: str) -> str:
    """Rename a module (folder path) or lesson: title and slug; returns its new path."""
    is_module = "/" not in path
    rename_in = draft_folder.rename_module if is_module else draft_folder.rename_lesson
    files, new_path = rename_in(draft.files, path, title, slug)
    kind = "module" if is_module else "lesson"
    if files == draft.files:
        return new_path
    summary = f"Renamed {kind} {path}" + (f" to {new_path}" if new_path != path else "")
    commit_files(session, actor, draft, files, f"{kind}.rename", summary, path=path,
                 new_path=new_path)
    return new_path


def move(session: Session, actor: User, draft: CourseDraft, path: str, step: int) -> None:
    """Move a module or lesson one place up (step -1) or down (+1)."""
    files = draft_folder.move(draft.files, path, step)
    if files != draft.files:
        kind = "module" if "/" not in path else "lesson"
        commit_files(session, actor, draft, files, f"{kind}.move",
                     f"Moved {kind} {path} {'up' if step < 0 else 'down'}", path=path)


def remove(session: Session, actor: User, draft: CourseDraft, path: str) -> None:
    """Remove a module (with its lessons and quiz), a lesson, a quiz or the final exam."""
    kind = "module" if "/" not in path and not path.endswith(".md") else \
        draft_folder.file_kind(draft.files, path)
    files = draft_folder.remove(draft.files, path)
    commit_files(session, actor, draft, files, f"{kind}.remove", f"Removed {kind} {path}",
                 path=path)


def start_translation(session: Session, actor: User, draft: CourseDraft, path: str,
                      locale: str) -> str:
    """Start translating one file of the draft from a copy of it; returns the new path.

    A language starts with the course settings: starting any other file into a new language
    starts `course.md` too."""
    files, target = translating.new_translation(draft.files, path, locale)
    if path != COURSE_FILE and translating.translation_of(COURSE_FILE, locale) not in files:
        files, _course = translating.new_translation(files, COURSE_FILE, locale)
    commit_files(session, actor, draft, files, "translation.add",
                 f"Started the {locale} translation of {path}", path=target, locale=locale)
    return target
