"""Before and after a date: every figure on both sides, the difference, and whether it is real.

Deals are split by their M1's local date. Each side's documented figures count every deal;
the differences are measured on the deals whose outcome is known
(:func:`momentum.audit.outcomes.known_outcomes`), so recent deals whose second meeting has not
had the time to happen do not read as a drop. For a rate the 95 % interval of the difference is
Newcombe's and the test Fisher's exact test; for a mean gap, Welch's t interval and test. The
nine figures are tested at once, so their p-values are adjusted with Holm's method: a change
is *significant* when its adjusted p-value is at most 0.05 and its interval excludes zero.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from momentum.audit.facts import in_period
from momentum.audit.figures import GAP_COLUMNS, NOTHING, Unknown, figures, gap_values
from momentum.audit.outcomes import known_outcomes
from momentum.audit.result import MEAN_GAPS, RATES, Compare, Comparison
from momentum.audit.stats import fisher, holm, newcombe, welch, welch_p


def _sides(facts: pl.DataFrame, at: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    return in_period(facts, until=date.fromordinal(at.toordinal() - 1)), in_period(facts, since=at)


def compare(
    facts: pl.DataFrame, *, at: date, target_days: int, window: int, unknown: Unknown = NOTHING
) -> Compare:
    """``facts`` must carry the observation columns (:func:`momentum.audit.outcomes.observe`)."""
    before, after = _sides(facts, at)
    known = known_outcomes(before, window=window), known_outcomes(after, window=window)
    sides = (
        figures(known[0], target_days=target_days, unknown=unknown),
        figures(known[1], target_days=target_days, unknown=unknown),
    )
    found: list[Comparison] = []
    for metric in RATES:
        assert metric.rate is not None
        r0, r1 = metric.rate(sides[0]), metric.rate(sides[1])
        told = r0.unknown is None and r1.unknown is None
        interval = newcombe((r0.numerator, r0.denominator), (r1.numerator, r1.denominator))
        found.append(
            Comparison(
                metric,
                r0.value,
                r1.value,
                interval if told else None,
                r0.denominator,
                r1.denominator,
                p_value=fisher(r0, r1) if told else None,
            )
        )
    gaps = gap_values(known[0]), gap_values(known[1])
    for metric, column in zip(MEAN_GAPS, GAP_COLUMNS, strict=True):
        values0, values1 = gaps[0][column], gaps[1][column]
        found.append(
            Comparison(
                metric,
                float(np.mean(values0)) if values0.size else None,
                float(np.mean(values1)) if values1.size else None,
                welch(values0, values1),
                int(values0.size),
                int(values1.size),
                p_value=welch_p(values0, values1),
            )
        )
    adjusted = holm([item.p_value for item in found])
    differences = tuple(
        Comparison(
            item.metric,
            item.before,
            item.after,
            item.ci95,
            item.before_n,
            item.after_n,
            item.p_value,
            p,
        )
        for item, p in zip(found, adjusted, strict=True)
    )
    return Compare(
        at=at,
        before=figures(before, target_days=target_days, unknown=unknown),
        after=figures(after, target_days=target_days, unknown=unknown),
        known_before=sides[0],
        known_after=sides[1],
        pending_before=int(before["pending"].sum()),
        pending_after=int(after["pending"].sum()),
        differences=differences,
    )
