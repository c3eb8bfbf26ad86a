"""The stage timeline: how long deals stay in each stage, and where they stop moving.

From the deals' stage entries (``canonical.STAGE_COLUMNS``), as of the audit's as-of instant
(entries after it are not known yet; a deal closed after it is still open):

- Each deal's entries in time order; an entry of the stage the deal is already in is no move
  (Salesforce's OpportunityHistory writes a row for every amount or date change too), so
  consecutive entries of one stage are one.
- A won or lost deal's last entry is where it *closed*, not a stage it worked in, when it was
  entered less than a day before the deal's close (``closed_at``) or later.
- Every other entry starts a *stay*: it ends when the deal enters its next stage, or for a
  closed deal whose history stops before its close, at the close. Its length is in calendar
  days (24-hour days, weekends included). An open deal's last stay has not ended: the deal is
  *in the stage now*, and *stuck* there when it entered it more than ``stalled_days`` before.
- A lost deal was *lost from* the stage of its last stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from momentum.audit.result import StageFigures, StageTimeline

DAY_MICROSECONDS = 86_400_000_000
CLOSE_SLACK = timedelta(days=1)  # a closing entry may be written up to a day before the close


def stays(entries: pl.DataFrame, deals: pl.DataFrame, *, as_of: datetime) -> pl.DataFrame:
    """One row per stay: ``deal_id``, ``stage``, ``position`` (its place in the deal's
    history), ``days`` (null while it runs), ``running``, ``entered_at``, ``outcome``, and
    ``last`` (the deal's last stay)."""
    closed = pl.col("outcome").is_in(["won", "lost"]) & (pl.col("closed_at") <= as_of)
    history = (
        entries.filter(pl.col("entered_at") <= as_of)
        .join(
            deals.select("deal_id", "outcome", "closed_at"),
            on="deal_id",
            how="inner",
        )
        .with_columns(
            pl.when(closed).then(pl.col("outcome")).otherwise(pl.lit("open")).alias("outcome")
        )
        .sort("deal_id", "entered_at", maintain_order=True)
    )
    moved = (pl.col("stage") != pl.col("stage").shift(1).over("deal_id")).fill_null(True)
    history = history.filter(moved).with_columns(
        pl.int_range(pl.len()).over("deal_id").alias("position"),
        pl.col("entered_at").shift(-1).over("deal_id").alias("_next"),
    )
    is_last = pl.col("position") == pl.col("position").max().over("deal_id")
    closing = (
        is_last
        & (pl.col("outcome") != "open")
        & (pl.col("entered_at") >= pl.col("closed_at") - CLOSE_SLACK)
    )
    kept = history.filter(~closing)
    end = pl.coalesce(
        pl.col("_next"), pl.when(pl.col("outcome") != "open").then(pl.col("closed_at"))
    )
    return kept.with_columns(
        ((end - pl.col("entered_at")).dt.total_microseconds() / DAY_MICROSECONDS).alias("days"),
        end.is_null().alias("running"),
        (pl.col("position") == pl.col("position").max().over("deal_id")).alias("last"),
    ).select("deal_id", "stage", "position", "days", "running", "entered_at", "outcome", "last")


def stage_timeline(
    entries: pl.DataFrame, deals: pl.DataFrame, *, as_of: datetime, stalled_days: int
) -> StageTimeline:
    """The timeline of ``deals`` (deal_id, outcome, closed_at) from their ``entries``."""
    rows = stays(entries, deals, as_of=as_of)
    stuck_before = as_of - timedelta(days=stalled_days)
    per_stage = (
        rows.with_columns(
            (pl.col("running") & (pl.col("entered_at") < stuck_before)).alias("stuck"),
            (pl.col("last") & (pl.col("outcome") == "lost")).alias("lost_from"),
        )
        .group_by("stage")
        .agg(
            pl.col("deal_id").n_unique().alias("deals"),
            pl.col("days").count().alias("stays_ended"),
            pl.col("days").median().alias("median_days"),
            pl.col("running").sum().alias("open_now"),
            pl.col("stuck").sum(),
            pl.col("lost_from").sum(),
            pl.col("position").mean().alias("_order"),
        )
        .sort("_order", "stage")
    )
    lasts = rows.filter(pl.col("last"))
    return StageTimeline(
        stalled_days=stalled_days,
        deals=rows["deal_id"].n_unique(),
        open_deals=lasts.filter(pl.col("outcome") == "open").height,
        lost_deals=lasts.filter(pl.col("outcome") == "lost").height,
        stages=tuple(
            StageFigures(
                stage=str(record["stage"]),
                deals=int(record["deals"]),
                stays_ended=int(record["stays_ended"]),
                median_days=record["median_days"],
                open_now=int(record["open_now"]),
                stuck=int(record["stuck"]),
                lost_from=int(record["lost_from"]),
            )
            for record in per_stage.iter_rows(named=True)
        ),
    )
