"""``momentum audit``: read canonical data (files or the store), compute, assemble the result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from momentum.audit.compare import compare
from momentum.audit.facts import deal_facts, in_period
from momentum.audit.figures import LEFT_OUT, figures, grouped, with_first_meeting
from momentum.audit.findings import findings
from momentum.audit.outcomes import observe
from momentum.audit.result import (
    AuditOptions,
    AuditResult,
    RepFigures,
    WeekFigures,
)
from momentum.audit.stages import stage_timeline
from momentum.audit.store import MEETING_SOURCE, NO_SHOW_BLIND
from momentum.audit.survival import time_to_second_meeting
from momentum.canonical import Dataset
from momentum.db.engine import Database
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog


def read_files(paths: Sequence[Path], *, format: str | None, read: ReadOptions) -> Dataset:
    """Validate and read ``paths`` without touching the store; raises ``ValidationFailed``."""
    return open_reader(paths, format=format, options=read, problems=ProblemLog()).read_all()


def read_store(database: Database) -> Dataset:
    from momentum.audit.store import load_dataset

    with database.unit_of_work(write=False) as session:
        return load_dataset(session)


def data_end(data: Dataset) -> datetime | None:
    """The latest thing that happened in the data: a meeting that ended with an outcome, a
    booking, a closing, a deal entering a stage. Meetings still ``scheduled`` are plans, not
    history."""
    candidates = [
        data.meetings.select(pl.col("end").filter(pl.col("status") != "scheduled").max()).item(),
        data.meetings["booked_at"].max(),
        data.deals["closed_at"].max(),
        None if data.stages is None else data.stages["entered_at"].max(),
    ]
    known = [c for c in candidates if isinstance(c, datetime)]
    return max(known) if known else None


NO_NO_SHOWS = (
    "no meeting in the data is marked as a no-show: the source does not seem to record "
    "no-shows, "
    "so attendance cannot be told"
)
NO_BOOKING_TIMES = (
    "no meeting in the data has a booking time (booked_at), so booking on the spot cannot be told"
)


def unknown_figures(data: Dataset) -> dict[str, str]:
    """The figures the data cannot tell, by Figures field, and why: a source that never
    records a no-show, or a booking time, would otherwise read as 100 % attendance or 0 % on
    the spot. Told of the whole input (the canonical data does not say which source each
    meeting came from), never of a team's or a rep's part of it (a rep without a no-show
    is not a source that cannot record one): see :func:`figures_not_told`."""
    meetings = data.meetings
    return figures_not_told(
        meetings=meetings.height > 0,
        no_show=bool((meetings["status"] == "no_show").any()),
        booking_time=meetings["booked_at"].null_count() < meetings.height,
    )


def figures_not_told(*, meetings: bool, no_show: bool, booking_time: bool) -> dict[str, str]:
    """:func:`unknown_figures` from whether the input has any meeting, any no-show and any
    booking time."""
    if not meetings:
        return {}
    unknown = {}
    if not no_show:
        unknown["attendance"] = NO_NO_SHOWS
    if not booking_time:
        unknown["booked_on_the_spot"] = NO_BOOKING_TIMES
    return unknown


def no_show_blind_deals(data: Dataset) -> tuple[pl.Series, str] | None:
    """Where a store mixes sources (``MEETING_SOURCE``, see ``audit.store``): the deals with a
    meeting from a source that cannot record a no-show, and why. Attendance is measured on
    the other deals; these are counted as left out of it."""
    meetings = data.meetings
    if MEETING_SOURCE not in meetings.columns:
        return None
    blind = meetings.filter(pl.col(MEETING_SOURCE).is_in(NO_SHOW_BLIND))
    if blind.height == 0:
        return None
    named = " and ".join(sorted(set(blind[MEETING_SOURCE].to_list())))
    reason = (
        f"their meetings came from {named}, which cannot record a no-show "
        "(past meetings are taken as held)"
    )
    return blind["deal_id"].unique(), reason


def _leave_out_of_attendance(facts: pl.DataFrame, deal_ids: pl.Series) -> pl.DataFrame:
    """``facts`` with the attempts of ``deal_ids`` not counted in attendance, and those of
    them that had an attempt marked (``LEFT_OUT``)."""
    column = LEFT_OUT["attendance"]
    attempted = pl.col("held_attempts") + pl.col("no_show_attempts") > 0
    return facts.with_columns(
        (pl.col("deal_id").is_in(deal_ids.implode()) & attempted).alias(column)
    ).with_columns(
        pl.when(pl.col(column)).then(0).otherwise(pl.col(name)).alias(name)
        for name in ("held_attempts", "no_show_attempts")
    )


def audit(
    data: Dataset,
    options: AuditOptions,
    *,
    sources: Sequence[str] = (),
    facts: pl.DataFrame | None = None,
    unknown: dict[str, str] | None = None,
) -> AuditResult:
    """Every figure of the audit. What it needs of ``data`` beyond the per-deal facts is taken
    first; after that the input frames are let go, so a caller that passes a dataset it does
    not keep (``audit(read_files(...), ...)``) frees the meetings before the aggregates.

    ``facts`` are ``data``'s per-deal facts when they are known already (:func:`deal_facts`
    with the options' grace and zone, one row per deal of ``data``): a deal's facts depend
    on its own meetings only, so the dashboard computes them once for the whole store and
    hands each view its deals' rows. ``unknown`` is :func:`unknown_figures` of the whole
    input when ``data`` is a part of it (a team's or a rep's deals)."""
    end = data_end(data)
    as_of = options.as_of or end or datetime.now(UTC)
    names = {rep: name for rep, name in data.reps.select("rep_id", "name").iter_rows() if name}
    unknown = unknown_figures(data) if unknown is None else unknown
    blind = None if "attendance" in unknown else no_show_blind_deals(data)
    all_facts = (
        deal_facts(data, grace=options.grace, default_timezone=options.default_timezone)
        if facts is None
        else facts
    )
    left_out = {}
    if blind is not None:
        all_facts = _leave_out_of_attendance(all_facts, blind[0])
        left_out["attendance"] = blind[1]
    history = data.stages
    closes = None if history is None else data.deals.select("deal_id", "outcome", "closed_at")
    del data
    window = options.observation_days
    facts = observe(
        in_period(all_facts, since=options.since, until=options.until), as_of=as_of, window=window
    )
    del all_facts
    timeline = None
    if history is not None and closes is not None:
        if options.since is not None or options.until is not None:  # deals of the period
            closes = closes.join(facts.select("deal_id"), on="deal_id", how="semi")
        timeline = stage_timeline(history, closes, as_of=as_of, stalled_days=options.stalled_days)
    target = options.target_days
    team = figures(facts, target_days=target, unknown=unknown)
    by_rep = [
        RepFigures(str(rep), block)
        for rep, block in grouped(facts, "owner_id", target_days=target, unknown=unknown)
    ]
    weekly = _weeks(facts, target, unknown)
    # deals whose observation window has closed (see momentum.audit.outcomes)
    known = facts.filter(pl.col("window_closed"))
    unknown_steps = {step for step, field in _STEP_FIELDS.items() if field in unknown}
    found = findings(
        known,
        target_days=target,
        min_difference=options.min_difference,
        rep_names=names,
        skip=lambda step: step in unknown_steps,
    )
    split = None
    if options.compare_at is not None:
        split = compare(
            facts, at=options.compare_at, target_days=target, window=window, unknown=unknown
        )
    return AuditResult(
        team=team,
        by_rep=by_rep,
        weekly=weekly,
        findings=found,
        compare=split,
        facts=facts,
        options=options,
        survival=time_to_second_meeting(facts) if facts.height else None,
        rep_names=names,
        sources=list(sources),
        data_end=end,
        as_of=as_of,
        pending=int(facts["pending"].sum()),
        unknown=unknown,
        left_out=left_out,
        stages=timeline,
    )


# the findings (practices' ids and reps' steps) that read a figure the data may not tell
_STEP_FIELDS = {
    "attendance": "attendance",
    "second_meeting_no_shows": "attendance",
    "on_the_spot": "booked_on_the_spot",
    "booked_after_meeting_one": "booked_on_the_spot",
}


def _weeks(facts: pl.DataFrame, target: int, unknown: dict[str, str]) -> list[WeekFigures]:
    """Each week's figures, with its pending deals and whether all its deals' observation
    windows have closed (only those weeks are fit to rank against each other)."""
    status = {
        week: (int(pending), bool(closed))
        for week, pending, closed in with_first_meeting(facts)
        .group_by("week")
        .agg(pl.col("pending").sum(), pl.col("window_closed").all())
        .iter_rows()
    }
    return [
        WeekFigures(str(week), block, *status.get(week, (0, True)))
        for week, block in grouped(facts, "week", target_days=target, unknown=unknown)
    ]
