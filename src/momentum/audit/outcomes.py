"""Outcomes not known yet: which deals' meeting-two outcome can be known as of an instant.

A deal with meeting one is **pending** while its outcome cannot be known yet: M1 was fewer
than ``window`` business days before as-of (in its owner's calendar) and no M2 was held yet, or
an attempt is still scheduled after as-of. The documented figures count every deal as it
stands; everything that compares periods or groups reads :func:`known_outcomes` instead:

- only the deals whose observation window has closed (M1 at least ``window`` business days
  before as-of), so recent deals, whose second meetings have not had the time to happen, are
  not counted as deals that never got one. A deal past its window whose meeting two is still
  scheduled stays in: within the window it was booked and not held, which is known (leaving
  it out would leave out the slow deals of recent weeks only);
- meeting two counts as held when it was held within the window (a gap of at most ``window``
  business days), and only those gaps are compared, so deals observed for years and deals
  observed for weeks are measured over the same span.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from momentum.audit.facts import BUCKET, NO_M2_BUCKET
from momentum.businessdays import calendar_for
from momentum.localtime import local_date


def observe(facts: pl.DataFrame, *, as_of: datetime, window: int) -> pl.DataFrame:
    """``facts`` with ``days_observed`` (business days from M1's local date to as-of's, in the
    owner's calendar; null without M1), ``window_closed`` and ``pending``."""
    days = np.zeros(facts.height, dtype=np.int64)
    with_m1 = facts["m1_date"].is_not_null()
    if with_m1.any():
        first_year = int(facts["m1_date"].dt.year().min())  # type: ignore[arg-type]
        last_year = max(as_of.year, first_year)
        # split on the categoricals themselves: their keys come out as text, and no column of
        # millions of rows is turned into text first
        places = (
            facts.select("timezone", "country", "m1_date").with_row_index("_row").filter(with_m1)
        )
        # each place's deals counted in its calendar and put in their rows
        for (zone, country), part in places.partition_by(
            "timezone", "country", as_dict=True
        ).items():
            end = np.datetime64(local_date(as_of, zone), "D")
            calendar = calendar_for(country, first_year, last_year)
            counts = calendar.count(part["m1_date"].to_numpy(), np.full(part.height, end))
            days[part["_row"].to_numpy()] = np.maximum(counts, 0)
    observed = pl.select(pl.when(with_m1).then(pl.Series(days))).to_series()
    return (
        facts.with_columns(observed.alias("days_observed"))
        .with_columns(
            (pl.col("days_observed") >= window).alias("window_closed"),
        )
        .with_columns(
            (
                pl.col("m1_start").is_not_null()
                & ~pl.col("m2_held")
                & (
                    ~pl.col("window_closed")
                    | (pl.col("scheduled_until") > pl.lit(as_of.astimezone(UTC))).fill_null(False)
                )
            ).alias("pending")
        )
    )


def known_outcomes(facts: pl.DataFrame, *, window: int) -> pl.DataFrame:
    """The deals whose outcome is known, measured over the same window (see module doc)."""
    in_window = pl.col("m2_held") & (pl.col("gap_business_days") <= window)
    return facts.filter(pl.col("window_closed")).with_columns(
        in_window.alias("m2_held"),
        pl.when(in_window).then(pl.col("gap_calendar_days")).alias("gap_calendar_days"),
        pl.when(in_window).then(pl.col("gap_business_days")).alias("gap_business_days"),
        pl.when(in_window)
        .then(pl.col("bucket"))
        .otherwise(pl.lit(NO_M2_BUCKET).cast(BUCKET))
        .alias("bucket"),
    )
