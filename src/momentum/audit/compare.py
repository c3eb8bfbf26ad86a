"""Before and after a date: every figure on both sides, the difference, and whether it is real.

Deals are split by their M1's local date. For a rate the 95 % interval of the difference is
Newcombe's hybrid score interval, built from each side's Wilson interval (scipy); for a mean
gap it is Welch's t interval (scipy). "Significant" means the interval excludes zero.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from momentum.audit.facts import in_period
from momentum.audit.figures import GAPS, figures, gap_values, rate, rate_counts


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    if trials == 0:
        return None
    interval = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def newcombe(before: tuple[int, int], after: tuple[int, int]) -> tuple[float, float] | None:
    """95 % interval for (after rate − before rate)."""
    w_before, w_after = wilson(*before), wilson(*after)
    if w_before is None or w_after is None:
        return None
    p1, p0 = after[0] / after[1], before[0] / before[1]
    (l1, u1), (l0, u0) = w_after, w_before
    difference = p1 - p0
    return (
        difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
        difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2),
    )


def welch(before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]) -> tuple[float, float] | None:
    """95 % interval for (after mean − before mean), the same whatever order the values are
    in (they are sorted first: floating-point sums depend on order)."""
    before, after = np.sort(before), np.sort(after)
    if before.size < 2 or after.size < 2:
        return None
    if np.var(before) == 0 and np.var(after) == 0:
        difference = float(np.mean(after) - np.mean(before))
        return difference, difference
    test = stats.ttest_ind(after.astype(float), before.astype(float), equal_var=False)
    interval = test.confidence_interval(0.95)
    return float(interval.low), float(interval.high)


def _significant(interval: tuple[float, float] | None) -> bool | None:
    if interval is None:
        return None
    return interval[0] > 0 or interval[1] < 0


def compare(facts: pl.DataFrame, *, at: date, target_days: int) -> dict[str, Any]:
    before = in_period(facts, until=date.fromordinal(at.toordinal() - 1))
    after = in_period(facts, since=at)
    counts = (
        rate_counts(before, target_days=target_days),
        rate_counts(after, target_days=target_days),
    )
    differences: list[dict[str, Any]] = []
    for metric in counts[0]:
        (n0, d0), (n1, d1) = counts[0][metric], counts[1][metric]
        r0, r1 = rate(n0, d0), rate(n1, d1)
        interval = newcombe((n0, d0), (n1, d1))
        differences.append(
            {
                "metric": metric,
                "kind": "rate",
                "before": r0,
                "after": r1,
                "difference": None if r0 is None or r1 is None else r1 - r0,
                "ci95": list(interval) if interval else None,
                "significant": _significant(interval),
                "before_n": d0,
                "after_n": d1,
            }
        )
    gaps = gap_values(before), gap_values(after)
    for metric in GAPS:
        values0, values1 = gaps[0][metric], gaps[1][metric]
        m0 = float(np.mean(values0)) if values0.size else None
        m1 = float(np.mean(values1)) if values1.size else None
        interval = welch(values0, values1)
        differences.append(
            {
                "metric": f"{metric}.mean",
                "kind": "days",
                "before": m0,
                "after": m1,
                "difference": None if m0 is None or m1 is None else m1 - m0,
                "ci95": list(interval) if interval else None,
                "significant": _significant(interval),
                "before_n": int(values0.size),
                "after_n": int(values1.size),
            }
        )
    return {
        "at": at.isoformat(),
        "before": figures(before, target_days=target_days),
        "after": figures(after, target_days=target_days),
        "differences": differences,
    }
