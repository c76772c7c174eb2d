"""GIFT import is bounded: the largest file it accepts, however hostile, converts in a few CPU
seconds (a larger file, or one of more questions, is refused with a sentence: tests/test_gift.py).

Each hostile file is generated at the size cap (and, for banks of many questions, at the
question cap) and converted in a child process whose CPU time is capped with RLIMIT_CPU: a
converter that went quadratic again would be killed by the kernel instead of making this test
slow. The limit is generous (the conversions take well under a second of CPU today), so a busy
machine does not make the test flaky: only a change of growth rate does.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.authoring.gift import MAX_GIFT_BYTES, MAX_GIFT_QUESTIONS

resource = pytest.importorskip("resource")

ROOT = Path(__file__).resolve().parents[2]
#: CPU seconds one conversion of a largest allowed file may take before the kernel stops it
CPU_SECONDS = 5

_CHILD = """
import json, resource, sys
from tests.security.test_gift_bounds import CPU_SECONDS, hostile_gift
from app.authoring.errors import GiftTooLarge
from app.authoring.gift import convert_gift

for name in sys.argv[1:]:
    text = hostile_gift(name)
    # a fresh budget for each file: the CPU used so far, plus CPU_SECONDS (rounded up)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime) + 1 + CPU_SECONDS
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    print(json.dumps({"name": name}), flush=True)
    try:
        conversion = convert_gift(text)
    except GiftTooLarge as error:
        summary = {"refused": str(error)}
    else:
        summary = {"converted": conversion.converted, "errors": len(conversion.errors)}
    print(json.dumps({"name": name, **summary}), flush=True)
"""


def _repeat_to_cap(head: str, unit: str, tail: str = "") -> str:
    """`head`, then `unit` as many times as fits, then `tail`: as close to the cap as it gets."""
    count = (MAX_GIFT_BYTES - len((head + tail).encode())) // len(unit.encode())
    return head + unit * count + tail


def _bank(question: Callable[[int], str], count: int = MAX_GIFT_QUESTIONS) -> str:
    """`count` questions, each padded so that together they fill the size cap."""
    room = MAX_GIFT_BYTES // count - 2
    parts = [question(n) for n in range(count)]
    return "\n\n".join(part + " " * max(room - len(part.encode()), 0) for part in parts)


def _answers() -> str:
    """One multiple-choice question with as many distinct answers as fit, one per line."""
    answers, size, n = ["Q?{=a0"], 6, 1
    while size + len(f"\n~a{n}") + 2 < MAX_GIFT_BYTES:
        answers.append(f"~a{n}")
        size += len(f"\n~a{n}")
        n += 1
    return "\n".join(answers) + "\n}"


HOSTILE: dict[str, Callable[[], str]] = {
    # the question cap, each question as heavy as the size cap allows: weights, feedback, notes
    "many weighted questions": lambda: _bank(
        lambda n: f"::Q {n}::Which {n}?{{=r{n}#ok ~%50%a#x ~%50%b#y ~%-100%c#z ~d ~e ~f ~g ~h "
                  "~i ~j ~k ~l ~m ####why}"),
    "many numeric questions": lambda: _bank(
        lambda n: f"::N {n}::How many {n}?{{#=1:0#a =%50%2:1#b =%25%3:2#c ~4#d ~5 ####why}}"),
    "many numeric questions with wrong-answer feedback": lambda: _bank(
        lambda n: f"::W {n}::How many {n}?{{#=1..2#a =1.5:1#b =%50%0..9#c ~#wrong ####why}}"),
    "many html questions": lambda: _bank(
        lambda n: f"[html]<p>W<b>{n}</b></p><img>{{=<i>a</i>#<b>k</b> ~b<br>c ~%50%&lt;d "
                  "~[plain]<e> ~[markdown]*f*}"),
    "many questions of markdown signs": lambda: _bank(
        lambda n: f"Q {n} *_[`<a&b;|\\n- x\\n1. y\\n> z{{=2*3 ~a_b ~[c](d)}}"),
    "many questions of one name": lambda: _bank(lambda n: "::Same::Same?{T}"),
    "many questions of long text": lambda: _bank(lambda n: "Q\n" + "line\n" * 18 + "{T}"),
    "many questions with headings": lambda: _bank(lambda n: "[markdown]Q\n# part\n## x\n{T}"),
    "many questions with open fences": lambda: _bank(lambda n: "[markdown]Q\n```\n{T}"),
    "many questions of headings and fences as text": lambda: _bank(
        lambda n: "Q\n# part\n## x\n```\n{T}"),
    "tiny questions beyond the question cap": lambda: _repeat_to_cap("", "Q{T}\n\n"),
    # one block, everything in it
    "one question of many answers": _answers,
    "one question of many right answers": lambda: _repeat_to_cap("Q?{", "~%1%a ", "}"),
    "opening braces": lambda: _repeat_to_cap("", "{"),
    "closing braces": lambda: _repeat_to_cap("Q", "}"),
    "brace pairs": lambda: _repeat_to_cap("Q", "{}"),
    "backslashes": lambda: _repeat_to_cap("Q", "\\", "{T}"),
    "name markers": lambda: _repeat_to_cap("", "::"),
    "names without end": lambda: _repeat_to_cap("::", ":a", "{T}"),
    "unclosed answer block": lambda: _repeat_to_cap("Q{", "=a ~b\n"),
    "html without tag ends": lambda: _repeat_to_cap("[html]Q?{=", "<", " ~b}"),
    "html question text": lambda: _repeat_to_cap("[html]Q ", "<", "{T}"),
    "id markers in the text": lambda: _repeat_to_cap("::x::", "\\{#", "\\}x{T}"),
    "feedback markers": lambda: _repeat_to_cap("Q{=a", "#", " ~b}"),
    "weights without end": lambda: _repeat_to_cap("Q{~", "%", "a ~b}"),
    "a long number": lambda: _repeat_to_cap("Q{#", "1", "}"),
    "one question of many numeric answers": lambda: _repeat_to_cap("Q{#", "=%50%1:1#x ", "=1:0}"),
    "one question of many overlapping numeric ranges": lambda: _repeat_to_cap("Q{#", "=1..2 ", "}"),
    "one question of many wrong-answer markers": lambda: _repeat_to_cap("Q{#1:1", "~#", "}"),
    "general feedback markers": lambda: _repeat_to_cap("Q{T", "#", "}"),
    "html emphasis": lambda: _repeat_to_cap("[html]Q ", "<b><i>x</b>", "{T}"),
    "html emphasis never closed": lambda: _repeat_to_cap("[html]Q ", "<b>x<i>", "{T}"),
    "html comments without end": lambda: _repeat_to_cap("[html]Q ", "<!--", "{T}"),
    "html tags without end": lambda: _repeat_to_cap("[html]Q ", "<b ", "{T}"),
    "html scripts": lambda: _repeat_to_cap("[html]Q ", "<script>x</script>", "{T}"),
    "html script never closed": lambda: _repeat_to_cap("[html]Q <script>", "</scrip", "{T}"),
    "html line breaks": lambda: _repeat_to_cap("[html]Q ", "<br>", "{T}"),
    "html entities": lambda: _repeat_to_cap("[html]Q ", "&amp", "{T}"),
    "moodle line breaks in emphasis": lambda: _repeat_to_cap("Q <b>", "a\\n", "{T}"),
    "markdown signs": lambda: _repeat_to_cap("Q ", "*_[`<a&b;|~", "{T}"),
    "lines that start blocks": lambda: _repeat_to_cap("Q", "\\n- x\\n1. y", "{T}"),
    "format markers": lambda: _repeat_to_cap("Q{=a ~", "[html]", "b}"),
    "a long range": lambda: _repeat_to_cap("Q{#1..", "2", "}"),
    "true/false feedback": lambda: _repeat_to_cap("Q{T", "#a", "}"),
    "categories": lambda: _repeat_to_cap("", "$CATEGORY: x\n"),
}


def hostile_gift(name: str) -> str:
    """The hostile GIFT file called `name`, at most `MAX_GIFT_BYTES` as UTF-8."""
    text = HOSTILE[name]()
    assert len(text.encode()) <= MAX_GIFT_BYTES
    return text


@pytest.fixture(scope="module")
def conversions() -> dict[str, dict]:
    """Every hostile file converted in one child process, each under its own CPU limit."""
    child = subprocess.run([sys.executable, "-c", _CHILD, *HOSTILE], cwd=ROOT,
                           capture_output=True, text=True, timeout=600, check=False)
    lines = [json.loads(line) for line in child.stdout.splitlines()]
    if child.returncode != 0:
        stopped = lines[-1]["name"] if lines else "(before the first file)"
        pytest.fail(f"converting '{stopped}' was stopped (exit {child.returncode}): more than "
                    f"{CPU_SECONDS} s of CPU for a file the size cap allows\n"
                    f"{child.stderr[-2000:]}")
    return {line["name"]: line for line in lines if len(line) > 1}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_largest_allowed_hostile_file_converts_within_the_cpu_limit(name, conversions):
    assert len(hostile_gift(name).encode()) > MAX_GIFT_BYTES * 0.95  # the largest, not a sample
    summary = conversions[name]
    if name == "tiny questions beyond the question cap":
        assert f"at most {MAX_GIFT_QUESTIONS} are converted" in summary["refused"]
    elif name.startswith("many questions with"):
        assert summary["converted"] == 0 and summary["errors"] == MAX_GIFT_QUESTIONS
    elif name.startswith("many"):
        assert summary["converted"] == MAX_GIFT_QUESTIONS
    else:
        assert "refused" not in summary  # read to the end, every question converted or reported


def test_the_question_bank_fills_the_size_cap_at_the_question_cap():
    text = hostile_gift("many weighted questions")
    assert text.count("::Q ") == MAX_GIFT_QUESTIONS

