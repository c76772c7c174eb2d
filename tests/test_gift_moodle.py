"""Moodle GIFT read as Moodle reads it: every construct of its documentation, its four text
formats, its rule for multiple answers and its numeric answers, and Markdown that shows what
Moodle shows."""
from __future__ import annotations

import html
from pathlib import Path

import pytest

from app.authoring.gift import convert_gift
from app.courses.markdown import render_inline_markdown, render_markdown
from app.courses.quiz_parser import parse_quiz

GIFT = Path(__file__).parent / "fixtures" / "gift"


def convert(text: str):
    """The conversion and the quiz it reads back as (through our own quiz parser)."""
    conversion = convert_gift(text)
    spec = None
    if conversion.converted:
        spec, problems = parse_quiz(conversion.markdown, key="quiz")
        assert problems == [], conversion.markdown
    return conversion, spec


def question(text: str):
    """The one question `text` converts to."""
    conversion, spec = convert(text)
    assert spec is not None, conversion.problems
    (only,) = spec.questions
    return only


def problems(conversion, severity=None):
    return [(p.line, p.message) for p in conversion.problems
            if severity is None or p.severity == severity]


def shown(markdown: str) -> str:
    """What a learner reads: the rendered HTML's text."""
    rendered = render_inline_markdown(markdown)
    assert "<" not in rendered.replace("&lt;", ""), rendered  # no element: text only
    return html.unescape(rendered)


# --- the documentation's constructs, in banks of our own --------------------------------------

CONSTRUCTS = """\
## Which of these is an objective? {#objective-or-kr}
- [x] Delight our first customers
- [ ] Raise NPS from 20 to 40
- [ ] Ship the new onboarding

> Right: it says where we want to be.

## Company OKRs are usually set every _____ by the leadership team. {#cadence-gap}
- [ ] week
- [x] quarter
- [ ] decade

## Which key results measure outcomes? {#outcomes}
- [x] Churn below 2%
- [x] Trial conversion at 6%
- [ ] Pricing page launched

## Which colour lies between orange and green? {#penalised-guess .multiple}
- [x] yellow
- [ ] red
- [ ] blue

## Who first wrote about OKRs? {#partial-credit}
- [x] Andy Grove
- [ ] John Doerr
- [ ] Peter Drucker

> Grove described them in High Output Management.

## Committed OKRs are expected to reach 1.0. {#stretch}
- [x] True
- [ ] False

## Aspirational OKRs are expected to reach 1.0. {#aspirational}
- [ ] True
- [x] False

> Right: about 0.7 is a good score.

## Setting easy goals on purpose is called sandbagging. {#sandbagging}
- [x] True
- [ ] False

> Sandbagging hides what a team could do.

## A key result went from 0 to 60 of 80. What is its score? {#score}
= 0.75 ± 0.01

## How many people should share one objective? Any number from 1 to 5 is fine. {#team-size}
= 3 ± 2

## In which year was Intel founded? {#founding-year}
= 1968

> Right.

## What is 1 + 2, give or take 2? {#wrong-answers}
= 3 ± 2

## Pick a number from 1 to 10. {#ranges-that-join}
= 5.5 ± 4.5

> Any number from 1 to 10.
"""

FEEDBACK_DROPPED = "answer-specific feedback text(s) dropped: a quiz question has one explanation"


def test_every_construct_of_the_documentation_converts_or_is_reported_at_its_line():
    conversion, spec = convert((GIFT / "moodle_constructs.gift").read_text())
    assert conversion.questions_markdown == CONSTRUCTS
    assert [(p.line, p.severity, p.message) for p in conversion.problems] == [
        (3, "warning", "category '$course$/OKR basics/Imported' ignored: the questions go into "
                       "this quiz"),
        (5, "warning", f"2 {FEEDBACK_DROPPED}"),
        (22, "warning", f"3 {FEEDBACK_DROPPED}"),
        (24, "warning", "partial credit for 'John Doerr' (50%) is dropped: it becomes a wrong "
                        "answer"),
        (31, "warning", f"1 {FEEDBACK_DROPPED}"),
        (33, "warning", f"2 {FEEDBACK_DROPPED}"),
        (39, "warning", f"1 {FEEDBACK_DROPPED}"),
        (41, "warning", "partial credit for '1968:2' (50%) is dropped"),
        (44, "warning", f"1 {FEEDBACK_DROPPED}"),
        (48, "error", "short answer questions ({=answer}) are not supported: learners would "
                      "type free text"),
        (50, "error", "matching questions (=item -> match) are not supported"),
        (55, "error", "essay questions (an empty answer block {}) are not supported"),
        (57, "error", "essay questions (an empty answer block {}) are not supported"),
        (59, "error", "a description (text without an answer block {...}) is not a question: "
                      "not imported"),
        (61, "error", "the fully right numeric answers '2:0' and '3:0' do not overlap: our "
                      "quizzes accept one value with a tolerance, keep one of them"),
    ]
    assert [q.kind for q in spec.questions] == ["single", "single", "multiple", "multiple",
                                                "single", "true_false", "true_false",
                                                "true_false"] + ["numeric"] * 5
    assert spec.scoring == "partial"


FORMATS = """\
## Which sign marks a right answer in GIFT: = or \\~? {#escapes}
- [x] \\= (equals)
- [ ] \\~ (tilde)
- [ ] \\# (hash)
- [ ] { } (braces)

> Right: = marks it.

## Which character escapes the others? {#backslash}
- [x] \\\\
- [ ] /
- [ ] C:\\\\Users

## First line {#line-break}
second line

- [x] True
- [ ] False

## Which product is 24? {#markdown-signs}
- [x] 2\\*3\\*4
- [ ] 2_3_4
- [ ] \\[4](x)
- [ ] \\`4\\`
- [ ] **4**
- [ ] &4

## Read this: {#not-blocks}
\\- not a list
1\\. not a list either
\\# not a heading
\\= not an answer
\\> not a quote

- [x] True
- [ ] False

## What is **an OKR**? {#html}
Pick the *best* answer & explain.

- [x] A *goal* with measurable results
- [ ] A KPI

> See the guide.

## Which chart shows **progress**? x2 {#html-images}
- [x] True
- [ ] False

## Moodle's auto-format keeps **tags** {#moodle-format}
and line breaks.

- [x] True
- [ ] False

## Without a marker, *tags* count as in \\[moodle]. {#default-format}
- [x] True
- [ ] False

## Shown as written: \\<b>not bold\\</b> \\&amp; \\*not italic\\* {#plain}
- [x] True
- [ ] False

## Who is buried in **Grant's tomb**? {#markdown}
- nobody
- Grant

- [x] no one
- [ ] Grant

## Which answer keeps its tags as text? {#per-answer}
- [ ] *html*
- [x] \\<i>plain\\</i>
- [ ] *markdown*

## Pick **one**. {#feedback-formats}
- [x] \\<one>
- [ ] two

> 2 < 3

## \\[note] A marker Moodle does not know stays text. {#unknown-format}
- [x] True
- [ ] False
"""


def test_every_escape_and_format_converts_to_markdown():
    conversion, spec = convert((GIFT / "moodle_formats.gift").read_text())
    assert conversion.questions_markdown == FORMATS
    assert problems(conversion) == [
        (19, f"1 {FEEDBACK_DROPPED}"),
        (19, "HTML the quiz cannot show was removed: <a> (check the text)"),
        (26, "HTML the quiz cannot show was removed: <img>, <sup> (check the text)"),
        (39, f"2 {FEEDBACK_DROPPED}"),
    ]
    assert conversion.converted == 14 and conversion.errors == ()


def test_the_formats_render_as_moodle_shows_them():
    _, spec = convert((GIFT / "moodle_formats.gift").read_text())
    by_id = {q.id: q for q in spec.questions}
    assert shown(by_id["escapes"].stem_md) == "Which sign marks a right answer in GIFT: = or ~?"
    assert [shown(o.text_md) for o in by_id["escapes"].options] == [
        "= (equals)", "~ (tilde)", "# (hash)", "{ } (braces)"]
    assert [shown(o.text_md) for o in by_id["backslash"].options] == ["\\", "/", "C:\\Users"]
    assert [render_inline_markdown(o.text_md) for o in by_id["markdown-signs"].options] == [
        "2*3*4", "2_3_4", "[4](x)", "`4`", "<strong>4</strong>", "&amp;4"]
    assert render_markdown(by_id["not-blocks"].body_md) == (
        "<p>- not a list\n1. not a list either\n# not a heading\n= not an answer\n"
        "&gt; not a quote</p>\n")
    assert render_inline_markdown(by_id["html"].stem_md) == "What is <strong>an OKR</strong>?"
    assert render_markdown(by_id["html"].body_md) == \
        "<p>Pick the <em>best</em> answer &amp; explain.</p>\n"
    assert shown(by_id["plain"].stem_md) == \
        "Shown as written: <b>not bold</b> &amp; *not italic*"
    assert render_markdown(by_id["markdown"].body_md) == \
        "<ul>\n<li>nobody</li>\n<li>Grant</li>\n</ul>\n"
    assert render_markdown(by_id["feedback-formats"].explanation_md) == "<p>2 &lt; 3</p>\n"


# --- numeric answers --------------------------------------------------------------------------


@pytest.mark.parametrize("answers, value, tolerance", [
    ("#3:2~#Completely wrong", 3, 2),          # ~ gives the feedback for any other answer
    ("#3:2 ~ #Completely wrong", 3, 2),
    ("#=%100%3:0 =%50%3:1", 3, 0),             # partial credit dropped
    ("#=%50%3:1 =%100%3:0", 3, 0),
    ("#1..5", 3, 2),
    ("#-5..-1", -3, 2),
    ("#=1..3 =2..5", 3, 2),                    # fully right answers that overlap join
    ("#=1:1 =3:1 =%25%0..10", 2, 2),           # ... or touch
    ("#42", 42, 0),
    ("#=%100%0,5", 0.5, 0),
])
def test_numeric_answers_keep_every_fully_right_value(answers, value, tolerance):
    converted = question(f"A number?{{{answers}}}")
    assert converted.kind == "numeric"
    assert (converted.answer, converted.tolerance) == (pytest.approx(value),
                                                       pytest.approx(tolerance))


def test_numeric_notes_name_the_line_of_each_dropped_answer():
    text = ("::Born::When was Grant born?{#\n  =1822:0#Right.\n  =%50%1822:2#Close.\n"
            "  =%25%1822:5#Not far.\n  ~#Look it up.\n}")
    conversion, spec = convert(text)
    assert spec.questions[0].explanation_md == "Right."
    assert problems(conversion) == [
        (1, f"3 {FEEDBACK_DROPPED}"),
        (3, "partial credit for '1822:2' (50%) is dropped"),
        (4, "partial credit for '1822:5' (25%) is dropped"),
    ]


def test_feedback_for_wrong_answers_never_becomes_the_explanation():
    conversion, spec = convert("What is 1 + 2?{#3:2~#Completely wrong}\n\n"
                               "Pay follows OKRs.{F#Not quite.}")
    assert [q.explanation_md for q in spec.questions] == ["", ""]
    assert problems(conversion) == [(1, f"1 {FEEDBACK_DROPPED}"), (3, f"1 {FEEDBACK_DROPPED}")]


@pytest.mark.parametrize("answers, message", [
    ("#", "the numeric question has no answer: write {#42}, {#3.14:0.01} or {#1..5}"),
    ("#~#wrong", "the numeric question has no answer: write {#42}, {#3.14:0.01} or {#1..5}"),
    ("#=%50%1 ~#wrong", "the numeric question has no answer worth 100%"),
    ("#1..2..3", "'1..2..3' is not a number, a number:tolerance or a min..max range"),
    ("#1e400", "'1e400' is not a number, a number:tolerance or a min..max range"),
    ("#=1:0 =1.5:0.1", "the fully right numeric answers '1:0' and '1.5:0.1' do not overlap: our "
                       "quizzes accept one value with a tolerance, keep one of them"),
])
def test_numeric_answers_our_quizzes_cannot_hold_are_reported(answers, message):
    conversion, _ = convert(f"A number?{{{answers}}}")
    assert problems(conversion, "error") == [(1, message)]


# --- single or multiple answers, as Moodle decides ----------------------------------------------


@pytest.mark.parametrize("answers, kind, correct, notes", [
    ("~%50%a ~%50%b ~c", "multiple", [True, True, False], []),
    ("~%50%a ~%50%b ~%-100%c", "multiple", [True, True, False], []),
    ("~%100%yellow ~%-50%red ~%-50%blue", "multiple", [True, False, False], []),
    ("~%100%a ~b", "multiple", [True, False], []),
    ("~%100%a ~%50%b ~c", "multiple", [True, True, False], [
        "unequal weights (50%, 100%) become equal shares under partial scoring",
        "the right answers' weights add up to 150%, not 100%"]),
    ("=a ~%50%b ~%-50%c", "single", [True, False, False], [
        "partial credit for 'b' (50%) is dropped: it becomes a wrong answer",
        "negative weights (penalties) are dropped: a wrong answer scores 0"]),
    ("~%50%a =b ~%50%c", "single", [False, True, False], [
        "partial credit for 'a' (50%) is dropped: it becomes a wrong answer",
        "partial credit for 'c' (50%) is dropped: it becomes a wrong answer"]),
])
def test_a_question_is_multiple_answer_when_no_answer_is_marked_equals(answers, kind, correct,
                                                                       notes):
    conversion, spec = convert(f"Pick.{{{answers}}}")
    converted = spec.questions[0]
    assert (converted.kind, [o.correct for o in converted.options]) == (kind, correct)
    assert [message for _, message in problems(conversion)] == notes


def test_text_before_the_first_answer_is_an_answer_as_in_moodle():
    conversion, spec = convert("Pick.{junk =a ~b}")
    assert [(o.text_md, o.correct) for o in spec.questions[0].options] == [
        ("junk", False), ("a", True), ("b", False)]
    assert problems(conversion) == [(1, "the text 'junk' before the first answer is read as a "
                                        "wrong answer, as Moodle does: start each answer with = "
                                        "or ~")]


def test_true_false_feedback_comes_wrong_first_then_right_and_general_feedback_is_the_last():
    assert question("Q?{T#Wrong: it is true.#Right.}").explanation_md == "Right."
    assert question("Q?{TRUE#a#b#c}").explanation_md == "b#c"
    assert question("Q?{=a ~b #####General.}").explanation_md == "General."


# --- formats and Markdown ---------------------------------------------------------------------


def test_format_markers_are_read_never_kept_as_text():
    converted = question("Pick.{~[plain]blue =[html]<i>yellow</i> ~[markdown]**red** "
                         "~[moodle]green ~%0%[plain]grey}")
    assert [o.text_md for o in converted.options] == ["blue", "*yellow*", "**red**", "green",
                                                      "grey"]
    assert question("[HTML]<b>Loud</b>?{T}").stem_md == "**Loud**?"
    # feedback without a marker takes the question text's format; a marker overrides it
    assert question("[html]Q?{T####<b>why</b>}").explanation_md == "**why**"
    assert question("[plain]Q?{T####<b>why</b>}").explanation_md == "\\<b>why\\</b>"
    assert question("Q?{T#[html]<b>No</b>#[plain]<yes>}").explanation_md == "\\<yes>"
    assert question("[html]Q?{#1#<i>exact</i>}").explanation_md == "*exact*"


@pytest.mark.parametrize("source, stem", [
    ("<b>word</b>.", "**word**."),
    ("a<b> bold </b>b", "a **bold** b"),
    ("<b></b>empty", "empty"),
    ("<b>open", "**open**"),
    ("<i><b>both</b></i>", "***both***"),
    ("<b>x<i>y</b>z</i>", "**x*y***z"),
    ("<B>upper</B> <strong>strong</strong> <em>em</em>", "**upper** **strong** *em*"),
    ("caf&eacute; &lt;b&gt; &#169; &amp;amp;", "café \\<b> © \\&amp;"),
    ("<script>alert(1)</script>safe<style>p \\{ color: red \\}</style>", "safe"),
    ("a<!-- note -->b", "ab"),
    ("x < y and y > z, 1<2", "x < y and y > z, 1<2"),
    ("<unknown>tag</unknown>", "\\<unknown>tag\\</unknown>"),
    ("<span style\\=\"color\\:red\">red</span> <u>under</u>", "red under"),
    ("a&nbsp;b", "a b"),
])
def test_html_becomes_markdown(source, stem):
    converted = question(f"[html]{source}{{T}}")
    assert (converted.stem_md, converted.body_md) == (stem, "")


def test_html_blocks_become_lines_and_other_tags_are_named():
    conversion, spec = convert("[html]<p>Which is right?</p><ul><li>one</li><li>- two</li></ul>"
                               "H<sub>2</sub>O<br/>end{T}")
    converted = spec.questions[0]
    assert (converted.stem_md, converted.body_md) == ("Which is right?", "one\n\\- two\nH2O\nend")
    assert problems(conversion) == [
        (1, "HTML the quiz cannot show was removed: <sub> (check the text)")]


def test_line_breaks_are_kept_in_moodle_and_plain_text_not_in_html():
    assert [(q.stem_md, q.body_md) for q in convert(
        "[html]one\ntwo\\nthree{T}\n\n[moodle]one\ntwo{T}\n\n[plain]one\\ntwo{T}")[1].questions
    ] == [("one two three", ""), ("one", "two"), ("one", "two")]


@pytest.mark.parametrize("text", [
    "2*3*4", "snake_case_name", "__init__", "*not* _emphasis_", "[link](http://x.org)",
    "![image](x.png)", "`code`", "~~struck~~", "a | b", "<http://example.org>",
    "&copy; &#169;", "\\ backslash", "C:\\Users", "#1 rule", "100% sure", "x<y>z",
])
def test_plain_text_shows_exactly_as_written(text):
    gift = "".join(f"\\{char}" if char in "\\~=#{}:" else char for char in text)  # Moodle's export
    assert shown(question(f"[plain]{gift}{{T}}").stem_md) == text
    assert shown(question(f"Pick.{{=[plain]{gift} ~other}}").options[0].text_md) == text


@pytest.mark.parametrize("line", [
    "- item", "+ item", "* item", "1. item", "2) item", "# heading", "### heading", "> quote",
    "= 5", "---", "***", "___", "```", "~~~", "| a | b |", "- [x] option",
])
def test_text_lines_never_become_markdown_blocks(line):
    gift = line.replace("#", "\\#").replace("=", "\\=").replace("~", "\\~")
    converted = question(f"Question\\n{gift}\\nnext line{{T}}")
    rendered = render_markdown(converted.body_md)
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n") \
        and rendered.count("<p>") == 1, rendered
    assert html.unescape(rendered[3:-5]) == f"{line}\nnext line"


def test_missing_word_text_on_both_sides_in_every_format():
    assert question("[html]Grant is {~alive =buried} in <b>his</b> tomb.").stem_md == \
        "Grant is _____ in **his** tomb."
    assert question("{=Grant ~Nobody} is buried here.").stem_md == "_____ is buried here."
    converted = question("Fill\n{=a ~b}\n.")
    assert converted.stem_md == "Fill _____ ."
    assert shown(converted.stem_md) == "Fill _____ ."
