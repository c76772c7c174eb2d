"""The parsed course: frozen dataclasses shared by the loader, the validator and the app."""
from __future__ import annotations

from dataclasses import dataclass

from app.courses.assets import AssetSpec
from app.courses.capstone_spec import CapstoneSpec
from app.courses.quiz_spec import QuizSpec


@dataclass(frozen=True)
class LessonSpec:
    """A lesson: Markdown with a reading time."""

    slug: str
    position: int
    title: str
    minutes: int
    body_md: str
    #: time for the lesson's exercise, shown beside the reading time (0: no exercise)
    exercise_minutes: int = 0


@dataclass(frozen=True)
class ModuleSpec:
    """A module: introduction, ordered lessons and an optional graded quiz."""

    slug: str
    position: int
    title: str
    summary: str
    intro_md: str
    lessons: tuple[LessonSpec, ...]
    quiz: QuizSpec | None


@dataclass(frozen=True)
class CourseSpec:
    """A whole course as authored, with the hash that identifies this exact content."""

    slug: str
    title: str
    summary: str
    description_md: str
    validity_months: int
    certificate_template: str
    sequential: bool
    modules: tuple[ModuleSpec, ...]
    final_exam: QuizSpec | None
    assets: tuple[AssetSpec, ...]
    content_hash: str
    #: a brief answered with the learner's own work, scored by a trainer against a rubric
    capstone: CapstoneSpec | None = None
