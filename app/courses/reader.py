"""Reads a course folder into a `CourseSpec`, collecting every problem in one pass."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from app.courses.capstone_spec import CapstoneSpec, parse_capstone
from app.courses.certificate_design import read_achievement, read_signatory
from app.courses.assets import ASSETS_DIR, AssetSpec, asset_problem, link_problem, read_asset
from app.courses.frontmatter import FrontMatter, Problem, Reporter, Settings, is_slug, read_front_matter
from app.courses.locales import translation_locale
from app.courses.markdown import find_links
from app.courses.spec import CourseSpec, LessonSpec, ModuleSpec, reading_minutes
from app.courses.translation_reader import read_translations
from app.courses.quiz_parser import QuizSpec, parse_quiz

#: the quiz key of the final exam; a module quiz's key is its module slug
FINAL_EXAM_KEY = "final-exam"
#: module slugs that would collide with the course's own URLs (/courses/<slug>/assets/, /quiz/...)
RESERVED_MODULE_SLUGS = (FINAL_EXAM_KEY, "assets", "quiz", "enrol")
COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
QUIZ_FILE = "quiz.md"
COURSE_SETTINGS = ("title", "summary", "validity_months", "certificate_template",
                   "final_exam", "sequential", "capstone", "achievement", "signatory")
MODULE_SETTINGS = ("title", "summary")
LESSON_SETTINGS = ("title", "minutes", "exercise_minutes")
_PREFIXED_RE = re.compile(r"^(\d+)-(.*)$")


def read_course(path: Path) -> tuple[CourseSpec | None, list[Problem]]:
    """Parse a course folder; returns the spec (None if anything is wrong) and the problems."""
    reader = _CourseReader(Path(path))
    spec = reader.read()
    if spec is not None and not reader.problems:
        translations, translation_problems = read_translations(Path(path), spec)
        reader.problems += translation_problems
        spec = replace(spec, translations=translations)
    problems = sorted(set(reader.problems), key=lambda p: (p.path, p.line, p.message))
    return (None, problems) if problems else (spec, [])


def visible_files(folder: Path) -> Iterator[Path]:
    """Every file under `folder`, skipping hidden files and folders (names starting with a dot)."""
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from visible_files(entry)
        elif entry.is_file():
            yield entry


def content_hash(course_dir: Path) -> str:
    """SHA-256 over every visible file's relative path and bytes, in sorted path order."""
    digest = hashlib.sha256()
    files = sorted(visible_files(course_dir), key=lambda f: f.relative_to(course_dir).as_posix())
    for file in files:
        name = file.relative_to(course_dir).as_posix().encode("utf-8")
        data = file.read_bytes()
        # Length prefixes keep (path, bytes) pairs unambiguous.
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class _CourseReader:
    """Reads one course folder, collecting problems instead of stopping at the first."""

    def __init__(self, course_dir: Path) -> None:
        self.course_dir = course_dir
        self.problems: list[Problem] = []

    def display(self, path: Path) -> str:
        """A path as reported: relative to the course folder's parent (starts with its name)."""
        return path.relative_to(self.course_dir.parent).as_posix()

    def add(self, path: Path, line: int, message: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(self.display(path), line, message))

    def read(self) -> CourseSpec | None:
        """Parse the whole course."""
        root = self.course_dir
        if not root.is_dir():
            self.add(root, 0, "not a folder")
            return None
        if not is_slug(root.name):
            self.add(root, 0, f"course folder name '{root.name}' is its slug: use only lowercase "
                              "letters, digits and hyphens")
        course_file = root / COURSE_FILE
        if not course_file.is_file():
            self.add(course_file, 0, f"missing {COURSE_FILE} (front matter: {', '.join(COURSE_SETTINGS)})")
            return None
        front, settings = self.read_markdown(course_file, COURSE_SETTINGS)
        exam_name = settings.text("final_exam") or None
        modules = self.read_modules()
        final_exam = self.read_final_exam(exam_name, settings)
        capstone_name = settings.text("capstone") or None
        capstone = self.read_capstone(capstone_name, settings)
        self.check_stray_entries(exam_name, capstone_name)
        assets = self.read_assets()
        return CourseSpec(
            slug=root.name,
            title=settings.text("title", required=True),
            summary=settings.text("summary"),
            description_md=front.body,
            validity_months=settings.integer("validity_months", default=24, minimum=1, maximum=1200),
            certificate_template=self.template_name(settings),
            sequential=settings.boolean("sequential", default=True),
            modules=tuple(modules),
            final_exam=final_exam,
            capstone=capstone,
            assets=assets,
            content_hash=content_hash(root),
            achievement=read_achievement(settings),
            signatory=read_signatory(settings, assets),
        )

    def read_markdown(self, file: Path, allowed: tuple[str, ...]) -> tuple[FrontMatter, Settings]:
        """Read a Markdown file's front matter and check the links in its body."""
        report = Reporter(self.display(file), self.problems)
        text = self.read_text(file)
        if text is None:
            front = FrontMatter({}, {}, "", 1, readable=False)
        else:
            front = read_front_matter(text, report)
            self.check_links(file, front)
        return front, Settings(front, report, allowed)

    def read_text(self, file: Path) -> str | None:
        """A file's text, or None (reported) when it is not UTF-8."""
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.add(file, 0, f"not UTF-8 text ({exc.reason})")
            return None

    def check_links(self, file: Path, front: FrontMatter) -> None:
        """Every relative link or image must point at a file in assets/."""
        for link in find_links(front.body):
            message = link_problem(link.url, file, self.course_dir)
            if message:
                self.add(file, front.body_line + link.line, message)

    def template_name(self, settings: Settings) -> str:
        """`certificate_template`: the name of a folder under certificates/."""
        name = settings.text("certificate_template", default="classic")
        if not is_slug(name):
            settings.error("certificate_template", f"'certificate_template' must be a template "
                                                   f"folder name such as 'classic', got {name!r}")
            return "classic"
        return name

    def read_modules(self) -> list[ModuleSpec]:
        """Every numbered module folder, in order."""
        folders = [d for d in sorted(self.course_dir.iterdir())
                   if d.is_dir() and not d.name.startswith(".") and d.name != ASSETS_DIR]
        numbered = self.numbered(folders, "module folder", "01-foundations")
        modules = [m for m in (self.read_module(folder, pos, slug) for folder, pos, slug in numbered) if m]
        if not numbered:
            self.add(self.course_dir, 0, "the course has no modules (folders such as 01-foundations/)")
        return modules

    def numbered(self, entries: list[Path], what: str, example: str) -> list[tuple[Path, int, str]]:
        """(entry, position, slug) for prefixed entries; reports missing prefixes and clashes."""
        result: list[tuple[Path, int, str]] = []
        slugs: dict[str, Path] = {}
        positions: dict[int, Path] = {}
        for entry in entries:
            stem = entry.name.removesuffix(".md") if entry.is_file() else entry.name
            match = _PREFIXED_RE.match(stem)
            if not match:
                self.add(entry, 0, f"{what} '{entry.name}' needs a numeric prefix like '{example}' "
                                   "(the prefix sets the order)")
                continue
            position, slug = int(match.group(1)), match.group(2)
            if not is_slug(slug):
                self.add(entry, 0, f"slug '{slug}' of {what} '{entry.name}' may use only lowercase "
                                   "letters, digits and hyphens")
            if slug in slugs:
                self.add(entry, 0, f"duplicate slug '{slug}': '{slugs[slug].name}' and "
                                   f"'{entry.name}' would be the same {what}")
            if position in positions:
                self.add(entry, 0, f"'{positions[position].name}' and '{entry.name}' share the "
                                   f"prefix {match.group(1)}: give each {what} its own number")
            slugs.setdefault(slug, entry)
            positions.setdefault(position, entry)
            result.append((entry, position, slug))
        return sorted(result, key=lambda item: (item[1], item[2]))

    def read_module(self, folder: Path, position: int, slug: str) -> ModuleSpec | None:
        """A module folder: module.md, numbered lessons, optional quiz.md."""
        if slug in RESERVED_MODULE_SLUGS:
            self.add(folder, 0, f"module slug '{slug}' is reserved "
                     f"({', '.join(RESERVED_MODULE_SLUGS)}): rename the module")
        module_file = folder / MODULE_FILE
        if not module_file.is_file():
            self.add(module_file, 0, f"missing {MODULE_FILE} (front matter: title, summary)")
            return None
        front, settings = self.read_markdown(module_file, MODULE_SETTINGS)
        lessons = self.read_lessons(folder)
        quiz_file = folder / QUIZ_FILE
        return ModuleSpec(
            slug=slug, position=position,
            title=settings.text("title", required=True),
            summary=settings.text("summary"),
            intro_md=front.body,
            lessons=tuple(lessons),
            quiz=self.read_quiz(quiz_file, slug) if quiz_file.is_file() else None,
        )

    def read_lessons(self, folder: Path) -> list[LessonSpec]:
        """The numbered lesson files of a module, in order; other entries are reported."""
        candidates: list[Path] = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.name in (MODULE_FILE, QUIZ_FILE) \
                    or translation_locale(entry.name):  # translations are read apart
                continue
            if entry.is_dir():
                self.add(entry, 0, "modules hold no folders: put images and files in the "
                                   f"course's {ASSETS_DIR}/ folder")
            elif entry.suffix != ".md":
                self.add(entry, 0, f"unexpected file '{entry.name}': images and files belong in "
                                   f"the course's {ASSETS_DIR}/ folder")
            else:
                candidates.append(entry)
        numbered = self.numbered(candidates, "lesson", "01-why-okrs.md")
        if not candidates:
            self.add(folder, 0, "the module has no lessons (files such as 01-why-okrs.md)")
        return [lesson for lesson in (self.read_lesson(*item) for item in numbered) if lesson]

    def read_lesson(self, file: Path, position: int, slug: str) -> LessonSpec:
        """One lesson file."""
        front, settings = self.read_markdown(file, LESSON_SETTINGS)
        if front.readable and not front.body.strip():
            self.add(file, front.body_line, "the lesson has no content")
        return LessonSpec(
            slug=slug, position=position,
            title=settings.text("title", required=True),
            minutes=settings.integer("minutes", default=0, minimum=1, maximum=600)
            or reading_minutes(front.body),
            exercise_minutes=settings.integer("exercise_minutes", default=0, minimum=0, maximum=600),
            body_md=front.body,
        )

    def read_quiz(self, file: Path, key: str) -> QuizSpec | None:
        """A module quiz or the final exam, through the quiz parser."""
        text = self.read_text(file)
        if text is None:
            return None
        spec, problems = parse_quiz(text, key=key, path=self.display(file))
        self.problems.extend(problems)
        self.check_links(file, read_front_matter(text, Reporter(self.display(file))))
        return spec

    def top_file(self, setting: str, name: str | None, settings: Settings) -> Path | None:
        """The file a `course.md` setting names at the top of the course folder (or None)."""
        if name is None:
            return None
        if "/" in name or "\\" in name or not name.endswith(".md"):
            settings.error(setting, f"'{setting}' must name a .md file at the top of the course "
                                    f"folder, such as {setting.replace('_', '-')}.md, got {name!r}")
            return None
        if not (self.course_dir / name).is_file():
            settings.error(setting, f"'{setting}' names {name}, which does not exist")
            return None
        return self.course_dir / name

    def read_final_exam(self, exam_name: str | None, settings: Settings) -> QuizSpec | None:
        """The file `final_exam` names, at the top of the course folder."""
        exam_file = self.top_file("final_exam", exam_name, settings)
        return None if exam_file is None else self.read_quiz(exam_file, FINAL_EXAM_KEY)

    def read_capstone(self, name: str | None, settings: Settings) -> CapstoneSpec | None:
        """The capstone brief and rubric `capstone` names, at the top of the course folder."""
        file = self.top_file("capstone", name, settings)
        text = None if file is None else self.read_text(file)
        if text is None:
            return None
        spec, problems = parse_capstone(text, path=self.display(file))
        self.problems.extend(problems)
        self.check_links(file, read_front_matter(text, Reporter(self.display(file))))
        return spec

    def check_stray_entries(self, *named: str | None) -> None:
        """Files at the top of the course folder other than course.md and the files it names."""
        for entry in sorted(self.course_dir.iterdir()):
            if entry.is_dir() or entry.name.startswith(".") or entry.name in (COURSE_FILE, *named) \
                    or translation_locale(entry.name):
                continue
            if entry.name == "final-exam.md":
                self.add(entry, 0, f"{entry.name} is not used: add `final_exam: {entry.name}` "
                                   f"to {COURSE_FILE}")
            else:
                self.add(entry, 0, f"unexpected file '{entry.name}': a course folder holds "
                                   f"{COURSE_FILE}, the final exam, module folders and {ASSETS_DIR}/")

    def read_assets(self) -> tuple[AssetSpec, ...]:
        """Every file under assets/, each checked (SVGs must be plain drawings)."""
        assets_dir = self.course_dir / ASSETS_DIR
        if not assets_dir.is_dir():
            return ()
        assets = tuple(read_asset(file, assets_dir) for file in visible_files(assets_dir))
        for asset in assets:
            problem = asset_problem(asset.content_type, asset.data)
            if problem:
                self.add(assets_dir / asset.path, 0, problem)
        return assets
