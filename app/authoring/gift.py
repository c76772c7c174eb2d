"""Moodle GIFT question banks, turned into our quiz dialect, read as Moodle reads them.

Supported: multiple choice (`{=right ~wrong}`), multiple response (no answer marked `=`, several
with positive weights: `{~%50%a ~%50%b ~%-100%c}`), true/false (`{T}`, `{FALSE#wrong#right}`)
and numeric answers (`{#3.14:0.01}`, `{#1..5}`, several `=` answers, `~` feedback), also as
missing-word questions; the `[html]`, `[moodle]`, `[plain]` and `[markdown]` formats become
Markdown that shows what Moodle shows. Every other GIFT question type (essay, matching, short
answer, descriptions, several answer blocks) is reported with its line, never dropped in silence;
so is anything our dialect cannot keep (partial credit, penalties, per-answer feedback, HTML it
cannot show). Errors mean a question was not converted; warnings mean it was, with the
simplification they describe. The work is split between :mod:`app.authoring.gift_syntax`
(blocks, escapes, weights), :mod:`app.authoring.gift_text` and :mod:`app.authoring.gift_markdown`
(formats, Markdown), :mod:`app.authoring.gift_questions` and :mod:`app.authoring.gift_numeric`
(one question) and :mod:`app.authoring.gift_writing` (our dialect); it grows linearly with the
file, whose size is capped by `MAX_GIFT_BYTES`.
"""
from __future__ import annotations

from app.authoring.errors import GiftTooLarge
from app.authoring.gift_questions import GiftQuestion, read_question
from app.authoring.gift_syntax import GiftProblem, GiftSkip, Severity, split_blocks
from app.authoring.gift_writing import (
    GiftConversion, QuestionIds, question_spec, write_conversion,
)
from flask_babel import lazy_gettext as _l

from app.courses.quiz_spec import QuestionSpec

#: the largest GIFT file converted, in UTF-8 bytes (a thousand typical questions take ~170 kB)
MAX_GIFT_BYTES = 512 * 1024
#: the most questions converted at once (far more than one quiz needs)
MAX_GIFT_QUESTIONS = 5000
#: why a file over `MAX_GIFT_BYTES` is refused, a sentence for the trainer
GIFT_TOO_LARGE = _l("The GIFT file is larger than %(size)d kB: split the question bank into "
                    "several files and import them one by one.", size=MAX_GIFT_BYTES // 1024)


def convert_gift(text: str, *, title: str = "Imported questions",
                 existing_ids: set[str] | None = None) -> GiftConversion:
    """Convert a GIFT file; every question that cannot be converted is reported, never lost.

    :param existing_ids: question ids already used in the quiz the questions will join
    :raises GiftTooLarge: the text is over `MAX_GIFT_BYTES` (as UTF-8) or holds more than
        `MAX_GIFT_QUESTIONS` questions; nothing is converted.
    """
    if len(text) > MAX_GIFT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_GIFT_BYTES:
        raise GiftTooLarge(GIFT_TOO_LARGE)
    blocks, problems = split_blocks(text)
    if len(blocks) > MAX_GIFT_QUESTIONS:
        raise GiftTooLarge(_l("The GIFT file holds %(count)d questions; at most %(limit)d are "
                              "converted at once: split the question bank into several files "
                              "and import them one by one.", count=len(blocks),
                              limit=MAX_GIFT_QUESTIONS))
    questions: list[tuple[GiftQuestion, QuestionSpec]] = []
    ids = QuestionIds(existing_ids)
    for number, block in enumerate(blocks, start=1):
        try:
            question = read_question(block)
        except GiftSkip as skip:
            problems.append(skip.problem)
            continue
        problems += question.warnings
        questions.append((question, question_spec(question, ids.assign(question, number))))
    return write_conversion(title, questions, problems)


__all__ = [
    "GIFT_TOO_LARGE", "MAX_GIFT_BYTES", "MAX_GIFT_QUESTIONS", "GiftConversion", "GiftProblem",
    "GiftTooLarge", "Severity", "convert_gift",
]
