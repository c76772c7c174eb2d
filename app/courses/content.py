"""The course loader: a course folder (see courses/README.md) parsed into frozen dataclasses.

`read_course` collects every problem in one pass; `load_course` raises `CourseInvalid` when
there are any. The validator uses `read_course` too, so loading and validating never disagree.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.courses.assets import AssetSpec, asset_reference
from app.courses.capstone_spec import capstone_from_dict, capstone_to_dict
from app.courses.frontmatter import Problem
from app.courses.reader import COURSE_FILE, FINAL_EXAM_KEY, content_hash, read_course
from app.courses.spec import (
    CourseSpec, LessonSpec, LessonText, ModuleSpec, ModuleText, SignatorySpec, TranslationSpec,
)
from app.courses.quiz_parser import quiz_from_dict, quiz_to_dict

__all__ = [
    "AssetSpec", "CourseInvalid", "CourseSpec", "FINAL_EXAM_KEY", "LessonSpec", "ModuleSpec",
    "Problem", "asset_reference", "content_hash", "course_from_dict", "course_to_dict",
    "find_course_folders", "load_course", "read_course",
]


class CourseInvalid(Exception):
    """A course folder has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_course(path: Path) -> CourseSpec:
    """Parse a course folder, or raise `CourseInvalid` with every problem found."""
    spec, problems = read_course(path)
    if problems or spec is None:
        raise CourseInvalid(problems)
    return spec


def find_course_folders(path: Path) -> list[Path]:
    """The course folders at `path`: the folder itself when it holds course.md, else its subfolders."""
    path = Path(path)
    if (path / COURSE_FILE).is_file() or not path.is_dir():
        return [path]
    return [d for d in sorted(path.iterdir()) if d.is_dir() and not d.name.startswith(".")]


def course_to_dict(spec: CourseSpec) -> dict[str, Any]:
    """The course as JSON-serialisable data, without asset bytes."""
    return {
        "slug": spec.slug,
        "title": spec.title,
        "summary": spec.summary,
        "description_md": spec.description_md,
        "validity_months": spec.validity_months,
        "certificate_template": spec.certificate_template,
        "sequential": spec.sequential,
        "modules": [_module_to_dict(m) for m in spec.modules],
        "final_exam": quiz_to_dict(spec.final_exam) if spec.final_exam else None,
        "capstone": capstone_to_dict(spec.capstone) if spec.capstone else None,
        "assets": [{"path": a.path, "content_type": a.content_type, "sha256": a.sha256}
                   for a in spec.assets],
        "content_hash": spec.content_hash,
        "achievement": spec.achievement,
        "signatory": asdict(spec.signatory) if spec.signatory else None,
        "translations": [_translation_to_dict(t) for t in spec.translations],
    }


def _translation_to_dict(translation: TranslationSpec) -> dict[str, Any]:
    """One translation as plain data (its quizzes and capstone like the source's)."""
    return {
        **{key: getattr(translation, key) for key in (
            "locale", "title", "summary", "description_md", "achievement", "signatory_title")},
        "modules": [asdict(m) for m in translation.modules],
        "lessons": [asdict(lesson) for lesson in translation.lessons],
        "quizzes": [quiz_to_dict(q) for q in translation.quizzes],
        "capstone": capstone_to_dict(translation.capstone) if translation.capstone else None,
    }


def _translation_from_dict(data: dict[str, Any]) -> TranslationSpec:
    return TranslationSpec(**{
        **data,
        "modules": tuple(ModuleText(**m) for m in data["modules"]),
        "lessons": tuple(LessonText(**lesson) for lesson in data["lessons"]),
        "quizzes": tuple(quiz_from_dict(q) for q in data["quizzes"]),
        "capstone": capstone_from_dict(data["capstone"]) if data.get("capstone") else None,
    })


def _module_to_dict(module: ModuleSpec) -> dict[str, Any]:
    """One module as plain data."""
    return {
        "slug": module.slug,
        "position": module.position,
        "title": module.title,
        "summary": module.summary,
        "intro_md": module.intro_md,
        "lessons": [asdict(lesson) for lesson in module.lessons],
        "quiz": quiz_to_dict(module.quiz) if module.quiz else None,
    }


def course_from_dict(data: dict[str, Any]) -> CourseSpec:
    """Rebuild a course from `course_to_dict` output (assets come back without their bytes)."""
    modules = tuple(
        ModuleSpec(**{
            **m,
            "lessons": tuple(LessonSpec(**lesson) for lesson in m["lessons"]),
            "quiz": quiz_from_dict(m["quiz"]) if m.get("quiz") else None,
        })
        for m in data["modules"]
    )
    return CourseSpec(**{
        **data,
        "modules": modules,
        "final_exam": quiz_from_dict(data["final_exam"]) if data.get("final_exam") else None,
        "capstone": capstone_from_dict(data["capstone"]) if data.get("capstone") else None,
        "signatory": SignatorySpec(**data["signatory"]) if data.get("signatory") else None,
        "translations": tuple(_translation_from_dict(t) for t in data.get("translations", ())),
        "assets": tuple(AssetSpec(path=a["path"], content_type=a["content_type"], sha256=a["sha256"])
                        for a in data["assets"]),
    })
