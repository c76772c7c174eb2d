"""The parsed course: frozen dataclasses shared by the loader, the validator and the app."""
from __future__ import annotations

from dataclasses import dataclass

from app.courses.assets import AssetSpec
from app.courses.capstone_spec import CapstoneSpec
from app.courses.quiz_spec import QuizSpec


#: how fast the academy's readers read a lesson, for lessons whose front matter gives no
#: `minutes`: executives reading attentively, not skimming
WORDS_PER_MINUTE = 200


def reading_minutes(body_md: str) -> int:
    """The estimated reading time of a lesson's Markdown: its words (runs of characters with a
    letter or digit, so list markers and table rules do not count) at `WORDS_PER_MINUTE`,
    rounded up, at least one minute."""
    words = sum(1 for token in body_md.split() if any(c.isalnum() for c in token))
    return max(1, -(-words // WORDS_PER_MINUTE))


@dataclass(frozen=True)
class LessonSpec:
    """A lesson: Markdown with a reading time (authored, or estimated from its words)."""

    slug: str
    position: int
    title: str
    minutes: int
    body_md: str
    #: time for the lesson's exercise, shown beside the reading time (0: no exercise)
    exercise_minutes: int = 0


@dataclass(frozen=True)
class SignatorySpec:
    """Who signs the course's certificates: a name, a title and their signature image."""

    name: str
    title: str
    #: the signature image (SVG or PNG), relative to the course's assets/ folder
    signature: str


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
class ModuleText:
    """A module's translated text."""

    slug: str
    title: str
    summary: str
    intro_md: str


@dataclass(frozen=True)
class LessonText:
    """A lesson's translated text."""

    module_slug: str
    slug: str
    title: str
    body_md: str


@dataclass(frozen=True)
class TranslationSpec:
    """A course's text in another language; settings, ids and answer keys stay the source's.

    `quizzes` are the source's quizzes with their text translated (the key says which);
    `capstone` likewise."""

    locale: str
    title: str
    summary: str
    description_md: str
    achievement: str
    signatory_title: str
    modules: tuple[ModuleText, ...]
    lessons: tuple[LessonText, ...]
    quizzes: tuple[QuizSpec, ...]
    capstone: CapstoneSpec | None = None


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
    #: what a holder of the certificate can now do, one sentence (empty: the summary says it)
    achievement: str = ""
    #: who signs the certificates (None: the academy's default signatory)
    signatory: SignatorySpec | None = None
    #: the course's translations (`X.de.md` files), checked against the source
    translations: tuple[TranslationSpec, ...] = ()
