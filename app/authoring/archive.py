"""A course folder as a zip archive: safe reading and deterministic writing.

Reading refuses what could escape or exhaust the folder it is unpacked into: `../` and absolute
paths, backslashes and drive letters, symlinks, encrypted entries, duplicate names, too many
entries, and files or totals beyond the limits (measured while reading, not trusted from the
archive's own header); and assets a course cannot hold, such as an SVG that is not a plain
drawing (`app.courses.assets.asset_problem`), so the studio never stores or serves one. Nothing
touches the disk: the result is a mapping of path to bytes.
"""
from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.authoring.errors import StudioError
from app.courses.assets import asset_problem, content_type_for

#: zip entries every archive tool adds that are not part of the course
_IGNORED_TOP_FOLDERS = ("__MACOSX",)
#: a fixed timestamp makes the same files always give the same archive bytes
_EPOCH = (1980, 1, 1, 0, 0, 0)
MAX_PATH_LENGTH = 255


class ArchiveRejected(StudioError):
    """The archive cannot be used; the message says why, naming the entry at fault.

    `status_code` is the HTTP status that fits: 413 for size limits, else 400.
    """

    def __init__(self, message: str | LazyString, status: int = 400) -> None:
        super().__init__(message)
        self.status_code = status


@dataclass(frozen=True)
class ArchiveLimits:
    """How big an uploaded course archive may be."""

    max_archive_bytes: int = 16 * 1024 * 1024
    max_entries: int = 1000
    max_file_bytes: int = 5 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveFolder:
    """The files of an archive by relative posix path, and the top folder they sat in, if any."""

    files: dict[str, bytes]
    root_name: str | None


def check_relative_path(name: str) -> str:
    """`name` when it is a plain relative posix path inside its folder; else `ValueError`
    (its message a lazy sentence, worded when shown)."""
    if not name or "\x00" in name:
        raise ValueError(_l("an empty or binary file name"))
    if "\\" in name:
        raise ValueError(_l("'%(name)s' uses backslashes: archive paths use forward slashes",
                            name=name))
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValueError(_l("'%(name)s' is an absolute path", name=name))
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(_l("'%(name)s' points outside its folder or has an empty part",
                            name=name))
    if len(name) > MAX_PATH_LENGTH:
        raise ValueError(_l("'%(name)s...' is longer than %(limit)d characters", name=name[:60],
                            limit=MAX_PATH_LENGTH))
    return name


def is_hidden(path: str) -> bool:
    """Hidden files and folders (a part starting with a dot) are not part of a course."""
    return any(part.startswith(".") for part in path.split("/"))


def read_zip(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> ArchiveFolder:
    """Every regular file of a zip archive, checked against `limits`; raises `ArchiveRejected`."""
    if len(data) > limits.max_archive_bytes:
        raise ArchiveRejected(_l("The archive is larger than %(size)s.",
                                 size=_megabytes(limits.max_archive_bytes)), 413)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise ArchiveRejected(_l("This is not a zip archive.")) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise ArchiveRejected(_l("The archive has %(count)d entries; the limit is %(limit)d.",
                                     count=len(entries), limit=limits.max_entries), 413)
        files = _read_entries(archive, entries, limits)
    if not files:
        raise ArchiveRejected(_l("The archive holds no files."))
    folder = _strip_top_folder(files)
    _check_assets(folder.files)
    return folder


def _read_entries(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo],
                  limits: ArchiveLimits) -> dict[str, bytes]:
    """Read the regular files, enforcing the path rules and the size limits."""
    files: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        name = _entry_path(entry)
        if name is None:
            continue
        if name in files:
            raise ArchiveRejected(_l("'%(name)s' appears twice in the archive.", name=name))
        files[name] = _read_entry(archive, entry, name, limits.max_file_bytes)
        total += len(files[name])
        if total > limits.max_total_bytes:
            raise ArchiveRejected(_l("The archive unpacks to more than %(size)s.",
                                     size=_megabytes(limits.max_total_bytes)), 413)
    return files


def _entry_path(entry: zipfile.ZipInfo) -> str | None:
    """The checked path of a file entry; None for folders and ignored entries."""
    name = entry.filename
    try:
        check_relative_path(name.rstrip("/") if entry.is_dir() else name)
    except ValueError as error:
        raise ArchiveRejected(_l("Refused: %(reason)s.", reason=error.args[0])) from None
    mode = entry.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveRejected(_l("Refused: '%(name)s' is a symbolic link.", name=name))
    if entry.flag_bits & 0x1:
        raise ArchiveRejected(_l("Refused: '%(name)s' is encrypted.", name=name))
    if entry.is_dir() or name.split("/")[0] in _IGNORED_TOP_FOLDERS or is_hidden(name):
        return None
    return name


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    """An entry's bytes, stopping as soon as it grows past `limit` (headers can lie)."""
    too_big = ArchiveRejected(_l("'%(name)s' is larger than %(size)s.", name=name,
                                 size=_megabytes(limit)), 413)
    if entry.file_size > limit:
        raise too_big
    try:
        with archive.open(entry) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as error:
        raise ArchiveRejected(_l("'%(name)s' cannot be read (%(error)s).", name=name,
                                 error=str(error))) from None
    if len(data) > limit:
        raise too_big
    return data


def _strip_top_folder(files: dict[str, bytes]) -> ArchiveFolder:
    """A zip of the folder itself (`okr-executive/course.md`) and a zip of its contents
    (`course.md`) both give paths relative to the course folder."""
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        (top,) = tops
        return ArchiveFolder({path.split("/", 1)[1]: data for path, data in files.items()}, top)
    return ArchiveFolder(files, None)


def _check_assets(files: Mapping[str, bytes]) -> None:
    """Refuse the archive over the first file a course cannot hold (checked by its name's type,
    which is the type it would be stored and served as)."""
    for path in sorted(files):
        problem = asset_problem(content_type_for(path), files[path])
        if problem:
            raise ArchiveRejected(_l("Nothing was changed: '%(path)s' is refused. %(problem)s",
                                     path=path, problem=problem), 422)


def write_zip(root_name: str, files: Mapping[str, bytes]) -> bytes:
    """A zip of `files` under the folder `root_name`; the same files always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{root_name}/{check_relative_path(path)}", date_time=_EPOCH)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return buffer.getvalue()


def _megabytes(size: int) -> str:
    """`5 MB`."""
    return f"{size / (1024 * 1024):g} MB"
