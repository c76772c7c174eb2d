"""Course folders with translations, for the content translation tests: a writable copy of the
example course with a complete German translation whose every text is marked "DE"."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.factories import EXAMPLE_COURSE

SLUG = "example-course"
#: the source files of the example course that a translation covers
SOURCE_FILES = (
    "course.md", "final-exam.md",
    "01-foundations/module.md", "01-foundations/01-origins.md", "01-foundations/02-anatomy.md",
    "01-foundations/quiz.md",
    "02-writing-key-results/module.md", "02-writing-key-results/01-measurable.md",
    "02-writing-key-results/02-scoring.md", "02-writing-key-results/quiz.md",
)
_TEXT_KEY = re.compile(r"^(title|summary|achievement): ?(.*)$")
_HEADING = re.compile(r"^(#{1,6} )(.*)$")
_OPTION = re.compile(r"^([-*+] \[[ xX]\] )(.*)$")
_QUOTE = re.compile(r"^(> ?)(.+)$")


def translated_name(path: str, locale: str = "de") -> str:
    return f"{path.removesuffix('.md')}.{locale}.md"


def mark_text(text: str, mark: str = "DE") -> str:
    """The file with every text (text settings, headings, options, explanations, paragraphs)
    prefixed with `mark`, and everything else (settings, ids, marks, answers, tables, links'
    targets) as it is: what a faithful translation keeps."""
    lines, out, fence, front = text.split("\n"), [], False, 0
    for line in lines:
        if line.strip() == "---" and front < 2:
            front += 1
            out.append(line)
            continue
        if front == 1:
            match = _TEXT_KEY.match(line)
            out.append(f"{match.group(1)}: {mark} {match.group(2)}" if match and match.group(2)
                       else line)
            continue
        if line.startswith("```"):
            fence = not fence
        if fence or not line.strip() or line.startswith(("|", "=", "```")):
            out.append(line)
            continue
        for pattern in (_HEADING, _OPTION, _QUOTE):
            match = pattern.match(line)
            if match:
                out.append(f"{match.group(1)}{mark} {match.group(2)}")
                break
        else:
            out.append(f"{mark} {line}")
    return "\n".join(out)


def translated_course(tmp_path: Path, locale: str = "de", mark: str = "DE") -> Path:
    """A copy of the example course (under tmp_path/courses/) with a complete translation."""
    target = tmp_path / "courses" / SLUG
    shutil.copytree(EXAMPLE_COURSE, target)
    for path in SOURCE_FILES:
        source = (target / path).read_text(encoding="utf-8")
        (target / translated_name(path, locale)).write_text(mark_text(source, mark),
                                                            encoding="utf-8")
    return target


def edit(file: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a file (it must be there)."""
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file.name}"
    file.write_text(text.replace(old, new, count), encoding="utf-8")
