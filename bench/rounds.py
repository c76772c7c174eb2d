"""Interleaved rounds: the measured side and its baseline alternate (A B A B ...), and each ratio
is the median of the pairwise ratios, with their min-max. A busy moment of the machine slows
the two rounds of one pair alike, so it moves one pairwise ratio a little instead of the result."""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: the fewest pairs any ratio of `make bench` comes from
MIN_PAIRS = 5


@dataclass(frozen=True)
class Pairs:
    """What the rounds measured, in order, and the ratio of each pair."""

    measured: tuple[Any, ...]
    baseline: tuple[Any, ...]
    ratios: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def low(self) -> float:
        return min(self.ratios)

    @property
    def high(self) -> float:
        return max(self.ratios)

    def spread(self) -> dict:
        """The fields a report row carries for its ratio."""
        return {"ratio": self.ratio, "ratio_min": self.low, "ratio_max": self.high,
                "pairs": len(self.ratios)}


def interleave(measure: Callable[[], Any], baseline: Callable[[], Any], *, pairs: int = MIN_PAIRS,
               ratio: Callable[[Any, Any], float], extra: Callable[[], Any] | None = None
               ) -> tuple[Pairs, list[Any]]:
    """Run `pairs` rounds of measure-then-baseline; `extra` (a context column) runs third in
    each round. Returns the pairs and what `extra` measured."""
    if pairs < 1:
        raise ValueError("at least one pair")
    measured, base, ratios, context = [], [], [], []
    for _ in range(pairs):
        a = measure()
        b = baseline()
        measured.append(a)
        base.append(b)
        ratios.append(ratio(a, b))
        if extra is not None:
            context.append(extra())
    return Pairs(tuple(measured), tuple(base), tuple(ratios)), context


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of them at or
    below it."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median_of(values: Sequence[float]) -> float:
    return statistics.median(values)


def span(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """`1,234 (1,200-1,260)`: the median of rounds and their range."""
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-" \
           f"{fmt.format(max(values))})"
