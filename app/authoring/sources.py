"""The files of a course version, exporting them as a folder, and comparing two folders.

A version's Markdown comes, in order of preference, from the files stored when it was published
in the studio (`course_version_files`), from the courses folder when its bytes hash to the
version's content hash (what `flask courses import` read), or is rebuilt from the parsed spec
(same content, formatting may differ). Assets always come from `course_assets`, byte for byte.
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authoring.archive import is_hidden
from app.authoring.dialect import course_files
from app.authoring.folder import content_hash, folder_contents, split_folder
from app.courses.content import course_from_dict
from app.courses.reader import COURSE_FILE, content_hash as folder_hash, visible_files
from app.models import CourseAsset, CourseVersion, CourseVersionFile

SourceOrigin = Literal["stored", "folder", "rebuilt"]
ChangeStatus = Literal["added", "removed", "changed", "renamed"]


@dataclass(frozen=True)
class CourseSources:
    """A course folder in memory: Markdown by path, asset bytes by path under assets/."""

    files: dict[str, str]
    assets: dict[str, bytes]
    origin: SourceOrigin = "stored"

    @property
    def content_hash(self) -> str:
        return content_hash(self.files, self.assets)


@dataclass(frozen=True)
class FileChange:
    """One file that differs between the published version and the draft."""

    path: str
    status: ChangeStatus
    lines: tuple[str, ...] = ()
    is_asset: bool = False
    old_path: str | None = None


# --- a version's files ------------------------------------------------------------------------


def version_sources(session: Session, version: CourseVersion,
                    courses_dir: Path | None = None) -> CourseSources:
    """The folder of a published version (see the module docstring for where it comes from)."""
    assets = {a.path: a.data for a in session.scalars(
        select(CourseAsset).where(CourseAsset.version_id == version.id))}
    stored = {f.path: f.text for f in session.scalars(
        select(CourseVersionFile).where(CourseVersionFile.version_id == version.id))}
    if stored:
        return CourseSources(stored, assets, "stored")
    from_folder = _matching_folder(courses_dir, version) if courses_dir else None
    if from_folder is not None:
        return CourseSources(from_folder, assets, "folder")
    return CourseSources(course_files(course_from_dict(version.spec)), assets, "rebuilt")


def _matching_folder(courses_dir: Path, version: CourseVersion) -> dict[str, str] | None:
    """The Markdown of `courses_dir/<slug>` when its bytes are exactly this version's."""
    folder = Path(courses_dir) / version.course.slug
    if not (folder / COURSE_FILE).is_file() or folder_hash(folder) != version.content_hash:
        return None
    contents = {f.relative_to(folder).as_posix(): f.read_bytes() for f in visible_files(folder)}
    files, _ = split_folder(contents)
    return files


def store_version_files(session: Session, version: CourseVersion,
                        files: Mapping[str, str]) -> None:
    """Keep the exact Markdown a version was published from (once per version)."""
    exists = session.scalar(select(CourseVersionFile.id)
                            .where(CourseVersionFile.version_id == version.id).limit(1))
    if exists is None:
        session.add_all(CourseVersionFile(version_id=version.id, path=path, text=text)
                        for path, text in sorted(files.items()))
        session.flush()


def capture_version_files(session: Session, version: CourseVersion, folder: Path) -> None:
    """Store the Markdown of the course folder a version was just imported from."""
    contents = {f.relative_to(folder).as_posix(): f.read_bytes() for f in visible_files(folder)}
    store_version_files(session, version, split_folder(contents)[0])


# --- export -----------------------------------------------------------------------------------


def export_folder(target: Path, sources: CourseSources) -> list[str]:
    """Make `target` hold exactly the course's files; returns the paths written or removed.

    Unchanged files are left alone (same bytes, same modification time), files no longer in the
    course are removed, hidden files (`.git`, `.DS_Store`) are kept. A non-empty target that is
    not a course folder is refused, so an export never wipes an unrelated folder.
    """
    if target.exists() and any(visible_files(target)) and not (target / COURSE_FILE).is_file():
        raise FileExistsError(f"{target} is not empty and holds no {COURSE_FILE}: not a course "
                              "folder, refusing to overwrite it.")
    contents = folder_contents(sources.files, sources.assets)
    changed = [path for path, data in sorted(contents.items())
               if _write_if_changed(target, path, data)]
    if target.exists():
        for file in list(visible_files(target)):
            path = file.relative_to(target).as_posix()
            if path not in contents:
                file.unlink()
                changed.append(path)
        _remove_empty_folders(target)
    return changed


def _write_if_changed(target: Path, path: str, data: bytes) -> bool:
    """Write one file unless it already holds exactly `data`."""
    destination = target / path
    if destination.is_file() and destination.read_bytes() == data:
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(data)
    return True


def _remove_empty_folders(target: Path) -> None:
    """Folders emptied by removed lessons or modules go too (hidden ones are not ours)."""
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not is_hidden(folder.relative_to(target).as_posix()) and not any(folder.iterdir()):
            folder.rmdir()


# --- comparing --------------------------------------------------------------------------------


def compare(published: CourseSources | None, files: Mapping[str, str],
            assets: Mapping[str, bytes]) -> list[FileChange]:
    """What publishing `files` and `assets` would change, file by file, with unified diffs.

    A file removed and another added with the same text are reported as one rename.
    """
    old_files = published.files if published else {}
    old_assets = published.assets if published else {}
    changes = _text_changes(old_files, files)
    for path in sorted(set(old_assets) | set(assets)):
        if path not in assets:
            changes.append(FileChange(path, "removed", is_asset=True))
        elif path not in old_assets:
            changes.append(FileChange(path, "added", is_asset=True))
        elif old_assets[path] != assets[path]:
            changes.append(FileChange(path, "changed", is_asset=True))
    return changes


def _text_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[FileChange]:
    """Changes to the Markdown files, renames recognised by identical text."""
    removed = {path: old[path] for path in old if path not in new}
    renamed_from: dict[str, str] = {}
    for path in sorted(p for p in new if p not in old):
        source = next((p for p, text in removed.items() if text == new[path]
                       and p not in renamed_from.values()), None)
        if source is not None:
            renamed_from[path] = source
    changes: list[FileChange] = []
    for path in sorted(set(old) | set(new)):
        if path in renamed_from:
            changes.append(FileChange(path, "renamed", old_path=renamed_from[path]))
        elif path not in new:
            if path not in renamed_from.values():
                changes.append(FileChange(path, "removed", unified_diff(old[path], "", path)))
        elif path not in old:
            changes.append(FileChange(path, "added", unified_diff("", new[path], path)))
        elif old[path] != new[path]:
            changes.append(FileChange(path, "changed", unified_diff(old[path], new[path], path)))
    return changes


def unified_diff(old: str, new: str, path: str) -> tuple[str, ...]:
    """The lines of a unified diff (hunks only, three lines of context)."""
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"published/{path}",
                                      f"draft/{path}", lineterm="", n=3))
    return tuple(lines[2:])  # the `---`/`+++` file header; the page names the file itself
