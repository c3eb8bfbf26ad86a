"""Time to meeting two: a Kaplan–Meier curve over business days after meeting one.

A deal whose meeting two was held is an event at its business-day gap; every other deal with
a meeting one is censored at the data's end (the business days from its M1 to the latest
instant in the data, in its owner's calendar). scipy does the estimation.
"""

from __future__ import annotations

import warnings
from datetime import datetime

import numpy as np
import polars as pl
from scipy import stats

from momentum.audit.figures import with_first_meeting
from momentum.audit.result import Survival
from momentum.businessdays import calendar_for
from momentum.localtime import local_date


def time_to_second_meeting(facts: pl.DataFrame, *, data_end: datetime) -> Survival | None:
    funnel = with_first_meeting(facts)
    if funnel.height == 0:
        return None
    waiting = funnel.select("m2_held", "m1_date", "timezone", "country").filter(~pl.col("m2_held"))
    censored: list[np.ndarray] = []
    for (zone, country), part in waiting.partition_by(
        ["timezone", "country"], as_dict=True
    ).items():
        end_date = np.datetime64(local_date(data_end, str(zone)), "D")
        first = part["m1_date"].min()
        calendar = calendar_for(country, first.year, data_end.year)  # type: ignore[union-attr]
        censored.append(calendar.count(part["m1_date"].to_numpy(), np.full(part.height, end_date)))
    events = funnel.filter(pl.col("m2_held"))["gap_business_days"].to_numpy().astype(float)
    right = np.concatenate(censored).astype(float) if censored else np.array([], dtype=float)
    right = np.maximum(right, 0.0)
    times = np.sort(np.concatenate([events, right]))
    horizon = int(times[-1]) if times.size else 0
    days = np.arange(0, horizon + 1)
    at_risk = (times.size - np.searchsorted(times, days, side="left")).tolist()
    if events.size == 0:
        ones = [1.0] * days.size
        return Survival(
            days=days.tolist(),
            not_yet_held=ones,
            low=ones,
            high=ones,
            at_risk=at_risk,
            deals=funnel.height,
            events=0,
        )
    result = stats.ecdf(stats.CensoredData(uncensored=events, right=right))
    with warnings.catch_warnings():
        # Greenwood's band is undefined where the estimate is 0 or 1; it is the estimate there
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        band = result.sf.confidence_interval(0.95)
    estimate = result.sf.evaluate(days)
    return Survival(
        days=days.tolist(),
        not_yet_held=estimate.tolist(),
        low=np.where(np.isnan(low := band.low.evaluate(days)), estimate, low).tolist(),
        high=np.where(np.isnan(high := band.high.evaluate(days)), estimate, high).tolist(),
        at_risk=at_risk,
        deals=funnel.height,
        events=int(events.size),
    )
