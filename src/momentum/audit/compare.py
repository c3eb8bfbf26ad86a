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
from momentum.audit.figures import GAP_COLUMNS, figures, gap_values
from momentum.audit.result import MEAN_GAPS, RATES, Compare, Comparison


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


def compare(facts: pl.DataFrame, *, at: date, target_days: int) -> Compare:
    before = in_period(facts, until=date.fromordinal(at.toordinal() - 1))
    after = in_period(facts, since=at)
    sides = figures(before, target_days=target_days), figures(after, target_days=target_days)
    differences: list[Comparison] = []
    for metric in RATES:
        assert metric.rate is not None
        r0, r1 = metric.rate(sides[0]), metric.rate(sides[1])
        interval = newcombe((r0.numerator, r0.denominator), (r1.numerator, r1.denominator))
        differences.append(
            Comparison(metric, r0.value, r1.value, interval, r0.denominator, r1.denominator)
        )
    gaps = gap_values(before), gap_values(after)
    for metric, column in zip(MEAN_GAPS, GAP_COLUMNS, strict=True):
        values0, values1 = gaps[0][column], gaps[1][column]
        differences.append(
            Comparison(
                metric,
                float(np.mean(values0)) if values0.size else None,
                float(np.mean(values1)) if values1.size else None,
                welch(values0, values1),
                int(values0.size),
                int(values1.size),
            )
        )
    return Compare(at=at, before=sides[0], after=sides[1], differences=tuple(differences))
