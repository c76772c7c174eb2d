"""What every test's app would compile again, compiled once per test process.

Each test builds its own app (its own settings, keys and database), and a new app compiles
its 270 URL rules and every template it renders: about 40 ms and 10-30 ms a test, which over
two thousand tests is most of a minute. Both results depend only on their input, so they are
kept for the process:

- Werkzeug's URL builder of a rule is a function generated from the rule's parts, defaults
  and converters; it is kept under exactly those;
- Jinja's compiled template code is kept in a bytecode cache under the template's name and
  the checksum of its source (Jinja's own mechanism), so an edited template is compiled anew.

Nothing of this runs outside the tests.
"""
from __future__ import annotations

import functools

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule


class _ProcessBytecode(BytecodeCache):
    """Compiled templates kept in memory for the test process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _ProcessBytecode()


def share_compiled_templates(app: Flask) -> None:
    """Let the app's Jinja environment reuse templates compiled by earlier tests."""
    app.jinja_env.bytecode_cache = _TEMPLATES


def share_url_builders() -> None:
    """Keep each generated URL builder, keyed by what it is generated from (once per process)."""
    if getattr(Rule._compile_builder, "shared", False):
        return
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    @functools.wraps(compile_builder)
    def shared(self: Rule, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
               tuple(sorted((name, type(converter).__qualname__,
                             repr({k: v for k, v in vars(converter).items() if k != "map"}))
                            for name, converter in self._converters.items())))
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    shared.shared = True
    Rule._compile_builder = shared
