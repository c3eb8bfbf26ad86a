"""Team, per-rep and per-week figures: aggregates of :func:`momentum.audit.facts.deal_facts`.

Rates are fractions in [0, 1] and ``None`` where the denominator is 0. Gap statistics use
numpy (mean; median and p90 by linear interpolation, numpy's default), as PRODUCT.md says.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from momentum.audit.facts import BUCKETS

Figures = dict[str, Any]


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


_COUNTS = (
    pl.len().alias("deals"),
    pl.col("m1_start").is_not_null().sum().alias("with_m1"),
    (pl.col("m1_start").is_not_null() & pl.col("m2_booked")).sum().alias("booked"),
    (pl.col("m1_start").is_not_null() & pl.col("m2_held")).sum().alias("held"),
    (pl.col("on_the_spot") == True).sum().alias("spot"),  # noqa: E712 (null is not True)
    pl.col("on_the_spot").is_not_null().sum().alias("spot_known"),
    (pl.col("m2_booked") & pl.col("rescheduled")).sum().alias("rescheduled"),
    pl.col("held_attempts").sum().alias("held_attempts"),
    pl.col("no_show_attempts").sum().alias("no_show_attempts"),
)


def _funnel(
    counts: dict[str, int],
    gaps_cal: np.ndarray[Any, Any],
    gaps_bus: np.ndarray[Any, Any],
    target_days: int,
) -> Figures:
    return {
        "booked_rate": rate(counts["booked"], counts["with_m1"]),
        "booked_on_the_spot_rate": rate(counts["spot"], counts["spot_known"]),
        "held_rate": rate(counts["held"], counts["with_m1"]),
        "reschedule_rate": rate(counts["rescheduled"], counts["booked"]),
        "attendance_rate": rate(
            counts["held_attempts"], counts["held_attempts"] + counts["no_show_attempts"]
        ),
        "gap_calendar_days": gap_stats(gaps_cal),
        "gap_business_days": gap_stats(gaps_bus),
        "within_target_rate": rate(int((gaps_bus <= target_days).sum()), int(gaps_bus.size)),
    }


def _close_rate_by_gap(frame: pl.DataFrame) -> list[Figures]:
    counted = {
        row["bucket"]: row
        for row in frame.filter(pl.col("m1_start").is_not_null())
        .group_by("bucket")
        .agg(
            pl.len().alias("deals"),
            (pl.col("outcome") == "won").sum().alias("won"),
            (pl.col("outcome") == "lost").sum().alias("lost"),
        )
        .iter_rows(named=True)
    }
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


def figures(facts: pl.DataFrame, *, target_days: int) -> Figures:
    """The team-level block: deals, the second-meeting funnel, close rates."""
    counts = facts.select(_COUNTS).row(0, named=True)
    held = facts.filter(pl.col("m2_held") & pl.col("m1_start").is_not_null())
    closed = (
        facts.filter(pl.col("m1_start").is_not_null())
        .select(
            (pl.col("outcome") == "won").sum().alias("won"),
            (pl.col("outcome") == "lost").sum().alias("lost"),
        )
        .row(0, named=True)
    )
    return {
        "deals": int(counts["deals"]),
        "deals_with_first_meeting": int(counts["with_m1"]),
        "second_meeting": _funnel(
            {k: int(v) for k, v in counts.items()},
            held["gap_calendar_days"].to_numpy(),
            held["gap_business_days"].to_numpy(),
            target_days,
        ),
        "close_rate_after_first_meeting": rate(closed["won"], closed["won"] + closed["lost"]),
        "close_rate_by_gap": _close_rate_by_gap(facts),
    }


def grouped(facts: pl.DataFrame, key: str, label: str, *, target_days: int) -> list[Figures]:
    """The same figures per value of ``key`` (deals with M1 only), sorted by that value.
    Each entry starts with ``{label: value}`` and has no ``deals`` count (as in PRODUCT.md)."""
    entries = []
    scoped = facts.filter(pl.col("m1_start").is_not_null()).sort(key)
    for (value,), part in scoped.partition_by(key, as_dict=True, maintain_order=True).items():
        block = figures(part, target_days=target_days)
        del block["deals"]
        entries.append({label: value, **block})
    return entries
