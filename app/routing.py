"""Numbers taken from URLs, bounded where they enter: a path or query number outside what the
database stores is "not found" or ignored, never an overflow deep in a query."""
from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

#: the largest id the database stores (a 32-bit signed integer on PostgreSQL)
MAX_ID = 2**31 - 1
#: the last page a listing offers; beyond it a listing is empty anyway
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in a route: 0 to MAX_ID; a longer or larger number does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ID if max is None else max, signed=signed)
        # [0-9], not \d: a regex's \d also matches "٣" and other non-ASCII digits
        self.regex = r"[0-9]{1,10}" if not signed else r"-?[0-9]{1,10}"


_NUMBER = re.compile(r"-?[0-9]{1,12}")


def bounded_int(args: Mapping[str, str], name: str, default: int | None = None, *,
                minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The query argument `name` as an int within [minimum, maximum], else `default`.

    Only ASCII digits count: "²", "٣" or "1e9" are not numbers here.
    """
    text = (args.get(name) or "").strip()
    if not _NUMBER.fullmatch(text):
        return default
    value = int(text)
    return value if minimum <= value <= maximum else default


def page_number(args: Mapping[str, str]) -> int:
    """The `page` query argument of a listing: 1 to MAX_PAGE, 1 when absent or malformed."""
    return bounded_int(args, "page", 1, minimum=1, maximum=MAX_PAGE)


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (a safe place to send someone back to), else None.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    "/<tab>/evil.example" lead to another site: they are refused with every other scheme, host
    and control character."""
    if not target or len(target) > 2000:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target \
            or target.startswith("//") or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    return target
