"""``momentum audit``: read canonical data (files or the store), compute, assemble the result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from momentum.audit.compare import compare
from momentum.audit.facts import deal_facts, in_period
from momentum.audit.figures import figures, grouped
from momentum.audit.findings import findings
from momentum.audit.result import AuditOptions, AuditResult, RepFigures, WeekFigures
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
    booking, a closing. Meetings still ``scheduled`` are plans, not history."""
    candidates = [
        data.meetings.select(pl.col("end").filter(pl.col("status") != "scheduled").max()).item(),
        data.meetings["booked_at"].max(),
        data.deals["closed_at"].max(),
    ]
    known = [c for c in candidates if isinstance(c, datetime)]
    return max(known) if known else None


def audit(data: Dataset, options: AuditOptions, *, sources: Sequence[str] = ()) -> AuditResult:
    """Every figure of the audit. What it needs of ``data`` beyond the per-deal facts is taken
    first; after that the input frames are let go, so a caller that passes a dataset it does
    not keep (``audit(read_files(...), ...)``) frees the meetings before the aggregates."""
    end = data_end(data)
    names = {rep: name for rep, name in data.reps.select("rep_id", "name").iter_rows() if name}
    all_facts = deal_facts(data, grace=options.grace, default_timezone=options.default_timezone)
    del data
    facts = in_period(all_facts, since=options.since, until=options.until)
    del all_facts
    target = options.target_days
    team = figures(facts, target_days=target)
    by_rep = [
        RepFigures(str(rep), block) for rep, block in grouped(facts, "owner_id", target_days=target)
    ]
    weekly = [
        WeekFigures(str(week), block) for week, block in grouped(facts, "week", target_days=target)
    ]
    found = findings(facts, target_days=target, rep_names=names)
    split = None
    if options.compare_at is not None:
        split = compare(facts, at=options.compare_at, target_days=target)
    return AuditResult(
        team=team,
        by_rep=by_rep,
        weekly=weekly,
        findings=found,
        compare=split,
        facts=facts,
        options=options,
        survival=time_to_second_meeting(facts, data_end=end) if end else None,
        rep_names=names,
        sources=list(sources),
        data_end=end,
    )
