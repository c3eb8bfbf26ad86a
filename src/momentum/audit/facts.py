"""The audit's definitions: what happened on each deal between meeting one and two.

:func:`deal_facts` turns canonical frames into one row per deal; every figure the audit shows
(terminal, JSON, HTML) is an aggregate of these rows. M1 and the meeting-two attempts come from
:mod:`momentum.meeting.definitions` (the rules read the same frames); the rest is defined here:

- **M2 booked**: an attempt exists. **M2 held**: one is ``held``; that meeting is M2.
- **Booked on the spot**: the earliest ``booked_at`` among the attempts is at or before M1's
  end plus the grace; unknown (null) when no attempt has a ``booked_at``.
- **Rescheduled**: some attempt is ``rescheduled``.
- **Gap**: M2's local date minus M1's local date (the owner's zone), in calendar days and in
  business days (``numpy.busday_count`` over the owner's weekends and country holidays).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from momentum.businessdays import calendar_for
from momentum.canonical import DEAL_ROW, MEETING_STATUSES, OUTCOMES, Dataset
from momentum.keys import Hasher, KeyIndex, hash64
from momentum.meeting.definitions import (
    DEAL_KEY,
    HELD,
    first_meetings,
    in_order,
    second_meeting_attempts,
)

NO_SHOW, RESCHEDULED, SCHEDULED = "no_show", "rescheduled", "scheduled"
GAP_BUCKETS = (("0-5", 0, 5), ("6-10", 6, 10), ("11-20", 11, 20), ("21+", 21, None))
NO_M2_BUCKET = "none"
BUCKETS = (*(name for name, _, _ in GAP_BUCKETS), NO_M2_BUCKET)

FACT_COLUMNS = (
    "deal_id", "owner_id", "outcome", "amount", "currency", "timezone", "country",
    "m1_start", "m1_end", "m1_date", "week",
    "attempts", "m2_booked", "m2_held", "m2_start", "m2_date",
    "first_booked_at", "on_the_spot", "rescheduled", "held_attempts", "no_show_attempts",
    "scheduled_until",
    "m2_agenda", "m2_homework",
    "gap_calendar_days", "gap_business_days", "bucket",
)  # fmt: skip


OUTCOME = pl.Enum(OUTCOMES)
BUCKET = pl.Enum(BUCKETS)
STATUS = pl.Enum(MEETING_STATUSES)


def deal_facts(data: Dataset, *, grace: timedelta, default_timezone: str = "UTC") -> pl.DataFrame:
    """One row per deal with its M1, meeting-two attempts, M2 and gap (see module doc).

    Columns with few distinct values are enums or categoricals (``owner_id``'s categories
    sorted, so grouping and sorting on it are integer work). Meetings read from files carry
    their deal's row; others (the store's) are matched to their deals on a hash of the deal
    id, checked against the id itself."""
    # Read from files, each meeting comes with its deal's row (DEAL_ROW): the meetings are
    # grouped on it and their figures put in place by it. Otherwise deal ids are matched.
    by_row = DEAL_ROW in data.meetings.columns
    meetings = in_order(
        data.meetings.select(
            "meeting_id", DEAL_ROW if by_row else "deal_id", "start", "end", "booked_at",
            pl.col("status").cast(STATUS),
            pl.col("agenda").is_not_null().alias("has_agenda"),
            pl.col("homework").is_not_null().alias("has_homework"),
        )
    ).lazy()  # fmt: skip
    first = first_meetings(meetings).collect()
    attempts = (
        second_meeting_attempts(meetings)
        .group_by(DEAL_KEY)
        .agg(
            pl.len().alias("attempts"),
            # attempts end at the first held one: M2 is the last attempt, when it was held
            pl.when(pl.col("status").last() == HELD).then(pl.col("start").last()).alias("m2_start"),
            pl.col("booked_at").min().alias("first_booked_at"),
            (pl.col("status") == RESCHEDULED).any().alias("rescheduled"),
            (pl.col("status") == HELD).sum().alias("held_attempts"),
            (pl.col("status") == NO_SHOW).sum().alias("no_show_attempts"),
            # the latest attempt still on the calendar (its outcome may not be known yet)
            pl.when(pl.col("status") == SCHEDULED)
            .then(pl.col("start"))
            .max()
            .alias("scheduled_until"),
            # the agreed agenda and homework: those of the last attempt (M2 when one was held)
            pl.col("has_agenda").last().alias("m2_agenda"),
            pl.col("has_homework").last().alias("m2_homework"),
        )
        .collect()
    )
    del meetings
    per_deal = first.drop("m1_id").join(attempts, on=DEAL_KEY, how="left")
    deals = _deals_with_owners(data, default_timezone)
    facts = (
        (place_by_row(deals, per_deal) if by_row else join_on_deal(deals, per_deal.drop(DEAL_KEY)))
        .lazy()
        .with_columns(
            pl.col("attempts").fill_null(0),
            pl.col("held_attempts").fill_null(0),
            pl.col("no_show_attempts").fill_null(0),
            pl.col("rescheduled").fill_null(False),
        )
        .with_columns(
            (pl.col("attempts") > 0).alias("m2_booked"),
            pl.col("m2_start").is_not_null().alias("m2_held"),
            pl.when(pl.col("first_booked_at").is_not_null())
            .then(pl.col("first_booked_at") <= pl.col("m1_end") + grace)
            .alias("on_the_spot"),
        )
        .collect()
        .rechunk()  # the parallel query leaves it in pieces; the per-zone work gathers
    )
    facts = _with_local_dates(facts)
    # deals with M1 first (the funnel is then a slice: see figures.with_first_meeting)
    facts = _with_gaps(facts).select(FACT_COLUMNS)
    with_m1 = pl.col("m1_start").is_not_null()
    return pl.concat([facts.filter(with_m1), facts.filter(~with_m1)])


def _deals_with_owners(data: Dataset, default_timezone: str) -> pl.DataFrame:
    """``deal_id``, ``owner_id`` (an enum of the owners, sorted), ``outcome``, ``amount`` and
    ``currency``, and the owner's ``timezone`` and ``country`` (categoricals)."""
    owner_ids = (
        pl.concat([data.reps["rep_id"], data.deals["owner_id"]]).drop_nulls().unique().sort()
    )
    owner = pl.Enum(owner_ids)
    reps = (
        data.reps.lazy()
        .select(
            pl.col("rep_id").cast(owner).alias("owner_id"),
            pl.col("timezone").cast(pl.Categorical),
            pl.col("country").cast(pl.Categorical),
        )
        .unique("owner_id")
    )
    return (
        data.deals.lazy()
        .select(
            "deal_id",
            pl.col("owner_id").cast(owner),
            pl.col("outcome").cast(OUTCOME),
            "amount",
            pl.col("currency").cast(pl.Categorical),
        )
        .join(reps, on="owner_id", how="left", maintain_order="left")  # rows stay deals' rows
        .with_columns(pl.col("timezone").fill_null(pl.lit(default_timezone, pl.Categorical)))
        .collect()
        # in one piece: the join leaves dozens of chunks, and every gather and scatter on
        # millions of rows after this one would pay for them (seconds, on 4M deals)
        .rechunk()
    )


def join_on_deal(
    deals: pl.DataFrame, per_deal: pl.DataFrame, *, hasher: Hasher = hash64
) -> pl.DataFrame:
    """``deals`` with the columns of ``per_deal`` that has the same ``deal_id`` (nulls where
    none has), in ``deals``' order. A :class:`~momentum.keys.KeyIndex` of ``per_deal`` finds
    each deal's row: faster than a join on millions of string ids, and as exact."""
    ids = per_deal.select("deal_id").with_row_index("_row")  # narrow: the index sorts it
    index = KeyIndex(ids, "deal_id", hasher=hasher)
    rows = index.lookup(deals["deal_id"])["_row"]
    return deals.hstack(per_deal.drop("deal_id").select(pl.all().gather(rows)))


def place_by_row(deals: pl.DataFrame, per_deal: pl.DataFrame) -> pl.DataFrame:
    """``deals`` with the columns of ``per_deal`` whose ``_deal`` is the deal's row (nulls
    where none is), in ``deals``' order."""
    position = pl.repeat(None, deals.height, dtype=pl.UInt32, eager=True).scatter(
        per_deal[DEAL_KEY], pl.arange(0, per_deal.height, dtype=pl.UInt32, eager=True)
    )
    return deals.hstack(per_deal.drop(DEAL_KEY).select(pl.all().gather(position)))


def _with_local_dates(facts: pl.DataFrame) -> pl.DataFrame:
    """M1's and M2's dates in the owner's zone, and M1's ISO week (e.g. ``2026-W10``, an enum
    of the weeks present, in order). Each zone's rows are converted on their own and put back
    in place: no copy of the frame."""
    dates = {
        name: pl.repeat(None, facts.height, dtype=pl.Date, eager=True).alias(name)
        for name in ("m1_date", "m2_date")
    }
    zones = facts["timezone"]
    for zone in zones.unique().drop_nulls().to_list():
        rows = (zones == zone).arg_true()
        for name, moment in (("m1_date", "m1_start"), ("m2_date", "m2_start")):
            local = facts[moment].gather(rows).dt.convert_time_zone(str(zone)).dt.date()
            dates[name] = dates[name].scatter(rows, local)
    days = dates["m1_date"].unique().drop_nulls().sort()
    labels = days.to_frame().select(
        pl.format(
            "{}-W{}",
            pl.col("m1_date").dt.iso_year(),
            pl.col("m1_date").dt.week().cast(pl.String).str.zfill(2),
        )
    )[:, 0]
    week = dates["m1_date"].replace_strict(
        days, labels, default=None, return_dtype=pl.Enum(labels.unique(maintain_order=True))
    )
    return facts.with_columns(*dates.values(), week.alias("week"))


def _with_gaps(facts: pl.DataFrame) -> pl.DataFrame:
    """Calendar and business days from M1's local date to M2's, and the gap bucket."""
    facts = facts.with_columns(
        (pl.col("m2_date") - pl.col("m1_date")).dt.total_days().alias("gap_calendar_days")
    )
    # business days per holiday country, each country's deals counted and put back in place
    business = pl.repeat(None, facts.height, dtype=pl.Int64, eager=True).alias("gap_business_days")
    held = facts["m2_held"].fill_null(False)
    if held.any():
        first_year = int(facts["m1_date"].dt.year().min())  # type: ignore[arg-type]
        last_year = int(facts["m2_date"].dt.year().max())  # type: ignore[arg-type]
        countries = facts["country"]
        for country in countries.filter(held).unique().to_list():
            in_country = held & (countries.is_null() if country is None else countries == country)
            rows = in_country.arg_true()
            calendar = calendar_for(country, first_year, last_year)
            counts = calendar.count(
                facts["m1_date"].gather(rows).to_numpy(), facts["m2_date"].gather(rows).to_numpy()
            )
            business = business.scatter(rows, pl.Series(counts, dtype=pl.Int64))
    facts = facts.with_columns(business)
    bucket: pl.Expr = pl.lit(NO_M2_BUCKET)
    for name, low, high in reversed(GAP_BUCKETS):
        inside = pl.col("gap_business_days") >= low
        if high is not None:
            inside &= pl.col("gap_business_days") <= high
        bucket = pl.when(inside).then(pl.lit(name)).otherwise(bucket)
    return facts.with_columns(
        pl.when(pl.col("m1_start").is_not_null()).then(bucket).cast(BUCKET).alias("bucket")
    )


def in_period(
    facts: pl.DataFrame, *, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """Deals whose M1's local date is within [since, until]; all deals when neither is given."""
    if since is None and until is None:
        return facts
    scope = pl.col("m1_date").is_not_null()
    if since is not None:
        scope &= pl.col("m1_date") >= since
    if until is not None:
        scope &= pl.col("m1_date") <= until
    return facts.filter(scope)
