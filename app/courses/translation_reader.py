"""Reads the translations of a course folder (`X.de.md` beside `X.md`) and checks each against
its source: every file translated, nothing extra, settings and question structure unchanged.

Runs once the source reads without problems (the source is what a translation is held to).
Problems carry the translated file's path and line, like the source's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from app.courses.assets import ASSETS_DIR, link_problem
from app.courses.capstone_spec import CapstoneSpec, parse_capstone
from app.courses.frontmatter import FrontMatter, Problem, Reporter, read_front_matter
from app.courses.locales import (
    ENGLISH_NAMES, SOURCE_LOCALE, TRANSLATION_LOCALES, source_name, translated_name,
    translation_locale,
)
from app.courses.markdown import find_links
from app.courses.quiz_parser import parse_quiz
from app.courses.quiz_spec import QuizSpec
from app.courses.spec import CourseSpec, LessonText, ModuleText, TranslationSpec
from app.courses.translation_checks import (
    Finding, capstone_findings, quiz_findings, settings_findings, translated_capstone,
    translated_quiz,
)

COURSE_TEXT = ("title", "summary", "achievement")
TITLE_AND_SUMMARY = ("title", "summary")
TITLE = ("title",)
_PREFIXED_RE = re.compile(r"^(\d+)-(.*)$")


def read_translations(course_dir: Path, spec: CourseSpec) -> tuple[tuple[TranslationSpec, ...],
                                                                   list[Problem]]:
    """Every translation of a course that read without problems, and every problem found."""
    layout = _Layout.of(Path(course_dir), spec)
    problems: list[Problem] = []
    locales: set[str] = set()
    for file in layout.translation_files():
        locale = translation_locale(file.name)
        problem = _stray_problem(file, locale, layout)
        if problem:
            problems.append(Problem(layout.display(file), 0, problem))
        elif locale:
            locales.add(locale)
    translations = []
    for locale in sorted(locales):
        reader = _LocaleReader(layout, locale)
        translation = reader.read()
        problems += reader.problems
        if translation is not None and not reader.problems:
            translations.append(translation)
    return tuple(translations), problems


def _stray_problem(file: Path, locale: str | None, layout: _Layout) -> str | None:
    """What is wrong with a translation file whatever its language, or None."""
    if locale == SOURCE_LOCALE:
        return (f"the course is written in English: '{file.name}' would translate it into "
                "English (rename it or remove it)")
    if locale not in TRANSLATION_LOCALES:
        return (f"'{file.name}' is not a language the academy offers (translations: "
                f"{', '.join(f'X.{code}.md' for code in TRANSLATION_LOCALES)})")
    if file.parent / source_name(file.name) not in layout.sources:
        return (f"'{file.name}' translates {source_name(file.name)}, which the course does not "
                "have: remove it or name it after a file of the course")
    return None


@dataclass
class _Layout:
    """The source files of a course that read cleanly, and what each one is."""

    course_dir: Path
    spec: CourseSpec
    #: source file -> (kind, module slug, lesson slug)
    sources: dict[Path, tuple[str, str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, course_dir: Path, spec: CourseSpec) -> _Layout:
        layout = cls(course_dir, spec)
        layout.sources[course_dir / "course.md"] = ("course", "", "")
        modules = {m.slug: m for m in spec.modules}
        for folder in layout.module_folders():
            slug = _PREFIXED_RE.match(folder.name).group(2)
            layout.sources[folder / "module.md"] = ("module", slug, "")
            if modules[slug].quiz is not None:
                layout.sources[folder / "quiz.md"] = ("quiz", slug, "")
            lessons = {lesson.slug for lesson in modules[slug].lessons}
            for file in sorted(folder.glob("*.md")):
                match = _PREFIXED_RE.match(file.name.removesuffix(".md"))
                if match and match.group(2) in lessons and translation_locale(file.name) is None:
                    layout.sources[file] = ("lesson", slug, match.group(2))
        settings = read_front_matter((course_dir / "course.md").read_text(encoding="utf-8"),
                                     Reporter("")).data
        if spec.final_exam is not None:
            layout.sources[course_dir / str(settings["final_exam"])] = ("quiz", "final-exam", "")
        if spec.capstone is not None:
            layout.sources[course_dir / str(settings["capstone"])] = ("capstone", "", "")
        return layout

    def module_folders(self) -> list[Path]:
        """The module folders the spec read, in order."""
        slugs = {m.slug for m in self.spec.modules}
        folders = [d for d in self.course_dir.iterdir()
                   if d.is_dir() and _PREFIXED_RE.match(d.name)
                   and _PREFIXED_RE.match(d.name).group(2) in slugs]
        return sorted(folders, key=lambda d: int(_PREFIXED_RE.match(d.name).group(1)))

    def translation_files(self) -> list[Path]:
        """Every `X.ll.md` at the top of the course and in its module folders."""
        folders = [self.course_dir] + [d for d in sorted(self.course_dir.iterdir())
                                       if d.is_dir() and not d.name.startswith(".")
                                       and d.name != ASSETS_DIR]
        return [file for folder in folders for file in sorted(folder.glob("*.md"))
                if not file.name.startswith(".") and translation_locale(file.name)]

    def display(self, path: Path) -> str:
        return path.relative_to(self.course_dir.parent).as_posix()


class _LocaleReader:
    """Reads one language's files against the source, collecting problems."""

    def __init__(self, layout: _Layout, locale: str) -> None:
        self.layout, self.locale = layout, locale
        self.problems: list[Problem] = []

    def add(self, file: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.layout.display(file), line, message))

    def read(self) -> TranslationSpec | None:
        """The language's whole translation; None when a file is missing or unreadable."""
        parts = {path: self.read_part(path, *what) for path, what in self.layout.sources.items()}
        if any(part is None for part in parts.values()):
            return None
        course = parts[self.layout.course_dir / "course.md"]
        signatory = course.data.get("signatory")
        kinds = {path: what for path, what in self.layout.sources.items()}
        return TranslationSpec(
            locale=self.locale, title=_text(course, "title"), summary=_text(course, "summary"),
            description_md=course.body, achievement=_text(course, "achievement"),
            signatory_title=str(signatory.get("title", "")).strip()
            if isinstance(signatory, dict) else "",
            modules=tuple(ModuleText(kinds[p][1], _text(f, "title"), _text(f, "summary"), f.body)
                          for p, f in parts.items() if kinds[p][0] == "module"),
            lessons=tuple(LessonText(kinds[p][1], kinds[p][2], _text(f, "title"), f.body)
                          for p, f in parts.items() if kinds[p][0] == "lesson"),
            quizzes=tuple(f for p, f in parts.items() if kinds[p][0] == "quiz"),
            capstone=next((f for p, f in parts.items() if kinds[p][0] == "capstone"), None),
        )

    def read_part(self, source: Path, kind: str, module: str, lesson: str):
        """One translated file checked against its source: its front matter (course, module,
        lesson), or the translated quiz or capstone; None when it is missing or wrong."""
        file = source.parent / translated_name(source.name, self.locale)
        if not file.is_file():
            self.add(file, 0, f"the {ENGLISH_NAMES[self.locale]} translation lacks this file: "
                              f"translate {source.name} as {file.name}")
            return None
        text = self.read_text(file)
        if text is None:
            return None
        if kind == "quiz":
            return self.read_quiz(source, file, text, module)
        if kind == "capstone":
            return self.read_capstone(source, file, text)
        before = len(self.problems)
        front = self.front(file, text)
        source_front = read_front_matter(source.read_text(encoding="utf-8"), Reporter(""))
        keys = {"course": COURSE_TEXT, "module": TITLE_AND_SUMMARY}.get(kind, TITLE)
        self.report(file, settings_findings(source_front, front, source.name, keys))
        if kind == "lesson" and front.readable and not front.body.strip():
            self.add(file, front.body_line, "the lesson has no content: translate it")
        self.check_links(source, source_front, file, front)
        return front if len(self.problems) == before else None

    def read_text(self, file: Path) -> str | None:
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.add(file, 0, f"not UTF-8 text ({exc.reason})")
            return None

    def front(self, file: Path, text: str) -> FrontMatter:
        report = Reporter(self.layout.display(file))
        front = read_front_matter(text, report)
        self.problems += report.problems
        return front

    def report(self, file: Path, findings: list[Finding]) -> None:
        for line, message in findings:
            self.add(file, line, message)

    def check_links(self, source: Path, source_front: FrontMatter, file: Path,
                    front: FrontMatter) -> None:
        """Links work, and the course files and images they point at are the source's."""
        course_dir = self.layout.course_dir
        for link in find_links(front.body):
            message = link_problem(link.url, file, course_dir)
            if message:
                self.add(file, front.body_line + link.line, message)
        ours = sorted({link.url for link in find_links(source_front.body) if _is_local(link.url)})
        theirs = {link.url for link in find_links(front.body) if _is_local(link.url)}
        for url in ours:
            if url not in theirs:
                self.add(file, 0, f"{source.name} links to '{url}' but the translation does not: "
                                  "keep the source's links and images")
        for url in sorted(theirs - set(ours)):
            self.add(file, 0, f"links to '{url}', which {source.name} does not: keep the "
                              "source's links and images")

    def read_quiz(self, source: Path, file: Path, text: str, key: str) -> QuizSpec | None:
        """A translated quiz: parsed like any quiz, then held to the source's structure."""
        display = self.layout.display(file)
        spec, problems = parse_quiz(text, key=key, path=display)
        self.problems += problems
        original = self.source_quiz(key)
        if spec is None or original is None:
            return None
        before = len(self.problems)
        source_front = read_front_matter(source.read_text(encoding="utf-8"), Reporter(""))
        front = read_front_matter(text, Reporter(""))
        self.report(file, settings_findings(source_front, front, source.name, TITLE))
        self.report(file, quiz_findings(original, spec, source.name))
        self.check_links(source, source_front, file, front)
        return translated_quiz(original, spec) if len(self.problems) == before else None

    def source_quiz(self, key: str) -> QuizSpec | None:
        if key == "final-exam":
            return self.layout.spec.final_exam
        return next((m.quiz for m in self.layout.spec.modules if m.slug == key), None)

    def read_capstone(self, source: Path, file: Path, text: str) -> CapstoneSpec | None:
        """A translated capstone brief and rubric, held to the source's rubric."""
        spec, problems = parse_capstone(text, path=self.layout.display(file))
        self.problems += problems
        original = self.layout.spec.capstone
        if spec is None or original is None:
            return None
        before = len(self.problems)
        source_front = read_front_matter(source.read_text(encoding="utf-8"), Reporter(""))
        front = read_front_matter(text, Reporter(""))
        self.report(file, settings_findings(source_front, front, source.name, TITLE))
        self.report(file, capstone_findings(original, spec, source.name))
        self.check_links(source, source_front, file, front)
        return translated_capstone(original, spec) if len(self.problems) == before else None


def _text(front: FrontMatter, key: str) -> str:
    value = front.data.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


def _is_local(url: str) -> bool:
    """A link to a file of the course (not a web address, a mail or an anchor)."""
    return bool(url) and not url.startswith("#") and ":" not in url.split("/", 1)[0]
