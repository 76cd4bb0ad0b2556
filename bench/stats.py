"""Summaries of samples: percentiles by linear interpolation between closest ranks
(numpy's default), so small samples give stable, comparable p95s.

>>> summarize([1.0, 2.0, 3.0, 4.0]).p50
2.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of an ascending, non-empty sequence."""
    if not ordered:
        raise ValueError("percentile of no samples")
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    mean: float
    min: float
    p50: float
    p95: float
    p99: float
    max: float


def summarize(samples: Sequence[float]) -> Summary:
    ordered = sorted(samples)
    return Summary(
        n=len(ordered),
        mean=sum(ordered) / len(ordered),
        min=ordered[0],
        p50=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=ordered[-1],
    )
