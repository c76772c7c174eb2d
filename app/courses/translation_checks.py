"""What a translation must keep from its source: settings, question ids and order, options and
their marks, rubric criteria. Pure functions returning (line, message) findings; the
translation reader turns them into problems of the translated file.

Each function also returns the source with the translation's text put in, so the rest of the
app never reads a translated setting or answer key.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.courses.capstone_spec import CapstoneSpec
from app.courses.frontmatter import FrontMatter
from app.courses.quiz_spec import QuestionSpec, QuizSpec

Finding = tuple[int, str]
#: question kinds a translation may change into each other: a true/false question's options
#: are words ("True", "Wahr") that decide the kind, the marks stay the same
_SAME_KIND = {"true_false": "single"}


def settings_findings(source: FrontMatter, translation: FrontMatter, source_file: str,
                      text_keys: tuple[str, ...]) -> list[Finding]:
    """Front matter: text settings translated, every other value exactly the source's."""
    findings: list[Finding] = []
    for key, value in source.data.items():
        line = translation.key_lines.get(key, 1)
        if key not in translation.data:
            findings.append((1, _missing_setting(key, value, source_file, text_keys)))
        elif key in text_keys:
            findings += _text_findings(key, value, translation.data[key], line)
        elif key == "signatory" and isinstance(value, dict):
            findings += _signatory_findings(value, translation.data[key], source_file, line)
        elif translation.data[key] != value:
            findings.append((line, f"'{key}' is {translation.data[key]!r} here but {value!r} in "
                                   f"{source_file}: a translation keeps the source's settings"))
    for key in translation.data:
        if key not in source.data:
            findings.append((translation.key_lines.get(key, 1),
                             f"'{key}' is not set in {source_file}: a translation has the "
                             "source's settings only"))
    return findings


def _missing_setting(key: str, value: Any, source_file: str, text_keys: tuple[str, ...]) -> str:
    if key in text_keys or key == "signatory":
        return f"'{key}' is missing: translate the {key} of {source_file}"
    return f"'{key}' is missing: copy `{key}: {value}` from {source_file}"


def _text_findings(key: str, source: Any, translated: Any, line: int) -> list[Finding]:
    if str(source or "").strip() and (not isinstance(translated, (str, int, float))
                                      or isinstance(translated, bool)
                                      or not str(translated).strip()):
        return [(line, f"'{key}' is empty: translate it")]
    return []


def _signatory_findings(source: dict, translated: Any, source_file: str,
                        line: int) -> list[Finding]:
    """The signatory's name and signature are the source's; only the title is translated."""
    if not isinstance(translated, dict):
        return [(line, f"'signatory' must give the same name and signature as {source_file} "
                       "and a translated title")]
    findings = [(line, f"the signatory's {key} is {translated.get(key)!r} here but "
                       f"{source.get(key)!r} in {source_file}: only the title is translated")
                for key in sorted(set(source) | set(translated))
                if key != "title" and translated.get(key) != source.get(key)]
    return findings + _text_findings("signatory.title", source.get("title"),
                                     translated.get("title"), line)


def quiz_findings(source: QuizSpec, translation: QuizSpec, source_file: str) -> list[Finding]:
    """Sections and questions: the same ids in the same order; each question the same kind,
    skill, section, number of options, `[x]` marks and numeric answer."""
    findings = _order_findings([s.id for s in source.sections],
                               {s.id: 0 for s in translation.sections}, "section", source_file)
    lines = {q.id: q.line for q in translation.questions}
    findings += _order_findings([q.id for q in source.questions], lines, "question", source_file)
    theirs = {q.id: q for q in translation.questions}
    for question in source.questions:
        if question.id in theirs:
            findings += question_findings(question, theirs[question.id], source_file)
    return findings


def _order_findings(source_ids: list[str], translated: dict[str, int], what: str,
                    source_file: str) -> list[Finding]:
    """Missing, extra and reordered ids (`translated` maps each id to its line, in file order)."""
    findings: list[Finding] = []
    known = set(source_ids)
    for position, item in enumerate(source_ids, start=1):
        if item not in translated:
            findings.append((0, f"{what} '{item}' (number {position} in {source_file}) is "
                                "missing: translate it"))
    for item, line in translated.items():
        if item not in known:
            findings.append((line, f"{what} '{item}' is not in {source_file}: a translation has "
                                   f"the source's {what}s only"))
    ours = [item for item in source_ids if item in translated]
    theirs = [item for item in translated if item in known]
    for position, (expected, found) in enumerate(zip(ours, theirs), start=1):
        if expected != found:
            findings.append((translated[found], f"{what} '{found}' comes where {source_file} has "
                                                f"'{expected}': keep the source's order"))
    return findings


def question_findings(source: QuestionSpec, translation: QuestionSpec,
                      source_file: str) -> list[Finding]:
    """One question against its source (same id)."""
    line, name = translation.line, f"question '{source.id}'"
    findings: list[Finding] = []
    if _SAME_KIND.get(source.kind, source.kind) != _SAME_KIND.get(translation.kind, translation.kind):
        findings.append((line, f"{name} is {_kind_words(translation)} here but "
                               f"{_kind_words(source)} in {source_file}"))
    if source.skill != translation.skill:
        findings.append((line, f"{name} has the skill {_skill(translation.skill)} here but "
                               f"{_skill(source.skill)} in {source_file}: keep its classes"))
    if source.section_id != translation.section_id:
        findings.append((line, f"{name} is in section '{translation.section_id}' here but "
                               f"'{source.section_id}' in {source_file}"))
    if len(source.options) != len(translation.options):
        findings.append((line, f"{name} has {len(translation.options)} options here but "
                               f"{len(source.options)} in {source_file}"))
    elif _marks(source) != _marks(translation):
        findings.append((line, f"{name}: the options marked [x] are {_marks(translation)} here "
                               f"but {_marks(source)} in {source_file}: keep the marks and the "
                               "order of the options"))
    if (source.answer, source.tolerance) != (translation.answer, translation.tolerance):
        findings.append((line, f"{name}: the numeric answer differs from {source_file}: keep "
                               "its accepted value and tolerance"))
    return findings


def _marks(question: QuestionSpec) -> str:
    """The positions of the correct options, in words ("1, 3"; "none")."""
    marked = [str(n) for n, option in enumerate(question.options, start=1) if option.correct]
    return ", ".join(marked) or "none"


def _kind_words(question: QuestionSpec) -> str:
    return {"multiple": "multiple response (`.multiple`)", "numeric": "numeric"}.get(
        question.kind, "single choice")


def _skill(skill: str | None) -> str:
    return f"`.{skill}`" if skill else "none"


def translated_quiz(source: QuizSpec, translation: QuizSpec) -> QuizSpec:
    """The source quiz with the translation's text (title, section titles, stems, options,
    explanations); call only once `quiz_findings` found nothing."""
    sections = {s.id: s.title for s in translation.sections}
    theirs = {q.id: q for q in translation.questions}
    return replace(
        source, title=translation.title,
        sections=tuple(replace(s, title=sections[s.id]) for s in source.sections),
        questions=tuple(_translated_question(q, theirs[q.id]) for q in source.questions))


def _translated_question(source: QuestionSpec, translation: QuestionSpec) -> QuestionSpec:
    options = tuple(replace(option, text_md=text.text_md)
                    for option, text in zip(source.options, translation.options))
    # `line` is the source file's: kept out so a translation does not change when only the
    # source's layout does
    return replace(source, stem_md=translation.stem_md, body_md=translation.body_md,
                   options=options, explanation_md=translation.explanation_md, line=0)


def capstone_findings(source: CapstoneSpec, translation: CapstoneSpec,
                      source_file: str) -> list[Finding]:
    """The rubric: the same criteria in the same order, each with the same minimum and levels
    (count and points)."""
    findings = _order_findings([c.id for c in source.criteria],
                               {c.id: 0 for c in translation.criteria}, "criterion", source_file)
    theirs = {c.id: c for c in translation.criteria}
    for criterion in source.criteria:
        other = theirs.get(criterion.id)
        if other is None:
            continue
        if criterion.minimum != other.minimum:
            findings.append((0, f"criterion '{criterion.id}' has minimum={other.minimum} here but "
                                f"{criterion.minimum} in {source_file}"))
        points = [level.points for level in criterion.levels]
        if points != [level.points for level in other.levels]:
            findings.append((0, f"criterion '{criterion.id}' has the levels "
                                f"{[level.points for level in other.levels]} (points) here but "
                                f"{points} in {source_file}"))
    return findings


def translated_capstone(source: CapstoneSpec, translation: CapstoneSpec) -> CapstoneSpec:
    """The source capstone with the translation's text; call once `capstone_findings` is empty."""
    theirs = {c.id: c for c in translation.criteria}
    criteria = tuple(
        replace(c, title=theirs[c.id].title, description_md=theirs[c.id].description_md,
                levels=tuple(replace(level, name=text.name, descriptor_md=text.descriptor_md)
                             for level, text in zip(c.levels, theirs[c.id].levels)))
        for c in source.criteria)
    return replace(source, title=translation.title, brief_md=translation.brief_md,
                   criteria=criteria)
