"""Team, per-rep and per-week figures: aggregates of :func:`momentum.audit.facts.deal_facts`.

Every rate is counted first (:func:`rate_counts` gives a :class:`~momentum.audit.result.Rate`
per figure), so before/after comparisons and findings test the very counts the figures show. Gap statistics use numpy (mean; median and p90
by linear interpolation, numpy's default), as PRODUCT.md says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl

from momentum.audit.facts import BUCKETS
from momentum.audit.result import BucketFigures, Figures, GapStats, Rate

# The counts of each rate, as PRODUCT.md's table defines its numerator and denominator, by
# the Figures field that holds it; the target's rate is added by _count_columns.
RATE_COUNTS: dict[str, tuple[pl.Expr, pl.Expr]] = {
    "booked": (pl.col("m2_booked"), pl.col("m1_start").is_not_null()),
    "booked_on_the_spot": (
        pl.col("on_the_spot").fill_null(False),
        pl.col("on_the_spot").is_not_null(),
    ),
    "held": (pl.col("m2_held"), pl.col("m1_start").is_not_null()),
    "rescheduled": (pl.col("m2_booked") & pl.col("rescheduled"), pl.col("m2_booked")),
    "attendance": (
        pl.col("held_attempts"),
        pl.col("held_attempts") + pl.col("no_show_attempts"),
    ),
    "close": (pl.col("outcome") == "won", pl.col("outcome").is_in(["won", "lost"])),
}
WITHIN_TARGET = "within_target"
GAP_COLUMNS = ("gap_calendar_days", "gap_business_days")  # facts columns, Figures fields
Counts = dict[str, Rate]
# the figures the data cannot tell, by Figures field, and why (see audit.service)
Unknown = Mapping[str, str]
NOTHING: Unknown = MappingProxyType({})
# Where a store mixes sources, the deals whose own source cannot tell a figure: a boolean
# facts column per Figures field, present only then. audit.service sets it and takes those
# deals' counts out of the figure; here they are counted (Rate.left_out).
LEFT_OUT = {"attendance": "attendance_left_out"}


def gap_stats(values: np.ndarray[Any, Any]) -> GapStats | None:
    if values.size == 0:
        return None
    return GapStats(
        mean=float(np.mean(values)),
        median=float(np.quantile(values, 0.5)),
        p90=float(np.quantile(values, 0.9)),
    )


def with_first_meeting(facts: pl.DataFrame) -> pl.DataFrame:
    """The deals with M1. ``deal_facts`` puts them first, so this is usually a slice of the
    frame rather than a copy of it."""
    first = int(facts["m1_start"].is_not_null().sum())
    if facts["m1_start"].head(first).null_count() == 0:
        return facts.head(first)
    return facts.filter(pl.col("m1_start").is_not_null())


def _count_columns(target_days: int, columns: Sequence[str]) -> list[pl.Expr]:
    """The sums behind every rate, and the deals left out of one (``LEFT_OUT``) where
    ``columns`` (the facts') say which."""
    pairs = {
        **RATE_COUNTS,
        WITHIN_TARGET: (
            pl.col("m2_held") & (pl.col("gap_business_days") <= target_days),
            pl.col("m2_held"),
        ),
    }
    return [
        expr.cast(pl.Int64).sum().alias(f"{name}|{part}")
        for name, pair in pairs.items()
        for part, expr in zip(("n", "d"), pair, strict=True)
    ] + [
        pl.col(column).cast(pl.Int64).sum().alias(f"{name}|left_out")
        for name, column in LEFT_OUT.items()
        if column in columns
    ]


# each rate's name and its columns among _count_columns' sums
_COUNT_NAMES = tuple(
    (name, f"{name}|n", f"{name}|d", f"{name}|left_out") for name in (*RATE_COUNTS, WITHIN_TARGET)
)
# each gap bucket's deals, won and lost, as columns beside the rates' counts
_BUCKET_COUNTS = [
    expr.sum().alias(f"{bucket}|{part}")
    for bucket in BUCKETS
    for part, expr in (
        ("deals", pl.col("bucket") == bucket),
        ("won", (pl.col("bucket") == bucket) & (pl.col("outcome") == "won")),
        ("lost", (pl.col("bucket") == bucket) & (pl.col("outcome") == "lost")),
    )
]


def _sums(target_days: int, columns: Sequence[str]) -> list[pl.Expr]:
    """Everything a block of figures counts, in one pass: its deals (with M1), the rates'
    counts and the gap buckets'."""
    return [pl.len().alias("deals"), *_count_columns(target_days, columns), *_BUCKET_COUNTS]


def _rates(sums: dict[str, list[Any]], unknown: Unknown) -> list[Counts]:
    """Each row's rates, from the columns of :func:`_count_columns`' sums (read column by
    column: thousands of reps, no dictionary per row)."""
    by_rate = {}
    for name, n, d, left_out in _COUNT_NAMES:
        why = unknown.get(name)
        others = sums.get(left_out) or [0] * len(sums[n])
        by_rate[name] = [
            Rate(count, of, why, out)
            for count, of, out in zip(sums[n], sums[d], others, strict=True)
        ]
    return [dict(zip(by_rate, rates, strict=True)) for rates in zip(*by_rate.values(), strict=True)]


def _bucket_rows(sums: dict[str, list[Any]]) -> list[tuple[BucketFigures, ...]]:
    """Each row's gap buckets, from the columns of ``_BUCKET_COUNTS``."""
    per_bucket = [
        [
            BucketFigures(bucket, deals, won, lost)
            for deals, won, lost in zip(
                sums[f"{bucket}|deals"], sums[f"{bucket}|won"], sums[f"{bucket}|lost"], strict=True
            )
        ]
        for bucket in BUCKETS
    ]
    return list(zip(*per_bucket, strict=True))


def rate_counts(facts: pl.DataFrame, *, target_days: int, unknown: Unknown = NOTHING) -> Counts:
    """Every rate's counts over the deals with M1 in ``facts``, by Figures field."""
    counted = (
        with_first_meeting(facts)
        .lazy()
        .select(_count_columns(target_days, facts.columns))
        .collect()
    )
    return _rates(counted.to_dict(as_series=False), unknown)[0]


def gap_values(facts: pl.DataFrame) -> dict[str, np.ndarray[Any, Any]]:
    """The gaps of the deals with M2 held, by facts column (``GAP_COLUMNS``)."""
    held = with_first_meeting(facts).lazy().filter(pl.col("m2_held")).select(GAP_COLUMNS).collect()
    return {column: held[column].to_numpy() for column in GAP_COLUMNS}


def _figures(
    deals: int,
    with_m1: int,
    counts: Counts,
    gaps: dict[str, GapStats | None],
    buckets: tuple[BucketFigures, ...],
) -> Figures:
    return Figures(
        deals=deals,
        deals_with_first_meeting=with_m1,
        booked=counts["booked"],
        booked_on_the_spot=counts["booked_on_the_spot"],
        held=counts["held"],
        rescheduled=counts["rescheduled"],
        attendance=counts["attendance"],
        within_target=counts[WITHIN_TARGET],
        close=counts["close"],
        gap_calendar_days=gaps["gap_calendar_days"],
        gap_business_days=gaps["gap_business_days"],
        by_gap=buckets,
    )


def figures(facts: pl.DataFrame, *, target_days: int, unknown: Unknown = NOTHING) -> Figures:
    """The team-level block: deals, the second-meeting funnel, close rates."""
    funnel = with_first_meeting(facts)
    sums = funnel.lazy().select(_sums(target_days, facts.columns)).collect()
    columns = sums.to_dict(as_series=False)
    return _figures(
        facts.height,
        funnel.height,
        _rates(columns, unknown)[0],
        {column: gap_stats(values) for column, values in gap_values(funnel).items()},
        _bucket_rows(columns)[0],
    )


def grouped(
    facts: pl.DataFrame, key: str, *, target_days: int, unknown: Unknown = NOTHING
) -> list[tuple[Any, Figures]]:
    """The same figures per value of ``key`` (deals with M1 only), sorted by that value, in
    one pass over the deals."""
    funnel = with_first_meeting(facts)
    if funnel.height == 0:
        return []
    # lazy: each query reads only the columns it needs
    sums = (
        funnel.lazy()
        .group_by(key)
        .agg(_sums(target_days, facts.columns))
        .sort(key)
        .collect()
        .to_dict(as_series=False)
    )
    held = funnel.lazy().filter(pl.col("m2_held")).select(key, *GAP_COLUMNS).collect()
    stats = _grouped_gap_stats(held, key)
    return [
        (
            value,
            _figures(
                deals,
                deals,
                counts,
                {column: stats[column].get(value) for column in GAP_COLUMNS},
                buckets,
            ),
        )
        for value, deals, counts, buckets in zip(
            sums[key], sums["deals"], _rates(sums, unknown), _bucket_rows(sums), strict=True
        )
    ]


def _grouped_gap_stats(held: pl.DataFrame, key: str) -> dict[str, dict[Any, GapStats]]:
    """:func:`gap_stats` per group, computed by numpy on all groups of one size at once (a
    row each of a matrix), so thousands of reps cost a few calls rather than thousands."""
    found: dict[str, dict[Any, GapStats]] = {column: {} for column in GAP_COLUMNS}
    if held.height == 0:
        return found
    held = held.sort(key).with_columns(pl.len().over(key).alias("_size"))
    for (size,), group in held.partition_by("_size", as_dict=True).items():
        keys = group[key].gather_every(int(size)).to_list()  # each group's first row
        for column in GAP_COLUMNS:
            matrix = group[column].to_numpy().reshape(-1, int(size))
            means = np.mean(matrix, axis=1).tolist()
            medians, p90s = np.quantile(matrix, [0.5, 0.9], axis=1).tolist()
            for value, mean, median, p90 in zip(keys, means, medians, p90s, strict=True):
                found[column][value] = GapStats(mean=mean, median=median, p90=p90)
    return found
