"""Outcomes not known yet: a deal's meeting-two outcome is *pending* while meeting one ended
fewer than the observation window's business days before the as-of instant and no meeting
two was held yet. Comparisons of weeks show such deals apart instead of counting them as
lost momentum."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from momentum import defaults
from momentum.businessdays import WEEKMASK


def pending(
    facts: pl.DataFrame,
    *,
    as_of: datetime,
    window: int = defaults.OBSERVATION_BUSINESS_DAYS,
) -> pl.Series:
    """True for each deal (row of the audit's facts) whose outcome is still pending."""
    if facts.height == 0:
        return pl.Series("pending", [], dtype=pl.Boolean)
    dates = facts["m1_date"]
    known = dates.is_not_null()
    ends = np.full(facts.height, np.datetime64("NaT"), dtype="datetime64[D]")
    if known.any():
        rows = known.arg_true().to_numpy()
        ends[rows] = np.busday_offset(
            dates.gather(rows).to_numpy().astype("datetime64[D]"),
            window,
            roll="forward",
            weekmask=WEEKMASK,
        )
    window_open = pl.Series(ends).cast(pl.Date) > as_of.date()
    held = facts["m2_held"].fill_null(False)
    return (known & window_open.fill_null(False) & ~held).alias("pending")
