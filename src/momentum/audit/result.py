"""What an audit produces, for every output (terminal, JSON, HTML, web) to render.

``AuditResult.report`` is the JSON object PRODUCT.md defines (``deals``,
``deals_with_first_meeting``, ``second_meeting``, ``close_rate_after_first_meeting``,
``close_rate_by_gap``, ``by_rep``, ``weekly``, ``findings``; plus ``compare`` when a
before/after split was asked for). The other fields carry what the richer outputs draw from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from momentum import defaults


@dataclass(frozen=True)
class AuditOptions:
    target_days: int = defaults.TARGET_BUSINESS_DAYS
    grace: timedelta = timedelta(minutes=defaults.ON_THE_SPOT_GRACE_MINUTES)
    since: date | None = None
    until: date | None = None
    compare_at: date | None = None
    default_timezone: str = "UTC"


@dataclass(frozen=True)
class Survival:
    """Kaplan–Meier estimate of the share of deals (with M1) whose meeting two has not yet
    been held ``days[i]`` business days after meeting one. Deals without M2 held are
    censored at the data's end. ``low``/``high`` bound a pointwise 95 % confidence interval."""

    days: list[int]
    not_yet_held: list[float]
    low: list[float]
    high: list[float]
    at_risk: list[int]
    deals: int
    events: int


@dataclass
class AuditResult:
    report: dict[str, Any]
    facts: pl.DataFrame  # one row per deal in scope; columns: momentum.audit.facts.FACT_COLUMNS
    options: AuditOptions
    survival: Survival | None
    rep_names: dict[str, str] = field(default_factory=dict)  # rep_id -> name, where known
    sources: list[str] = field(default_factory=list)  # files read, or the store's URL
    data_end: datetime | None = None  # the latest instant in the data (censoring time)
