"""Pages of a list already in memory, shaped like Flask-SQLAlchemy's pagination so the shared
template (`_pagination.html`) draws them."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of items (pages count from 1)."""

    items: list[Any]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(rows: Sequence[Any], page: int, per_page: int,
             shown: Callable[[Sequence[Any]], list[Any]] = list) -> Page:
    """The page-th slice of rows (out-of-range pages are clamped); `shown` turns the slice into
    the page's items (reading only what the page shows)."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return Page(shown(rows[start:start + per_page]), page, pages, len(rows))
