"""The canonical model as column frames: what every importer produces and the audit reads.

Times are instants in UTC (``Datetime("us", "UTC")``). A :class:`Dataset` holds one frame per
table; PRODUCT.md's "Canonical data" section is the contract for their columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from momentum.deal.models import Outcome
from momentum.meeting.models import MeetingStatus

UTC_TIME = pl.Datetime("us", "UTC")

REP_COLUMNS: dict[str, pl.DataType] = {
    "rep_id": pl.String(),
    "name": pl.String(),
    "email": pl.String(),
    "team": pl.String(),
    "manager_id": pl.String(),
    "timezone": pl.String(),
    "country": pl.String(),
}
DEAL_COLUMNS: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "account": pl.String(),
    "owner_id": pl.String(),
    "created_at": UTC_TIME,
    "stage": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "outcome": pl.String(),
    "closed_at": UTC_TIME,
}
MEETING_COLUMNS: dict[str, pl.DataType] = {
    "meeting_id": pl.String(),
    "deal_id": pl.String(),
    "start": UTC_TIME,
    "end": UTC_TIME,
    "booked_at": UTC_TIME,
    "status": pl.String(),
    "agenda": pl.String(),
    "homework": pl.String(),
}
# a deal's stage history: it entered ``stage`` at ``entered_at`` (optional in every format)
STAGE_COLUMNS: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "stage": pl.String(),
    "entered_at": UTC_TIME,
}
CONTACT_COLUMNS: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "email": pl.String(),
}

REQUIRED = {
    "reps": ("rep_id",),
    "deals": ("deal_id", "owner_id", "outcome"),
    "meetings": ("meeting_id", "deal_id", "start", "status"),
    "stages": ("deal_id", "stage", "entered_at"),
}
OUTCOMES = tuple(o.value for o in Outcome)
MEETING_STATUSES = tuple(s.value for s in MeetingStatus)
DEFAULT_MEETING_MINUTES = 30
# An optional meetings column the file reader adds for the audit: the row of each meeting's
# deal in the dataset's deals (UInt32). Its name is the definitions' deal key, which it is.
DEAL_ROW = "_deal"


def empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=columns)


def conform(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with exactly ``columns``, in order, missing ones as nulls."""
    if frame.width == 0:  # selecting literals from nothing would make one row
        return empty(columns)
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in columns.items()
        ]
    )


@dataclass
class Dataset:
    """Reps, deals and meetings, validated and in canonical form. ``stages`` is the deals'
    stage history (:data:`STAGE_COLUMNS`), ``None`` when the source has none."""

    reps: pl.DataFrame = field(default_factory=lambda: empty(REP_COLUMNS))
    deals: pl.DataFrame = field(default_factory=lambda: empty(DEAL_COLUMNS))
    meetings: pl.DataFrame = field(default_factory=lambda: empty(MEETING_COLUMNS))
    contacts: pl.DataFrame = field(default_factory=lambda: empty(CONTACT_COLUMNS))
    stages: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
