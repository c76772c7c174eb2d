"""Front matter: split a Markdown file, read typed settings, report problems with their lines."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FENCE = "---"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a content file, at a line (1-based; 0 = the file as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class FrontMatter:
    """The YAML mapping at the top of a file, the line of each key, and the body after it."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int
    end_line: int = 1
    #: False when the front matter is missing or unreadable (required-setting checks are skipped)
    readable: bool = True


@dataclass
class Reporter:
    """Collects problems for one file."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        """Record a problem at a line of this file."""
        self.problems.append(Problem(self.path, line, message))


def read_front_matter(text: str, report: Reporter) -> FrontMatter:
    """Split `text` into front matter and body; YAML errors are reported, never raised."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != _FENCE:
        report.add(1, "missing front matter: the file must start with a `---` line, "
                      "then YAML settings, then a closing `---` line")
        return FrontMatter({}, {}, text, 1, readable=False)
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _FENCE), None)
    if closing is None:
        report.add(1, "front matter is not closed: add a `---` line after the settings")
        return FrontMatter({}, {}, "", len(lines) + 1, readable=False)
    yaml_text = "".join(lines[1:closing])
    body = "".join(lines[closing + 1:])
    before = len(report.problems)
    data, key_lines = _parse_yaml(yaml_text, report)
    readable = len(report.problems) == before
    return FrontMatter(data, key_lines, body, closing + 2, closing + 1, readable)


#: libyaml's parser where PyYAML was built with it (its wheels are): the same documents, nodes
#: and marks as the pure-Python one, several times faster
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(yaml_text: str, loader_class: type) -> tuple[yaml.Node | None, Any]:
    """The document's node (for the keys' lines) and its data, parsed once."""
    loader = loader_class(yaml_text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _parse_yaml(yaml_text: str, report: Reporter) -> tuple[dict[str, Any], dict[str, int]]:
    """Load a YAML mapping and the file line of each top-level key (front matter starts at line 2)."""
    try:
        node, data = _load(yaml_text, _FastLoader)
    except yaml.YAMLError:
        try:  # the pure-Python parser words its errors better: a mistake is read twice
            node, data = _load(yaml_text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            report.add(*_yaml_error(exc))
            return {}, {}
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        report.add(2, "front matter must be a list of `key: value` settings")
        return {}, {}
    key_lines: dict[str, int] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 2
        if key in key_lines:
            report.add(line, f"setting '{key}' is given twice (first on line {key_lines[key]})")
        else:
            key_lines[key] = line
    return {str(k): v for k, v in data.items()}, key_lines


def _yaml_error(exc: yaml.YAMLError) -> tuple[int, str]:
    """The file line and a readable sentence for a YAML error (front matter starts at line 2)."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 2 if mark is not None else 1
    message = f"front matter is not valid YAML: {getattr(exc, 'problem', None) or exc}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        message += f" ({context} started on line {context_mark.line + 2})"
    return line, message


class Settings:
    """Typed access to front matter values; a wrong value is reported and its default returned."""

    def __init__(self, front: FrontMatter, report: Reporter, allowed: tuple[str, ...]) -> None:
        self.front = front
        self.report = report
        for key in front.data:
            if key not in allowed:
                report.add(self.line(key), f"unknown setting '{key}' (allowed: {', '.join(allowed)})")

    def line(self, key: str) -> int:
        """The file line of a setting, or the front matter's first line when it is absent."""
        return self.front.key_lines.get(key, 1)

    def has(self, key: str) -> bool:
        """Whether the setting is present and not null."""
        return self.front.data.get(key) is not None

    def raw(self, key: str) -> Any:
        """The value as YAML gave it."""
        return self.front.data.get(key)

    def error(self, key: str, message: str) -> None:
        """Report a problem on the setting's line."""
        self.report.add(self.line(key), message)

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        """A string setting; numbers are accepted as text, other types are errors."""
        value = self.raw(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required and self.front.readable:
                self.error(key, f"'{key}' is missing or empty")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(key, f"'{key}' must be text (put it in quotes)")
            return default
        return str(value).strip()

    def integer(self, key: str, *, default: int, minimum: int = 0,
                maximum: int | None = None, required: bool = False) -> int:
        """A whole number setting within bounds."""
        value = self.raw(key)
        if value is None:
            if required and self.front.readable:
                self.error(key, f"'{key}' is missing")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"'{key}' must be a whole number, got {value!r}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            self.error(key, f"'{key}' must be {_bounds(minimum, maximum)}, got {value}")
            return default
        return value

    def number(self, key: str, *, default: float | None, minimum: float,
               maximum: float) -> float | None:
        """A number setting (whole or decimal) within bounds."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(key, f"'{key}' must be a number, got {value!r}")
            return default
        if not minimum <= value <= maximum:
            self.error(key, f"'{key}' must be {_bounds(minimum, maximum)}, got {value}")
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        """A true/false setting."""
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"'{key}' must be true or false, got {value!r}")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], *, default: str) -> str:
        """One of a fixed set of words."""
        value = self.raw(key)
        if value is None:
            return default
        if value not in choices:
            self.error(key, f"'{key}' must be one of {', '.join(choices)}, got {value!r}")
            return default
        return value


def _bounds(minimum: float, maximum: float | None) -> str:
    """Describe an allowed range in words."""
    if maximum is None:
        return f"{minimum} or more"
    return f"between {minimum} and {maximum}"


def is_slug(text: str) -> bool:
    """Whether `text` is a slug: lowercase letters, digits and single hyphens."""
    return bool(SLUG_RE.match(text))
