"""The audit's statistics, in one place (scipy does the work; the Wilson interval is its
closed form).

- :func:`wilson`: the 95 % Wilson score interval of a rate.
- :func:`newcombe`: the 95 % interval of a difference of two rates (Newcombe's hybrid score
  interval, built from the two Wilson intervals).
- :func:`welch`: the 95 % interval of a difference of two means (Welch's t).
- :func:`fisher`: the two-sided p-value of Fisher's exact test on two rates' counts: right for
  small counts (a rep's dozen deals) as for large ones.
- :func:`holm` and :func:`benjamini_hochberg`: p-values adjusted for testing many figures at
  once (Holm controls the chance of any false alarm; Benjamini–Hochberg the expected share of
  false alarms among the alarms raised).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from momentum.audit.result import Rate

# scipy.stats takes a second or more to import, so the audit's modules import it where they
# use it: a command that stops before the statistics (a refused input) does not wait for it.

LEVEL = 0.95
ALPHA = 1 - LEVEL  # a difference is established when its adjusted p-value is at most this


def import_scipy() -> None:
    """Import scipy.stats now: a server does as it starts, so that its first audit does not
    wait for it."""
    _z()


@cache
def _z() -> float:
    """1.96: the normal quantile of a 95 % interval."""
    from scipy import stats

    return float(stats.norm.ppf(0.5 + LEVEL / 2))


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The Wilson score interval, in the closed form of Newcombe (1998). scipy computes it
    only as part of a binomial test (``binomtest(k, n).proportion_ci(method="wilson")``),
    whose p-value the audit does not use and which costs a millisecond a call: two calls
    for each rep flagged at each step, 2,000 on a team of 20,000 reps. A test holds this
    equal to scipy's."""
    if trials == 0:
        return None
    z = _z()
    p, z2 = successes / trials, z * z
    denominator = 2 * (trials + z2)
    centre = (2 * trials * p + z2) / denominator
    half = z * math.sqrt(z2 + 4 * trials * p * (1 - p)) / denominator
    # at the ends the bound is exactly 0 or 1 (as scipy gives it), not a rounding error away
    low = 0.0 if successes == 0 else centre - half
    high = 1.0 if successes == trials else centre + half
    return low, high


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
    test = _welch_test(before, after)
    if test is None:
        return None
    if isinstance(test, float):
        return test, test
    interval = test.confidence_interval(LEVEL)
    return float(interval.low), float(interval.high)


def welch_p(before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]) -> float | None:
    """The two-sided p-value of Welch's t test; None when it cannot be computed."""
    test = _welch_test(before, after)
    if test is None:
        return None
    if isinstance(test, float):
        return 0.0 if test else 1.0
    return float(test.pvalue)


def _welch_test(before: np.ndarray[Any, Any], after: np.ndarray[Any, Any]) -> Any:
    before, after = np.sort(before), np.sort(after)
    if before.size < 2 or after.size < 2:
        return None
    if np.var(before) == 0 and np.var(after) == 0:
        return float(np.mean(after) - np.mean(before))  # no spread: the difference is exact
    from scipy import stats

    return stats.ttest_ind(after.astype(float), before.astype(float), equal_var=False)


def fisher(a: Rate, b: Rate) -> float | None:
    """Two-sided p-value of Fisher's exact test that ``a`` and ``b`` share one rate."""
    if a.denominator == 0 or b.denominator == 0:
        return None
    table = [
        [a.numerator, a.denominator - a.numerator],
        [b.numerator, b.denominator - b.numerator],
    ]
    from scipy import stats

    return float(stats.fisher_exact(table).pvalue)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment (None stays None, and is not counted as a test)."""
    return _adjusted(p_values, "holm")


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg's adjustment (None stays None, and is not counted as a test)."""
    return _adjusted(p_values, "bh")


def _adjusted(p_values: Sequence[float | None], method: str) -> list[float | None]:
    tested = [i for i, p in enumerate(p_values) if p is not None]
    if not tested:
        return [None] * len(p_values)
    values = np.array([p_values[i] for i in tested], dtype=float)
    if method == "bh":
        from scipy import stats

        adjusted = stats.false_discovery_control(values, method="bh")
    else:
        order = np.argsort(values, kind="stable")
        steps = values[order] * (len(values) - np.arange(len(values)))
        ranked = np.minimum(np.maximum.accumulate(steps), 1.0)
        adjusted = np.empty_like(ranked)
        adjusted[order] = ranked
    out: list[float | None] = [None] * len(p_values)
    for index, value in zip(tested, adjusted, strict=True):
        out[index] = float(value)
    return out


def excludes_zero(interval: tuple[float, float] | None) -> bool:
    return interval is not None and (interval[0] > 0 or interval[1] < 0)
