"""Moodle GIFT import: every supported question type, every reported problem, and the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from app.authoring.gift import MAX_GIFT_BYTES, MAX_GIFT_QUESTIONS, GiftTooLarge, convert_gift
from app.courses.quiz_parser import parse_quiz

GIFT = Path(__file__).parent / "fixtures" / "gift"


def converted(text: str, **kwargs):
    """Convert and check that the result reads back through our own quiz parser."""
    conversion = convert_gift(text, **kwargs)
    if conversion.converted:
        spec, problems = parse_quiz(conversion.markdown, key="quiz")
        assert problems == [], conversion.markdown
        return conversion, spec
    return conversion, None


def messages(conversion, severity=None):
    return [(p.line, p.message) for p in conversion.problems
            if severity is None or p.severity == severity]


# --- supported types --------------------------------------------------------------------------


def test_multiple_choice_with_one_right_answer():
    conversion, spec = converted("::Pick::Which comes first?{=Objective ~Key result ~Initiative}")
    (question,) = spec.questions
    assert (question.id, question.kind, question.stem_md) == ("pick", "single", "Which comes first?")
    assert [(o.text_md, o.correct) for o in question.options] == [
        ("Objective", True), ("Key result", False), ("Initiative", False)]
    assert conversion.problems == ()


def test_multiple_response_with_weights_becomes_partial_scoring():
    conversion, spec = converted(
        "Which are outcomes?{~%50%Conversion up ~%50%Churn down ~%-100%Page launched}")
    (question,) = spec.questions
    assert question.kind == "multiple"
    assert [o.correct for o in question.options] == [True, True, False]
    assert spec.scoring == "partial"
    assert conversion.warnings == ()


def test_unequal_weights_are_kept_as_right_answers_with_a_warning():
    conversion, spec = converted("Pick.{~%25%a ~%75%b ~%0%c}")
    assert [o.correct for o in spec.questions[0].options] == [True, True, False]
    assert messages(conversion, "warning") == [
        (1, "unequal weights (25%, 75%) become equal shares under partial scoring")]


@pytest.mark.parametrize("answer, truth", [("T", True), ("TRUE", True), ("F", False),
                                           ("false", False)])
def test_true_false(answer, truth):
    _, spec = converted(f"OKRs are a to-do list.{{{answer}}}")
    question = spec.questions[0]
    assert question.kind == "true_false"
    assert [(o.text_md, o.correct) for o in question.options] == [("True", truth),
                                                                  ("False", not truth)]


def test_true_false_keeps_the_feedback_for_the_right_answer():
    conversion, spec = converted("Pay is tied to OKRs.{F#Not quite.#Right: keep them apart.}")
    assert spec.questions[0].explanation_md == "Right: keep them apart."
    assert messages(conversion, "warning") == [
        (1, "1 answer-specific feedback text(s) dropped: a quiz question has one explanation")]


@pytest.mark.parametrize("answer, value, tolerance", [
    ("#0.75:0.01", 0.75, 0.01), ("#42", 42, 0), ("#10..14", 12, 2), ("#0.1..0.4", 0.25, 0.15),
    ("#=1822:0 =%50%1822:2", 1822, 0),
])
def test_numeric_with_tolerance_and_ranges(answer, value, tolerance):
    _, spec = converted(f"A number?{{{answer}}}")
    question = spec.questions[0]
    assert question.kind == "numeric"
    assert (question.answer, question.tolerance) == (pytest.approx(value), pytest.approx(tolerance))


def test_numeric_partial_answers_are_reported():
    conversion, _ = converted("Born?{#=1822:0 =%50%1822:2}")
    assert messages(conversion, "warning") == [(1, "partial credit for '1822:2' (50%) is dropped")]


def test_missing_word_questions_get_a_blank():
    _, spec = converted("Google adopted OKRs in {~1989 =1999} after a talk.")
    assert spec.questions[0].stem_md == "Google adopted OKRs in _____ after a talk."


def test_general_feedback_becomes_the_explanation():
    _, spec = converted("Q?{=a ~b ####Because a.}")
    assert spec.questions[0].explanation_md == "Because a."


def test_escapes_formats_and_comments():
    text = "// a comment\n::Esc::[markdown]What does \\= mean\\? {=It marks \\{right\\} ~Nothing}"
    conversion, spec = converted(text)
    question = spec.questions[0]
    # `\?` is no GIFT escape: Moodle keeps the backslash, and Markdown shows "?"
    assert question.stem_md == "What does = mean\\?"
    assert question.options[0].text_md == "It marks {right}"
    assert conversion.problems == ()


def test_html_questions_keep_their_emphasis_as_markdown():
    conversion, spec = converted("[html]<p>What is <b>an OKR</b>?</p>{=A goal ~A KPI}")
    assert spec.questions[0].stem_md == "What is **an OKR**?"
    assert conversion.problems == ()


def test_ids_come_from_names_and_stay_unique():
    text = "::Same::One?{T}\n\n::Same::Two?{F}\n\nThree?{T}"
    _, spec = converted(text, existing_ids={"question-3"})
    assert [q.id for q in spec.questions] == ["same", "same-2", "question-3-2"]


def test_the_whole_supported_fixture_converts():
    conversion, spec = converted((GIFT / "supported.gift").read_text())
    assert conversion.converted == 7 and conversion.errors == ()
    assert [q.kind for q in spec.questions] == ["single", "multiple", "true_false", "numeric",
                                                "numeric", "single", "single"]
    assert (2, "category '$course$/OKR basics' ignored: the questions go into this quiz") in \
        messages(conversion, "warning")


def test_single_choice_partial_credit_is_dropped_with_a_warning():
    conversion, spec = converted("Q?{=a ~%50%b ~c}")
    assert [o.correct for o in spec.questions[0].options] == [True, False, False]
    assert messages(conversion, "warning") == [
        (1, "partial credit for 'b' (50%) is dropped: it becomes a wrong answer")]


def test_several_fully_right_answers_become_select_all_with_a_warning():
    conversion, spec = converted("Q?{=a =b ~c}")
    assert spec.questions[0].kind == "multiple"
    assert "any one scores full marks in Moodle" in conversion.warnings[0].message


# --- unsupported types and errors -------------------------------------------------------------


def test_unsupported_types_are_reported_with_their_lines():
    conversion, spec = converted((GIFT / "unsupported.gift").read_text())
    assert messages(conversion, "error") == [
        (2, "essay questions (an empty answer block {}) are not supported"),
        (4, "matching questions (=item -> match) are not supported"),
        (9, "short answer questions ({=answer}) are not supported: learners would type free text"),
        (11, "a description (text without an answer block {...}) is not a question: not imported"),
    ]
    assert conversion.converted == 1 and spec.questions[0].id == "good-one"


def test_syntax_errors_are_reported_with_their_lines():
    conversion, _ = converted((GIFT / "broken.gift").read_text())
    assert conversion.converted == 0
    assert messages(conversion, "error") == [
        (1, "the answer block is not closed: add } (a blank line ends a question)"),
        (5, "the question has no correct answer: mark one with = or give it a positive weight "
            "such as ~%50%"),
        (7, "the weight in '%fifty%a' must be a percentage such as %50% or %-100%"),
        (9, "'three:0.1' is not a number, a number:tolerance or a min..max range"),
        (11, "the range 5..1 runs backwards: write min..max"),
    ]
    assert conversion.markdown == ""


@pytest.mark.parametrize("text, message", [
    ("Q?{~%100%a}", "a choice question needs at least 2 answers"),
    ("Q?{=a ~a}", "the answer 'a' appears twice"),
    ("Q?{=a ~}", "an answer has no text"),
    ("Q?{~%150%a ~b}", "the weight 150% must be between -100% and 100%"),
    ("Q?{maybe}", "short answer questions ({=answer}) are not supported: learners would type "
                  "free text"),
    ("Q?{#=1:0 =2:0}", "the fully right numeric answers '1:0' and '2:0' do not overlap: our "
                       "quizzes accept one value with a tolerance, keep one of them"),
    ("Q?{#=%50%1}", "the numeric question has no answer worth 100%"),
    ("Q?{#1:-1}", "the tolerance in 1:-1 must be 0 or more"),
    ("Q?{#1e999999999..2e999999999}", "'1e999999999..2e999999999' is not a number, a "
                                      "number:tolerance or a min..max range"),
    ("Q?{=a ~b} and {=c ~d}", "several answer blocks in one question (embedded answers) are not "
                              "supported"),
    ("::Name Q?{=a ~b}", "the question name is not closed: write ::Name:: before the question text"),
    ("{=a ~b}", "the question has no text"),
])
def test_each_reported_error(text, message):
    conversion, _ = converted(text)
    assert messages(conversion, "error") == [(1, message)]


def test_lines_are_file_lines_even_with_comments_inside_a_question():
    conversion, _ = converted("Q?\n// a note\n{=a\n~%fifty%b}")
    assert messages(conversion, "error") == [
        (4, "the weight in '%fifty%b' must be a percentage such as %50% or %-100%")]


@pytest.mark.parametrize("text, message", [  # Markdown text is kept as written: it is checked
    ("[markdown]Q?\n## Heading \\{#other\\}\n{T}", "the line '## Heading {#other}' of the question text "
                                          "would start a new question or section in a quiz"),
    ("[markdown]Q?\n# Part\n{T}", "the line '# Part' of the question text would start a new question"),
    ("[markdown]Q?\n```\n## inside\n{T}", "the question text opens a code block (```) that it does not "
                                 "close"),
])
def test_question_text_that_would_change_the_quiz_around_it_is_refused(text, message):
    conversion, _ = converted(text + "\n\nFine?{T}")
    assert conversion.converted == 1
    assert [(p.line, p.severity) for p in conversion.errors] == [(1, "error")]
    assert conversion.errors[0].message.startswith(f"not imported: {message}")


def test_a_closed_code_block_in_the_question_text_is_kept():
    _, spec = converted("[markdown]Run this?\n```\n## not a heading\n```\n{T}")
    assert spec.questions[0].body_md == "```\n## not a heading\n```"


def test_braces_and_hashes_in_a_question_name_do_not_become_its_id():
    _, spec = converted("::Ids::Is \\{#this\\} an id?{T}")
    assert spec.questions[0].id == "ids"
    assert spec.questions[0].stem_md == "Is {\\#this} an id?"  # Markdown shows `{#this}`


def test_a_file_over_the_size_cap_is_refused_with_a_sentence():
    with pytest.raises(GiftTooLarge, match="larger than 512 kB: split the question bank") as error:
        convert_gift("Q?{T}\n\n" + "x" * MAX_GIFT_BYTES)
    assert error.value.status_code == 413
    with pytest.raises(GiftTooLarge):  # the cap counts UTF-8 bytes, not characters
        convert_gift("Q?{T}\n\n" + "é" * (MAX_GIFT_BYTES // 2))


def test_a_file_of_too_many_questions_is_refused():
    with pytest.raises(GiftTooLarge, match=f"at most {MAX_GIFT_QUESTIONS} are converted"):
        convert_gift("Q?{T}\n\n" * (MAX_GIFT_QUESTIONS + 1))
    assert convert_gift("Q?{T}\n\n" * MAX_GIFT_QUESTIONS).converted == MAX_GIFT_QUESTIONS


def test_an_option_our_parser_refuses_is_reported_not_written():
    # "True" and "true" differ for Moodle but are the same option for our quizzes.
    conversion, _ = converted("Q?{=True ~true}")
    assert conversion.converted == 0
    assert conversion.errors[0].message == "the answer 'true' appears twice"


# --- the command ------------------------------------------------------------------------------


def test_cli_writes_the_quiz(runner, tmp_path):
    out = tmp_path / "quiz.md"
    result = runner.invoke(args=["courses", "import-gift", str(GIFT / "supported.gift"),
                                 "--out", str(out), "--title", "OKR basics"])
    assert result.exit_code == 0, result.output
    spec, problems = parse_quiz(out.read_text(), key="quiz")
    assert problems == [] and spec.title == "OKR basics" and len(spec.questions) == 7
    assert "supported.gift:2: warning: category" in result.output


def test_cli_refuses_unsupported_questions_unless_told(runner, tmp_path):
    out = tmp_path / "quiz.md"
    source = str(GIFT / "unsupported.gift")
    result = runner.invoke(args=["courses", "import-gift", source, "--out", str(out)])
    assert result.exit_code == 1
    assert f"{source}:4: error: matching questions" in result.output
    assert "nothing was written" in result.output and not out.exists()
    result = runner.invoke(args=["courses", "import-gift", source, "--out", str(out),
                                 "--skip-unsupported"])
    assert result.exit_code == 0 and "good-one" in out.read_text()


def test_cli_prints_to_stdout_and_reports_syntax_errors(runner):
    result = runner.invoke(args=["courses", "import-gift", str(GIFT / "broken.gift")])
    assert result.exit_code == 1 and "broken.gift:11: error: the range 5..1" in result.output
    ok = runner.invoke(args=["courses", "import-gift", str(GIFT / "supported.gift")])
    assert ok.exit_code == 0 and ok.output.count("\n## ") >= 7 and "title: Supported" in ok.output


def test_cli_refuses_a_file_over_the_size_cap(runner, tmp_path):
    path = tmp_path / "huge.gift"
    path.write_text("Q?{T}\n\n" + "x" * MAX_GIFT_BYTES)
    result = runner.invoke(args=["courses", "import-gift", str(path)])
    assert result.exit_code == 1 and "larger than 512 kB" in result.output


def test_cli_refuses_a_file_that_is_not_utf8(runner, tmp_path):
    path = tmp_path / "latin1.gift"
    path.write_bytes("Qu\xe9?{T}".encode("latin-1"))
    result = runner.invoke(args=["courses", "import-gift", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="<&\n\r",
                                      blacklist_categories=("Cs",)), max_size=60),
       st.booleans())
def test_text_with_nothing_to_interpret_takes_the_plain_path_with_the_same_result(text, newlines):
    # html_lines returns early for such text; the full scanner must agree with it
    from app.authoring import gift_markdown

    full = gift_markdown.html_lines(text + "<b></b>", newlines=newlines)[0]
    assert gift_markdown.html_lines(text, newlines=newlines) == (gift_markdown.plain_lines(text),
                                                                 set())
    assert " ".join(full).strip() == " ".join(gift_markdown.plain_lines(text)).strip()


def _find_unescaped_by_walking(text: str, token: str, start: int = 0) -> int:
    """The plain definition: walk the text, skipping each backslash and what it escapes."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(token, index):
            return index
        index += 1
    return -1


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab\\~#:{}=->", max_size=30),
       st.sampled_from(["~", "#", "::", "{", "}", "=", "->", "####"]), st.integers(0, 5))
def test_finding_an_unescaped_token_agrees_with_walking_the_text(text, token, start):
    from app.authoring.gift_syntax import find_unescaped

    assert find_unescaped(text, token, start) == _find_unescaped_by_walking(text, token, start)
