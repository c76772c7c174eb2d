"""Writing the course format: front matter, the quiz dialect and a course rebuilt from its spec.

The inverse of the reader and the quiz parser. Anything written here reads back to the same
spec (the quiz `line` numbers aside); tests hold both directions together.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import yaml

from app.courses.capstone_spec import CapstoneSpec
from app.courses.locales import translated_name
from app.courses.reader import COURSE_FILE, FINAL_EXAM_KEY, MODULE_FILE, QUIZ_FILE
from app.courses.spec import CourseSpec, LessonSpec, ModuleSpec, TranslationSpec
from app.courses.quiz_spec import QuestionSpec, QuizSpec

#: the file name given to the final exam when a course is rebuilt from its spec
DEFAULT_EXAM_FILE = "final-exam.md"
#: and to the capstone
DEFAULT_CAPSTONE_FILE = "capstone.md"


def front_matter(settings: Mapping[str, Any]) -> str:
    """`---`, the settings as YAML in the given order (None values left out), `---`."""
    kept = {key: value for key, value in settings.items() if value is not None}
    body = yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=10_000) if kept else ""
    return f"---\n{body}---\n"


def markdown_file(settings: Mapping[str, Any], body: str) -> str:
    """A Markdown file: front matter, then the body exactly as given."""
    return front_matter(settings) + body


def format_number(value: float | int | Decimal) -> str:
    """A number as a person writes it: `3`, `0.75`, `-2.5` (no `.0`, no exponent)."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    elif float(value).is_integer():
        return str(int(value))
    else:
        text = repr(float(value))
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- quizzes ------------------------------------------------------------------------------------


def quiz_settings(spec: QuizSpec) -> dict[str, Any]:
    """The front matter of a quiz, every setting spelled out."""
    return {
        "title": spec.title,
        "pass_mark": spec.pass_mark,
        "max_attempts": spec.max_attempts,
        "cooldown_minutes": spec.cooldown_minutes,
        "time_limit_minutes": spec.time_limit_minutes,
        "draw": dict(spec.draw) if isinstance(spec.draw, dict) else spec.draw,
        "shuffle": spec.shuffle,
        "feedback": spec.feedback,
        "scoring": spec.scoring,
        "section_pass_mark": spec.section_pass_mark,
    }


def quiz_markdown(spec: QuizSpec) -> str:
    """A whole quiz file in the dialect."""
    return front_matter(quiz_settings(spec)) + "\n" + questions_markdown(spec)


def questions_markdown(spec: QuizSpec) -> str:
    """The questions of a quiz (under their section headings when it has sections)."""
    blocks: list[str] = []
    if not spec.sections:
        blocks = [question_markdown(q) for q in spec.questions]
    for section in spec.sections:
        blocks.append(f"# {section.title} {{#{section.id}}}\n")
        blocks += [question_markdown(q) for q in spec.questions if q.section_id == section.id]
    return "\n".join(blocks)


def question_markdown(question: QuestionSpec) -> str:
    """One question: heading with its id, optional text, options or answer, explanation."""
    one_right = sum(option.correct for option in question.options) == 1
    marker = " .multiple" if question.kind == "multiple" and one_right else ""
    marker += f" .{question.skill}" if question.skill else ""
    lines = [f"## {_one_line(question.stem_md)} {{#{question.id}{marker}}}"]
    if question.body_md.strip():
        lines.append(question.body_md)
        lines.append("")
    if question.kind == "numeric":
        lines.append(numeric_answer(question.answer or 0, question.tolerance))
    else:
        lines += [f"- [{'x' if option.correct else ' '}] {_one_line(option.text_md)}"
                  for option in question.options]
    if question.explanation_md.strip():
        lines.append("")
        lines += [f"> {line}" if line.strip() else ">" for line in
                  question.explanation_md.splitlines()]
    return "\n".join(lines) + "\n"


def numeric_answer(value: float | Decimal, tolerance: float | Decimal) -> str:
    """`= 0.75 ± 0.01`, or `= 42` for an exact answer."""
    if tolerance:
        return f"= {format_number(value)} ± {format_number(tolerance)}"
    return f"= {format_number(value)}"


def _one_line(text: str) -> str:
    """Headings and options are single lines: inner line breaks become spaces."""
    return " ".join(text.split())


# --- a whole course, rebuilt from its parsed spec ---------------------------------------------


def module_folder(module: ModuleSpec) -> str:
    """`01-foundations`: the numeric prefix keeps the order, the rest is the slug."""
    return f"{module.position:02d}-{module.slug}"


def lesson_file(lesson: LessonSpec) -> str:
    """`02-anatomy-of-an-okr.md`."""
    return f"{lesson.position:02d}-{lesson.slug}.md"


def course_files(spec: CourseSpec) -> dict[str, str]:
    """The Markdown files of a course folder that reads back to `spec` (assets not included).

    Used when a version's original files are not at hand: the content is the same, the
    formatting of front matter and quizzes may differ from what was first written.
    """
    exam = DEFAULT_EXAM_FILE if spec.final_exam else None
    capstone = DEFAULT_CAPSTONE_FILE if spec.capstone else None
    files = {COURSE_FILE: markdown_file({
        "title": spec.title, "summary": spec.summary or None,
        "validity_months": spec.validity_months,
        "certificate_template": spec.certificate_template, "final_exam": exam,
        "sequential": spec.sequential, "capstone": capstone,
        "achievement": spec.achievement or None,
        "signatory": {"name": spec.signatory.name, "title": spec.signatory.title,
                      "signature": f"assets/{spec.signatory.signature}"} if spec.signatory else None,
    }, spec.description_md)}
    for module in spec.modules:
        folder = module_folder(module)
        files[f"{folder}/{MODULE_FILE}"] = markdown_file(
            {"title": module.title, "summary": module.summary or None}, module.intro_md)
        for lesson in module.lessons:
            files[f"{folder}/{lesson_file(lesson)}"] = markdown_file(
                {"title": lesson.title, "minutes": lesson.minutes,
                 "exercise_minutes": lesson.exercise_minutes or None}, lesson.body_md)
        if module.quiz is not None:
            files[f"{folder}/{QUIZ_FILE}"] = quiz_markdown(module.quiz)
    if spec.final_exam is not None and exam:
        files[exam] = quiz_markdown(spec.final_exam)
    if spec.capstone is not None and capstone:
        files[capstone] = capstone_markdown(spec.capstone)
    for translation in spec.translations:
        translated = course_files(translated_spec(spec, translation))
        files.update({_translated_path(path, translation.locale): text
                      for path, text in translated.items()})
    return files


def translated_spec(spec: CourseSpec, translation: TranslationSpec) -> CourseSpec:
    """The course with its text in the translation's language (settings stay the source's)."""
    modules = {m.slug: m for m in translation.modules}
    lessons = {(lesson.module_slug, lesson.slug): lesson for lesson in translation.lessons}
    quizzes = {quiz.key: quiz for quiz in translation.quizzes}
    signatory = replace(spec.signatory, title=translation.signatory_title) \
        if spec.signatory else None
    return replace(
        spec, title=translation.title, summary=translation.summary,
        description_md=translation.description_md, achievement=translation.achievement,
        signatory=signatory, translations=(), capstone=translation.capstone or spec.capstone,
        final_exam=quizzes.get(FINAL_EXAM_KEY, spec.final_exam),
        modules=tuple(replace(
            module, title=modules[module.slug].title, summary=modules[module.slug].summary,
            intro_md=modules[module.slug].intro_md, quiz=quizzes.get(module.slug, module.quiz),
            lessons=tuple(replace(lesson, title=lessons[(module.slug, lesson.slug)].title,
                                  body_md=lessons[(module.slug, lesson.slug)].body_md)
                          for lesson in module.lessons))
            for module in spec.modules))


def _translated_path(path: str, locale: str) -> str:
    folder, _, name = path.rpartition("/")
    name = translated_name(name, locale)
    return f"{folder}/{name}" if folder else name


def capstone_markdown(spec: CapstoneSpec) -> str:
    """A capstone file: settings, the brief, then the rubric's criteria and levels."""
    blocks = [spec.brief_md, "", "# Rubric"]
    for criterion in spec.criteria:
        minimum = f" minimum={criterion.minimum}" if criterion.minimum is not None else ""
        blocks += ["", f"## {criterion.title} {{#{criterion.id}{minimum}}}"]
        if criterion.description_md:
            blocks += [criterion.description_md, ""]
        blocks += [f"- **{level.name}** ({level.points}): {level.descriptor_md}"
                   for level in criterion.levels]
    return markdown_file({"title": spec.title, "minutes": spec.minutes,
                          "pass_mark": spec.pass_mark}, "\n".join(blocks))


__all__ = [
    "DEFAULT_CAPSTONE_FILE", "DEFAULT_EXAM_FILE", "capstone_markdown", "course_files", "format_number", "front_matter",
    "markdown_file", "numeric_answer", "question_markdown", "questions_markdown",
    "quiz_markdown", "quiz_settings", "translated_spec",
]
