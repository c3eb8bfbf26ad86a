"""Team, per-rep and per-week figures: aggregates of :func:`momentum.audit.facts.deal_facts`.

Every rate is a (numerator, denominator) pair first (:func:`rate_counts`), so before/after
comparisons and findings test the very counts the figures show. Rates are fractions in
[0, 1], ``None`` where the denominator is 0. Gap statistics use numpy (mean; median and p90
by linear interpolation, numpy's default), as PRODUCT.md says.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from momentum.audit.facts import BUCKETS

Figures = dict[str, Any]

# Each rate of the JSON, as PRODUCT.md's table defines its numerator and denominator.
RATES: dict[str, tuple[pl.Expr, pl.Expr]] = {
    "second_meeting.booked_rate": (pl.col("m2_booked"), pl.col("m1_start").is_not_null()),
    "second_meeting.booked_on_the_spot_rate": (
        pl.col("on_the_spot").fill_null(False),
        pl.col("on_the_spot").is_not_null(),
    ),
    "second_meeting.held_rate": (pl.col("m2_held"), pl.col("m1_start").is_not_null()),
    "second_meeting.reschedule_rate": (
        pl.col("m2_booked") & pl.col("rescheduled"),
        pl.col("m2_booked"),
    ),
    "second_meeting.attendance_rate": (
        pl.col("held_attempts"),
        pl.col("held_attempts") + pl.col("no_show_attempts"),
    ),
    "close_rate_after_first_meeting": (
        pl.col("outcome") == "won",
        pl.col("outcome").is_in(["won", "lost"]),
    ),
}
WITHIN_TARGET = "second_meeting.within_target_rate"
GAPS = ("second_meeting.gap_calendar_days", "second_meeting.gap_business_days")
GAP_COLUMN = {name: name.split(".", 1)[1] for name in GAPS}  # the facts column of each


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def gap_stats(values: np.ndarray[Any, Any]) -> dict[str, float] | None:
    if values.size == 0:
        return None
    return {
        "mean": float(np.mean(values)),
        "median": float(np.quantile(values, 0.5)),
        "p90": float(np.quantile(values, 0.9)),
    }


def with_first_meeting(facts: pl.DataFrame) -> pl.DataFrame:
    """The deals with M1. ``deal_facts`` puts them first, so this is usually a slice of the
    frame rather than a copy of it."""
    first = int(facts["m1_start"].is_not_null().sum())
    if facts["m1_start"].head(first).null_count() == 0:
        return facts.head(first)
    return facts.filter(pl.col("m1_start").is_not_null())


def _count_columns(target_days: int) -> list[pl.Expr]:
    pairs = {
        **RATES,
        WITHIN_TARGET: (
            pl.col("m2_held") & (pl.col("gap_business_days") <= target_days),
            pl.col("m2_held"),
        ),
    }
    return [
        expr.cast(pl.Int64).sum().alias(f"{name}|{part}")
        for name, pair in pairs.items()
        for part, expr in zip(("n", "d"), pair, strict=True)
    ]


def _counts_of(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    names = [*RATES, WITHIN_TARGET]
    return {name: (int(row[f"{name}|n"] or 0), int(row[f"{name}|d"] or 0)) for name in names}


def rate_counts(facts: pl.DataFrame, *, target_days: int) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of every rate, over the deals with M1 in ``facts``."""
    counted = with_first_meeting(facts).lazy().select(_count_columns(target_days)).collect()
    return _counts_of(counted.row(0, named=True))


def gap_values(facts: pl.DataFrame) -> dict[str, np.ndarray[Any, Any]]:
    held = (
        with_first_meeting(facts)
        .lazy()
        .filter(pl.col("m2_held"))
        .select(GAP_COLUMN.values())
        .collect()
    )
    return {name: held[column].to_numpy() for name, column in GAP_COLUMN.items()}


def _bucket_rows(counted: dict[str, dict[str, Any]]) -> list[Figures]:
    rows = []
    for bucket in BUCKETS:
        row = counted.get(bucket, {"deals": 0, "won": 0, "lost": 0})
        won, lost = int(row["won"]), int(row["lost"])
        rows.append(
            {
                "bucket": bucket,
                "deals": int(row["deals"]),
                "won": won,
                "lost": lost,
                "close_rate": rate(won, won + lost),
            }
        )
    return rows


_BUCKET_COUNTS = (
    pl.len().alias("deals"),
    (pl.col("outcome") == "won").sum().alias("won"),
    (pl.col("outcome") == "lost").sum().alias("lost"),
)


def _block(
    counts: dict[str, tuple[int, int]],
    gaps: dict[str, dict[str, float] | None],
    buckets: list[Figures],
    with_m1: int,
) -> Figures:
    """One block of figures from its counts, gap statistics (by GAPS name) and buckets."""
    rates = {name: rate(*pair) for name, pair in counts.items()}
    return {
        "deals_with_first_meeting": with_m1,
        "second_meeting": {
            "booked_rate": rates["second_meeting.booked_rate"],
            "booked_on_the_spot_rate": rates["second_meeting.booked_on_the_spot_rate"],
            "held_rate": rates["second_meeting.held_rate"],
            "reschedule_rate": rates["second_meeting.reschedule_rate"],
            "attendance_rate": rates["second_meeting.attendance_rate"],
            "gap_calendar_days": gaps["second_meeting.gap_calendar_days"],
            "gap_business_days": gaps["second_meeting.gap_business_days"],
            "within_target_rate": rates[WITHIN_TARGET],
        },
        "close_rate_after_first_meeting": rates["close_rate_after_first_meeting"],
        "close_rate_by_gap": buckets,
    }


def figures(facts: pl.DataFrame, *, target_days: int) -> Figures:
    """The team-level block: deals, the second-meeting funnel, close rates."""
    funnel = with_first_meeting(facts)
    counted = {
        row["bucket"]: row
        for row in funnel.lazy()
        .group_by("bucket")
        .agg(_BUCKET_COUNTS)
        .collect()
        .iter_rows(named=True)
    }
    block = _block(
        rate_counts(funnel, target_days=target_days),
        {name: gap_stats(values) for name, values in gap_values(funnel).items()},
        _bucket_rows(counted),
        funnel.height,
    )
    return {"deals": facts.height, **block}


def grouped(facts: pl.DataFrame, key: str, label: str, *, target_days: int) -> list[Figures]:
    """The same figures per value of ``key`` (deals with M1 only), sorted by that value, in
    one pass over the deals. Each entry starts with ``{label: value}`` and has no ``deals``
    count (as in PRODUCT.md)."""
    funnel = with_first_meeting(facts)
    if funnel.height == 0:
        return []
    # lazy: each query reads only the columns it needs
    counts = (
        funnel.lazy()
        .group_by(key)
        .agg(pl.len().alias("_with_m1"), *_count_columns(target_days))
        .collect()
    )
    buckets: dict[Any, dict[str, dict[str, Any]]] = {}
    per_bucket = funnel.lazy().group_by(key, "bucket").agg(_BUCKET_COUNTS).collect()
    for row in per_bucket.iter_rows(named=True):
        buckets.setdefault(row[key], {})[row["bucket"]] = row
    held = funnel.lazy().filter(pl.col("m2_held")).select(key, *GAP_COLUMN.values()).collect()
    stats = _grouped_gap_stats(held, key)
    entries = []
    for row in counts.sort(key).iter_rows(named=True):
        value = row[key]
        block = _block(
            _counts_of(row),
            {name: stats[name].get(value) for name in GAPS},
            _bucket_rows(buckets.get(value, {})),
            int(row["_with_m1"]),
        )
        entries.append({label: value, **block})
    return entries


def _grouped_gap_stats(held: pl.DataFrame, key: str) -> dict[str, dict[Any, dict[str, float]]]:
    """:func:`gap_stats` per group, computed by numpy on all groups of one size at once (a
    row each of a matrix), so thousands of reps cost a few calls rather than thousands."""
    found: dict[str, dict[Any, dict[str, float]]] = {name: {} for name in GAPS}
    if held.height == 0:
        return found
    held = held.sort(key).with_columns(pl.len().over(key).alias("_size"))
    for (size,), group in held.partition_by("_size", as_dict=True).items():
        keys = group[key].to_list()[:: int(size)]
        for name in GAPS:
            matrix = group[GAP_COLUMN[name]].to_numpy().reshape(-1, int(size))
            means = np.mean(matrix, axis=1)
            medians, p90s = np.quantile(matrix, [0.5, 0.9], axis=1)
            for index, value in enumerate(keys):
                found[name][value] = {
                    "mean": float(means[index]),
                    "median": float(medians[index]),
                    "p90": float(p90s[index]),
                }
    return found
