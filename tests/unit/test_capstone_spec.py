"""The capstone file format and its pass rule."""
from __future__ import annotations

from hypothesis import given, strategies as st

from app.courses.capstone_spec import (
    CapstoneSpec, CriterionSpec, LevelSpec, capstone_from_dict, capstone_to_dict, parse_capstone,
)
from app.authoring.dialect import capstone_markdown
from tests.capstone_fixtures import CAPSTONE


def problems_of(text: str) -> list[str]:
    spec, problems = parse_capstone(text, path="c.md")
    assert (spec is None) == bool(problems)
    return [str(p) for p in problems]


def test_the_fixture_reads_back_with_its_rubric():
    spec, problems = parse_capstone(CAPSTONE)
    assert problems == []
    assert spec.title == "Capstone: your team's OKRs" and spec.pass_mark == 70
    assert [c.id for c in spec.criteria] == ["objectives", "key-results", "note"]
    assert spec.criteria[0].minimum == 3 and spec.criteria[1].minimum is None
    assert spec.criteria[0].description_md == "Qualitative, inspiring, tied to the strategy."
    assert [level.points for level in spec.criteria[0].levels] == [4, 3, 1, 0]
    assert spec.max_points == 10
    assert spec.brief_md.startswith("Write your team's OKRs")


def test_the_studio_writes_a_capstone_that_reads_back_the_same():
    spec, _ = parse_capstone(CAPSTONE)
    again, problems = parse_capstone(capstone_markdown(spec))
    assert problems == [] and again == spec
    assert capstone_from_dict(capstone_to_dict(spec)) == spec


HEAD = "---\ntitle: C\npass_mark: 60\n---\nThe brief.\n\n# Rubric\n\n"


def test_each_mistake_is_reported_at_its_line():
    assert problems_of("---\ntitle: C\n---\nOnly a brief.\n") == [
        "c.md:4: the capstone has no rubric: add a `# Rubric` heading and its criteria after "
        "the brief"]
    assert problems_of(HEAD + "## A {#a minimum=5 weight=2}\n- **Top** (4): x\n- **Low** (0): y\n") == [
        "c.md:9: unknown criterion setting 'weight=2': the only one is `minimum=N` (points "
        "this criterion must reach)",
        "c.md:9: criterion 'a': minimum=5 is more than its top level (4)"]
    assert problems_of(HEAD + "## A {#a}\n- **Low** (0): y\n- **Top** (4): x\n") == [
        "c.md:9: criterion 'a': levels go from the most points to the fewest, each with its "
        "own number of points"]
    assert problems_of(HEAD + "## A {#a}\n- **Only** (4): x\n\n## A again {#a}\n"
                              "- **T** (1): x\n- **L** (0): y\n") == [
        "c.md:9: criterion 'a' needs at least two levels, one per line: `- **Name** (points): "
        "descriptor`",
        "c.md:12: criterion id 'a' is used twice"]
    assert problems_of(HEAD + "Stray text.\n") == [
        "c.md:9: text after `# Rubric` must belong to a criterion (`## Criterion "
        "{#criterion-id}`)",
        "c.md:7: the rubric has no criteria: start each with `## Criterion {#criterion-id}`"]


levels = st.lists(st.integers(0, 20), min_size=2, max_size=5, unique=True).map(
    lambda points: tuple(LevelSpec(f"L{p}", p, "d") for p in sorted(points, reverse=True)))


@st.composite
def scored_rubrics(draw):
    criteria = []
    for n in range(draw(st.integers(1, 5))):
        criterion_levels = draw(levels)
        minimum = draw(st.none() | st.sampled_from([level.points for level in criterion_levels]))
        criteria.append(CriterionSpec(f"c{n}", f"C{n}", "", minimum, criterion_levels))
    spec = CapstoneSpec("T", 60, draw(st.integers(0, 100)), "b", tuple(criteria))
    points = {c.id: draw(st.sampled_from([level.points for level in c.levels]))
              for c in criteria}
    return spec, points


@given(scored_rubrics())
def test_a_pass_needs_the_pass_mark_and_every_minimum(case):
    spec, points = case
    verdict = spec.verdict(points)
    total = sum(points.values())
    minimums_met = all(c.minimum is None or points[c.id] >= c.minimum for c in spec.criteria)
    assert verdict.total == total and verdict.max_total == spec.max_points
    assert verdict.passed == (100 * total >= spec.pass_mark * spec.max_points and minimums_met)
    assert bool(verdict.below_minimum) == (not minimums_met)
