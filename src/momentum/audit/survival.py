"""Time to meeting two: a Kaplan–Meier curve over business days after meeting one.

A deal whose meeting two was held is an event at its business-day gap; every other deal with
a meeting one is censored at as-of (the business days from its M1 to as-of, in its owner's
calendar). scipy does the estimation.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from momentum.audit.figures import with_first_meeting
from momentum.audit.result import Survival


def time_to_second_meeting(facts: pl.DataFrame) -> Survival | None:
    """``facts`` must carry ``days_observed`` (:func:`momentum.audit.outcomes.observe`)."""
    funnel = with_first_meeting(facts)
    if funnel.height == 0:
        return None
    held = funnel["m2_held"]  # the two columns filtered, not the whole frame
    waiting = funnel["days_observed"].filter(~held).to_numpy()
    events = funnel["gap_business_days"].filter(held).to_numpy().astype(float)
    right = np.maximum(waiting.astype(float), 0.0)
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
    from scipy import stats  # imported where used: see momentum.audit.stats

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
