"""Outcomes not known yet, for the pages that count them over the audit's facts themselves
(the weekly review): the audit's own definition (:func:`momentum.audit.outcomes.observe`),
never a second one. A deal's meeting-two outcome is *pending* while meeting one was fewer than
the observation window's business days before the as-of instant (in its owner's calendar:
their time zone and holidays) and no meeting two was held yet, or one is still scheduled after
as-of.

The dashboard and coaching read the audit's result instead (its facts' ``pending`` column and
``AuditResult.weekly``), which this equals."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from momentum import defaults
from momentum.audit.outcomes import observe


def pending(
    facts: pl.DataFrame,
    *,
    as_of: datetime,
    window: int = defaults.OBSERVATION_BUSINESS_DAYS,
) -> pl.Series:
    """True for each deal (row of the audit's facts) whose outcome is still pending."""
    if facts.height == 0:
        return pl.Series("pending", [], dtype=pl.Boolean)
    return observe(facts, as_of=as_of, window=window)["pending"].fill_null(False)
