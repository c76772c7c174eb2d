"""`flask courses validate`: every problem, as `course/file:line: message`, in one pass."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from app.courses.validation import Problem, validate_course, validate_courses_root

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = FIXTURES / "courses" / "example-course"
MANY_PROBLEMS = FIXTURES / "broken" / "many-problems"

QUIZ_SETTINGS = ("title, pass_mark, max_attempts, cooldown_minutes, time_limit_minutes, draw, "
                 "shuffle, feedback, scoring, section_pass_mark")
COURSE_SETTINGS = ("title, summary, validity_months, certificate_template, final_exam, sequential, capstone, "
                   "achievement, signatory")
PLAIN_DRAWING = ("Export a plain drawing: no scripts, event handlers, animations, embedded content "
                 "or links outside the drawing.")
NEEDS_FRONT_MATTER = ("missing front matter: the file must start with a `---` line, then YAML "
                      "settings, then a closing `---` line")


def messages(path: Path) -> list[str]:
    return [str(problem) for problem in validate_course(path)]


def test_the_example_course_is_valid() -> None:
    assert validate_course(EXAMPLE) == []
    assert validate_courses_root(EXAMPLE.parent) == []
    assert validate_courses_root(EXAMPLE) == []


def test_problem_prints_as_path_line_message() -> None:
    assert str(Problem("course/course.md", 3, "bad")) == "course/course.md:3: bad"


def test_every_problem_of_a_broken_course_in_one_pass() -> None:
    assert messages(MANY_PROBLEMS) == [
        "many-problems/01-intro/01-welcome.md:3: 'minutes' must be between 1 and 600, got 0",
        "many-problems/01-intro/01-welcome.md:8: broken link: '../assets/missing.png' not found "
        "(looked for many-problems/assets/missing.png)",
        "many-problems/01-intro/01-welcome.md:10: link '../02-next/01-details.md' points at another "
        "lesson: lessons do not link to each other",
        "many-problems/01-intro/01-welcome.md:11: link 'ftp://example.com/archive' uses an "
        "unsupported scheme (use http, https or mailto)",
        "many-problems/01-intro/02-Bad_Slug.md:0: slug 'Bad_Slug' of lesson '02-Bad_Slug.md' may use "
        "only lowercase letters, digits and hyphens",
        "many-problems/01-intro/module.md:2: 'title' is missing or empty",
        "many-problems/01-intro/notes.txt:0: unexpected file 'notes.txt': images and files belong in "
        "the course's assets/ folder",
        "many-problems/01-intro/quiz.md:3: 'pass_mark' must be between 0 and 100, got 120",
        "many-problems/01-intro/quiz.md:4: 'feedback' must be one of after_submit, after_pass, never, "
        "got 'sometimes'",
        "many-problems/01-intro/quiz.md:5: 'scoring' must be one of all_or_nothing, partial, got 'generous'",
        "many-problems/01-intro/quiz.md:6: 'draw' asks for 9 questions but the quiz has only 6",
        f"many-problems/01-intro/quiz.md:7: unknown setting 'retries' (allowed: {QUIZ_SETTINGS})",
        "many-problems/01-intro/quiz.md:10: text outside a question: each question starts with a "
        "`## Question text {#question-id}` heading",
        "many-problems/01-intro/quiz.md:12: question has no id: end the heading with `{#question-id}`",
        "many-problems/01-intro/quiz.md:16: question 'no-correct' has no correct option: mark it with `- [x]`",
        "many-problems/01-intro/quiz.md:20: question 'one-option' needs at least 2 options",
        "many-problems/01-intro/quiz.md:23: question id 'no-correct' is used twice (first on line 16)",
        "many-problems/01-intro/quiz.md:28: numeric answer 'seventy' is not a number "
        "(write it like `= 0.75 ± 0.01`)",
        "many-problems/01-intro/quiz.md:32: question 'mixed' mixes options with a numeric `= value` answer",
        "many-problems/01-intro/quiz.md:34: question 'nothing' has no options (`- [ ] text`, "
        "`- [x] text`) and no numeric answer (`= value`)",
        "many-problems/01-intro/welcome-extra.md:0: lesson 'welcome-extra.md' needs a numeric prefix "
        "like '01-why-okrs.md' (the prefix sets the order)",
        "many-problems/02-next/module.md:3: front matter is not valid YAML: expected ',' or ']', but "
        "got ':' (while parsing a flow sequence started on line 2)",
        "many-problems/03-intro:0: duplicate slug 'intro': '01-intro' and '03-intro' would be the "
        "same module folder",
        "many-problems/03-intro:0: the module has no lessons (files such as 01-why-okrs.md)",
        "many-problems/assets/evil.svg:0: SVG refused: the onload attribute of <svg> is an event "
        f"handler. {PLAIN_DRAWING}",
        "many-problems/course.md:1: 'title' is missing or empty",
        "many-problems/course.md:3: 'validity_months' must be a whole number, got 'two years'",
        f"many-problems/course.md:4: unknown setting 'colour' (allowed: {COURSE_SETTINGS})",
        "many-problems/course.md:5: 'sequential' must be true or false, got 'yes please'",
        "many-problems/extras:0: module folder 'extras' needs a numeric prefix like '01-foundations' "
        "(the prefix sets the order)",
        "many-problems/final-exam.md:0: final-exam.md is not used: add `final_exam: final-exam.md` "
        "to course.md",
    ]


# --- one mistake at a time, on a copy of the example course ---------------------------------


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    target = tmp_path / "okr-course"
    shutil.copytree(EXAMPLE, target)
    return target


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


LESSON = "01-foundations/01-origins.md"
Change = Callable[[Path], None]

SINGLE_PROBLEMS: list[tuple[str, Change, str]] = [
    ("lesson title empty",
     lambda c: edit(c / LESSON, "title: Origins", "title: '  '"),
     f"okr-course/{LESSON}:2: 'title' is missing or empty"),
    ("lesson title not text",
     lambda c: edit(c / LESSON, "title: Origins", "title: [a, b]"),
     f"okr-course/{LESSON}:2: 'title' must be text (put it in quotes)"),
    ("minutes zero",
     lambda c: edit(c / LESSON, "minutes: 6", "minutes: 0"),
     f"okr-course/{LESSON}:3: 'minutes' must be between 1 and 600, got 0"),
    ("minutes negative",
     lambda c: edit(c / LESSON, "minutes: 6", "minutes: -4"),
     f"okr-course/{LESSON}:3: 'minutes' must be between 1 and 600, got -4"),
    ("minutes not whole",
     lambda c: edit(c / LESSON, "minutes: 6", "minutes: 2.5"),
     f"okr-course/{LESSON}:3: 'minutes' must be a whole number, got 2.5"),
    ("minutes not a number",
     lambda c: edit(c / LESSON, "minutes: 6", "minutes: six"),
     f"okr-course/{LESSON}:3: 'minutes' must be a whole number, got 'six'"),
    ("unknown lesson key",
     lambda c: edit(c / LESSON, "minutes: 6", "minutes: 6\nauthor: Ann"),
     f"okr-course/{LESSON}:4: unknown setting 'author' (allowed: title, minutes, exercise_minutes)"),
    ("lesson without front matter",
     lambda c: write(c / LESSON, "# Origins\n"),
     f"okr-course/{LESSON}:1: {NEEDS_FRONT_MATTER}"),
    ("front matter not closed",
     lambda c: write(c / LESSON, "---\ntitle: Origins\nminutes: 6\n"),
     f"okr-course/{LESSON}:1: front matter is not closed: add a `---` line after the settings"),
    ("front matter not a mapping",
     lambda c: write(c / LESSON, "---\n- title\n---\nBody\n"),
     f"okr-course/{LESSON}:2: front matter must be a list of `key: value` settings"),
    ("lesson without content",
     lambda c: write(c / LESSON, "---\ntitle: Origins\nminutes: 6\n---\n\n"),
     f"okr-course/{LESSON}:5: the lesson has no content"),
    ("not UTF-8",
     lambda c: (c / LESSON).write_bytes(b"---\ntitle: Caf\xe9\n---\n"),
     f"okr-course/{LESSON}:0: not UTF-8 text (invalid continuation byte)"),
    ("validity months out of range",
     lambda c: edit(c / "course.md", "validity_months: 24", "validity_months: 0"),
     "okr-course/course.md:4: 'validity_months' must be between 1 and 1200, got 0"),
    ("certificate template name",
     lambda c: edit(c / "course.md", "certificate_template: default", "certificate_template: ../x"),
     "okr-course/course.md:5: 'certificate_template' must be a template folder name such as "
     "'classic', got '../x'"),
    ("final exam missing",
     lambda c: (c / "final-exam.md").unlink(),
     "okr-course/course.md:6: 'final_exam' names final-exam.md, which does not exist"),
    ("course.md missing",
     lambda c: (c / "course.md").unlink(),
     "okr-course/course.md:0: missing course.md (front matter: title, summary, validity_months, "
     "certificate_template, final_exam, sequential, capstone, achievement, signatory)"),
    ("stray file at the top",
     lambda c: write(c / "notes.md", "notes"),
     "okr-course/notes.md:0: unexpected file 'notes.md': a course folder holds course.md, the final "
     "exam, module folders and assets/"),
    ("module.md missing",
     lambda c: (c / "01-foundations" / "module.md").unlink(),
     "okr-course/01-foundations/module.md:0: missing module.md (front matter: title, summary)"),
    ("module title empty",
     lambda c: edit(c / "01-foundations" / "module.md", "title: Foundations", "title:"),
     "okr-course/01-foundations/module.md:2: 'title' is missing or empty"),
    ("module folder inside a module",
     lambda c: write(c / "01-foundations" / "images" / "a.txt", "x"),
     "okr-course/01-foundations/images:0: modules hold no folders: put images and files in the "
     "course's assets/ folder"),
    ("module slug reserved",
     lambda c: (c / "02-writing-key-results").rename(c / "02-final-exam"),
     "okr-course/02-final-exam:0: module slug 'final-exam' is reserved (final-exam, assets, quiz, "
     "enrol): rename the module"),
    ("module slug collides with the asset URLs",
     lambda c: (c / "02-writing-key-results").rename(c / "02-assets"),
     "okr-course/02-assets:0: module slug 'assets' is reserved (final-exam, assets, quiz, enrol): "
     "rename the module"),
    ("module bad slug",
     lambda c: (c / "02-writing-key-results").rename(c / "02-Writing KRs"),
     "okr-course/02-Writing KRs:0: slug 'Writing KRs' of module folder '02-Writing KRs' may use only "
     "lowercase letters, digits and hyphens"),
    ("modules share a prefix",
     lambda c: (c / "02-writing-key-results").rename(c / "01-writing-key-results"),
     "okr-course/01-writing-key-results:0: '01-foundations' and '01-writing-key-results' share the "
     "prefix 01: give each module folder its own number"),
    ("duplicate lesson slug",
     lambda c: shutil.copy(c / LESSON, c / "01-foundations" / "03-origins.md"),
     "okr-course/01-foundations/03-origins.md:0: duplicate slug 'origins': '01-origins.md' and "
     "'03-origins.md' would be the same lesson"),
    ("link outside the course",
     lambda c: edit(c / LESSON, "../assets/okr-cycle.svg", "../../elsewhere.svg"),
     f"okr-course/{LESSON}:14: link '../../elsewhere.svg' points outside the course folder"),
    ("absolute link",
     lambda c: edit(c / LESSON, "../assets/okr-cycle.svg", "/static/x.svg"),
     f"okr-course/{LESSON}:14: link '/static/x.svg' is an absolute path: use a relative path such "
     "as ../assets/file.svg"),
    ("empty link",
     lambda c: edit(c / LESSON, "../assets/okr-cycle.svg", ""),
     f"okr-course/{LESSON}:14: link with an empty target"),
    ("link to a file outside assets",
     lambda c: edit(c / LESSON, "../assets/okr-cycle.svg", "module.md"),
     f"okr-course/{LESSON}:14: link 'module.md' points at another lesson: lessons do not link to "
     "each other"),
    ("broken link in a footnote",
     lambda c: edit(c / LESSON, "*The Practice of Management*, 1954.",
                    "[book](../assets/book.pdf)"),
     f"okr-course/{LESSON}:19: broken link: '../assets/book.pdf' not found "
     "(looked for okr-course/assets/book.pdf)"),
    ("broken image in a quiz",
     lambda c: edit(c / "01-foundations" / "quiz.md", "Use linear scoring:",
                    "Use linear scoring: ![chart](../assets/chart.png)"),
     "okr-course/01-foundations/quiz.md:33: broken link: '../assets/chart.png' not found "
     "(looked for okr-course/assets/chart.png)"),
    ("broken image in the final exam",
     lambda c: edit(c / "final-exam.md", "Drucker, *The", "![p](assets/p.png) Drucker, *The"),
     "okr-course/final-exam.md:22: broken link: 'assets/p.png' not found "
     "(looked for okr-course/assets/p.png)"),
    ("file link outside assets",
     lambda c: (write(c / "01-foundations" / "02-anatomy.md",
                      "---\ntitle: A\nminutes: 3\n---\n[x](../final-exam.md)\n")),
     "okr-course/01-foundations/02-anatomy.md:5: link '../final-exam.md' points at another lesson: "
     "lessons do not link to each other"),
    ("svg with script",
     lambda c: write(c / "assets" / "bad.svg", "<svg><script>alert(1)</script></svg>"),
     "okr-course/assets/bad.svg:0: SVG refused: it contains <script> (outside the SVG namespace). "
     f"{PLAIN_DRAWING}"),
    ("quiz problem surfaces with the course path",
     lambda c: edit(c / "01-foundations" / "quiz.md", "- [x] A qualitative", "- [ ] A qualitative"),
     "okr-course/01-foundations/quiz.md:12: question 'objective-definition' has no correct option: "
     "mark it with `- [x]`"),
]


@pytest.mark.parametrize(("case", "change", "expected"), SINGLE_PROBLEMS,
                         ids=[case for case, _, _ in SINGLE_PROBLEMS])
def test_each_mistake_gets_one_clear_message(course: Path, case: str, change: Change,
                                             expected: str) -> None:
    change(course)
    assert messages(course) == [expected]


def test_final_exam_outside_the_folder(course: Path) -> None:
    edit(course / "course.md", "final_exam: final-exam.md", "final_exam: ../exam.md")
    assert messages(course) == [
        "okr-course/course.md:6: 'final_exam' must name a .md file at the top of the course folder, "
        "such as final-exam.md, got '../exam.md'",
        "okr-course/final-exam.md:0: final-exam.md is not used: add `final_exam: final-exam.md` "
        "to course.md",
    ]


def test_a_module_without_lessons(course: Path) -> None:
    for lesson in (course / "02-writing-key-results").glob("0*.md"):
        lesson.unlink()
    assert messages(course) == [
        "okr-course/02-writing-key-results:0: the module has no lessons (files such as 01-why-okrs.md)"
    ]


def test_a_course_without_modules(tmp_path: Path) -> None:
    write(tmp_path / "empty" / "course.md", "---\ntitle: Empty\n---\n")
    assert messages(tmp_path / "empty") == [
        "empty:0: the course has no modules (folders such as 01-foundations/)"
    ]


def test_course_folder_name_is_the_slug(tmp_path: Path) -> None:
    target = tmp_path / "OKR Course"
    shutil.copytree(EXAMPLE, target)
    assert messages(target) == [
        "OKR Course:0: course folder name 'OKR Course' is its slug: use only lowercase letters, "
        "digits and hyphens"
    ]


def test_external_and_mail_links_are_fine(course: Path) -> None:
    edit(course / LESSON, "Andy Grove", "[Andy Grove](https://example.com/grove) "
                                        "([mail](mailto:a@example.com), [top](#from-mbo-to-okrs))")
    assert messages(course) == []


def test_validate_courses_root_checks_every_course(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "good")
    shutil.copytree(MANY_PROBLEMS, tmp_path / "many-problems")
    write(tmp_path / "README.md", "guide for trainers")
    found = [str(p) for p in validate_courses_root(tmp_path)]
    assert found == messages(MANY_PROBLEMS)


def test_validate_courses_root_reports_folders_without_course_md(tmp_path: Path) -> None:
    (tmp_path / "draft").mkdir()
    assert [str(p) for p in validate_courses_root(tmp_path)] == [
        "draft/course.md:0: missing course.md (front matter: title, summary, validity_months, "
        "certificate_template, final_exam, sequential, capstone, achievement, signatory)"
    ]


def test_validate_courses_root_on_nothing(tmp_path: Path) -> None:
    assert [str(p) for p in validate_courses_root(tmp_path)] == [
        f"{tmp_path.name}:0: no course folders found (a course folder holds course.md)"
    ]
    assert [str(p) for p in validate_courses_root(tmp_path / "missing")] == ["missing:0: not a folder"]
