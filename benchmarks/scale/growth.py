"""Growth of each stage's cost with the photo count: a least-squares line through (log n, log cost)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def growth_exponent(points: Sequence[tuple[float, float]]) -> float | None:
    """The slope b of log y = a + b log x through `points` (x, y > 0); None with fewer than two distinct x."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in usable}) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    sxx = sum((x - mean_x) ** 2 for x, _ in usable)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in usable)
    return sxy / sxx


def n_log_n_exponent(low: float, high: float) -> float:
    """The log-log slope n log n has between photo counts `low` and `high`: the bound a stage should stay under."""
    return 1.0 + math.log(math.log(high) / math.log(low)) / math.log(high / low)
