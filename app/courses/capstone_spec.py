"""The capstone: a brief the learner answers with their own work, and the rubric a trainer
scores it with. Authored as `capstone.md` (any name `course.md` gives in `capstone:`):

    ---
    title: "Capstone: your company's OKRs"
    minutes: 240
    pass_mark: 70
    ---
    The brief (Markdown).

    # Rubric

    ## Objectives express the strategy {#objectives minimum=3}
    What the grader looks for (optional).

    - **Exemplary** (4): ...
    - **Proficient** (3): ...

`pass_mark` is a percentage of the rubric's total (each criterion's top level); a criterion's
`minimum` is the points it must reach on its own for a pass.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from app.courses.frontmatter import Problem, Reporter, Settings, is_slug, read_front_matter

CAPSTONE_SETTINGS = ("title", "minutes", "pass_mark")
RUBRIC_HEADING = "# Rubric"
_CRITERION_RE = re.compile(r"^##[ \t]+(.+?)[ \t]*\{#([^{}]*)\}[ \t]*$")
_LEVEL_RE = re.compile(r"^- \*\*(.+?)\*\* \((\d{1,4})\):[ \t]*(.+)$")
_MINIMUM_RE = re.compile(r"^minimum=(\d{1,4})$")


@dataclass(frozen=True)
class LevelSpec:
    """One level of a criterion: its name, its points and what work at that level shows."""

    name: str
    points: int
    descriptor_md: str


@dataclass(frozen=True)
class CriterionSpec:
    """A rubric criterion with its levels, highest first."""

    id: str
    title: str
    description_md: str
    minimum: int | None
    levels: tuple[LevelSpec, ...]

    @property
    def max_points(self) -> int:
        return self.levels[0].points

    def level(self, points: int) -> LevelSpec | None:
        """The level worth exactly `points`, or None."""
        return next((level for level in self.levels if level.points == points), None)


@dataclass(frozen=True)
class Verdict:
    """A scored submission against the rubric."""

    total: int
    max_total: int
    passed: bool
    #: criteria below their own minimum
    below_minimum: tuple[str, ...]


@dataclass(frozen=True)
class CapstoneSpec:
    """The capstone of a course version: brief, rubric and pass rule."""

    title: str
    minutes: int
    pass_mark: float
    brief_md: str
    criteria: tuple[CriterionSpec, ...]

    @property
    def max_points(self) -> int:
        return sum(criterion.max_points for criterion in self.criteria)

    def verdict(self, points: dict[str, int]) -> Verdict:
        """Pass or fail for points per criterion id (each a level of its criterion)."""
        total = sum(points[criterion.id] for criterion in self.criteria)
        below = tuple(c.id for c in self.criteria
                      if c.minimum is not None and points[c.id] < c.minimum)
        reached = total * 100 >= self.pass_mark * self.max_points
        return Verdict(total, self.max_points, reached and not below, below)


def parse_capstone(text: str, *, path: str = "capstone.md") -> tuple[CapstoneSpec | None,
                                                                       list[Problem]]:
    """Parse a capstone file; returns the spec, or None and every problem (with lines)."""
    report = Reporter(path)
    front = read_front_matter(text, report)
    settings = Settings(front, report, CAPSTONE_SETTINGS)
    lines = front.body.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == RUBRIC_HEADING), None)
    if start is None:
        report.add(front.body_line, f"the capstone has no rubric: add a `{RUBRIC_HEADING}` "
                                    "heading and its criteria after the brief")
        start = len(lines)
    brief = "\n".join(lines[:start]).strip()
    if not brief:
        report.add(front.body_line, "the capstone has no brief: write it before the rubric")
    criteria = _read_criteria(lines[start + 1:], front.body_line + start + 1, report)
    if start < len(lines) and not criteria:
        report.add(front.body_line + start, "the rubric has no criteria: start each with "
                                            "`## Criterion {#criterion-id}`")
    spec = CapstoneSpec(
        title=settings.text("title", required=True),
        minutes=settings.integer("minutes", default=60, minimum=1, maximum=6000),
        pass_mark=settings.number("pass_mark", default=70, minimum=0, maximum=100),
        brief_md=brief, criteria=tuple(criteria))
    return (None, report.problems) if report.problems else (spec, [])


def _read_criteria(lines: list[str], first_line: int, report: Reporter) -> list[CriterionSpec]:
    blocks: list[tuple[int, re.Match[str], list[str]]] = []
    for offset, line in enumerate(lines):
        heading = _CRITERION_RE.match(line)
        if heading:
            blocks.append((first_line + offset, heading, []))
        elif blocks:
            blocks[-1][2].append(line)
        elif line.strip():
            report.add(first_line + offset, "text after `# Rubric` must belong to a criterion "
                                            "(`## Criterion {#criterion-id}`)")
    criteria, seen = [], set()
    for line, heading, body in blocks:
        criterion = _criterion(line, heading, body, report)
        if criterion.id in seen:
            report.add(line, f"criterion id '{criterion.id}' is used twice")
        seen.add(criterion.id)
        criteria.append(criterion)
    return criteria


def _criterion(line: int, heading: re.Match[str], body: list[str],
               report: Reporter) -> CriterionSpec:
    criterion_id, *attributes = heading.group(2).split() or [""]
    if not is_slug(criterion_id):
        report.add(line, f"criterion id '{criterion_id}' may use only lowercase letters, digits "
                         "and hyphens")
    minimum = None
    for attribute in attributes:
        match = _MINIMUM_RE.match(attribute)
        if match:
            minimum = int(match.group(1))
        else:
            report.add(line, f"unknown criterion setting '{attribute}': the only one is "
                             "`minimum=N` (points this criterion must reach)")
    description, levels = [], []
    for line_text in body:
        match = _LEVEL_RE.match(line_text.strip())
        if match:
            levels.append(LevelSpec(match.group(1), int(match.group(2)), match.group(3).strip()))
        elif levels and line_text.strip():
            report.add(line, f"criterion '{criterion_id}': only levels may follow the first "
                             "level (`- **Name** (points): descriptor`)")
        elif not levels:
            description.append(line_text)
    _check_levels(line, criterion_id, levels, minimum, report)
    return CriterionSpec(criterion_id, heading.group(1).strip(), "\n".join(description).strip(),
                         minimum, tuple(levels))


def _check_levels(line: int, criterion_id: str, levels: list[LevelSpec], minimum: int | None,
                  report: Reporter) -> None:
    points = [level.points for level in levels]
    if len(levels) < 2:
        report.add(line, f"criterion '{criterion_id}' needs at least two levels, one per line: "
                         "`- **Name** (points): descriptor`")
    elif points != sorted(set(points), reverse=True):
        report.add(line, f"criterion '{criterion_id}': levels go from the most points to the "
                         "fewest, each with its own number of points")
    if minimum is not None and points and minimum > max(points):
        report.add(line, f"criterion '{criterion_id}': minimum={minimum} is more than its top "
                         f"level ({max(points)})")


def capstone_to_dict(spec: CapstoneSpec) -> dict[str, Any]:
    """The capstone as plain JSON-serialisable data."""
    return asdict(spec)


def capstone_from_dict(data: dict[str, Any]) -> CapstoneSpec:
    """Rebuild a capstone from `capstone_to_dict` output."""
    criteria = tuple(
        CriterionSpec(**{**c, "levels": tuple(LevelSpec(**level) for level in c["levels"])})
        for c in data["criteria"])
    return CapstoneSpec(**{**data, "criteria": criteria})


__all__ = ["CapstoneSpec", "CriterionSpec", "LevelSpec", "Problem", "Verdict", "capstone_from_dict",
           "capstone_to_dict", "parse_capstone"]
