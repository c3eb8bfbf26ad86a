"""M1 and the meeting-two attempts, defined once (PRODUCT.md, "Metric definitions").

- **M1**: a deal's earliest-starting meeting with status ``held``.
- **Meeting-two attempts**: the deal's meetings starting after M1's end, in start order, up to
  and including the first ``held`` one; later meetings are meeting three and beyond.

Meetings that start at the same instant are ordered by end, then id, so nothing depends on
the order rows arrive in. The audit (``momentum.audit.facts``) takes M1 and the attempts
from these frames. Input columns: ``meeting_id``, ``deal_id``, ``start``, ``end``,
``status`` (others are carried along).

The rules (``momentum.rules.facts``) and the pages (``momentum.schedule.positions``) work on
a deal or a few hundred at a time: for them, :func:`one_deal` reads the same definitions one
deal at a time in plain Python, with none of a frame's fixed cost. A test holds the two forms
equal on any meetings.

**Booked**, live: the audit's historical "M2 booked" counts every attempt, whatever its status
(what happened to meeting two, in the past). The rules and the pages ask a question of the
present: is meeting two on the calendar, or did it take place? A canceled attempt books nothing
and leaves the deal waiting for its meeting two, so :data:`BOOKED` leaves ``canceled`` out; the
rules (``momentum.rules.builtin``) and the calendar's open gaps (``momentum.schedule.positions``)
read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import polars as pl

from momentum.canonical import DEAL_ROW

HELD = "held"
# the statuses of a meeting-two attempt that books meeting two, for the rules and the pages
BOOKED = frozenset({"scheduled", HELD, "no_show", "rescheduled"})
ORDER = ("deal_id", "start", "end", "meeting_id")
DEAL_KEY = DEAL_ROW  # "_deal"


def in_order(meetings: pl.DataFrame, *, deal_hash: pl.Expr | None = None) -> pl.DataFrame:
    """The meetings sorted as the definitions read them: each deal's meetings together, by
    start, end and id; with ``_deal``, an integer numbering the deals, so that groups,
    windows and joins on it avoid hashing deal ids again.

    Deals are put together by a 64-bit hash of their id (``deal_hash``), not by the id: on
    10 million meetings in no particular order, sorting on strings takes five times as long.
    If two ids ever share a hash, their meetings would interleave; that is checked, and the
    meetings are then sorted on the ids themselves.

    A frame that already has ``_deal`` (the file reader gives each meeting its deal's row,
    :data:`momentum.canonical.DEAL_ROW`) is sorted on it: no hashing, no check, and no
    ``deal_id`` needed. A file in time order, as CRMs export activities, is usually in order
    within each deal once its rows are put together by deal: that takes a stable sort on the
    integer alone (55–65 % of the time of a sort on every key, on ten million meetings), and is
    checked; if it does not hold, the rows are sorted on every key."""
    if DEAL_KEY in meetings.columns:
        return _by_deal_row(meetings).with_columns(pl.col(DEAL_KEY).set_sorted())
    deal_id = pl.col("deal_id")
    hashed = (deal_id.hash() if deal_hash is None else deal_hash).alias("_deal_hash")
    ordered = meetings.with_columns(hashed).sort("_deal_hash", *ORDER[1:])
    same_hash = pl.col("_deal_hash") == pl.col("_deal_hash").shift()
    if ordered.select((same_hash & (deal_id != deal_id.shift())).any()).item():
        ordered = ordered.sort(ORDER)
    return ordered.drop("_deal_hash").with_columns(
        (deal_id != deal_id.shift()).fill_null(True).cum_sum().alias(DEAL_KEY).set_sorted()
    )


def _by_deal_row(meetings: pl.DataFrame) -> pl.DataFrame:
    start, end = meetings["start"], meetings["end"]
    if start.null_count() == 0 and end.null_count() == 0 and start.is_sorted():
        grouped = meetings.sort(DEAL_KEY, maintain_order=True)  # each deal's rows by start
        if not grouped.select(_before_previous().any()).item():
            return grouped
    return meetings.sort(DEAL_KEY, *ORDER[1:])


def _before_previous() -> pl.Expr:
    """True where a row comes before the one above it in its deal by ``ORDER``."""
    start, end, meeting_id = (pl.col(name) for name in ORDER[1:])

    def earlier(column: pl.Expr) -> pl.Expr:
        return column < column.shift()

    def same(column: pl.Expr) -> pl.Expr:
        return column == column.shift()

    return ~_starts_deal() & (
        earlier(start) | same(start) & (earlier(end) | same(end) & earlier(meeting_id))
    )


def first_meetings(ordered: pl.LazyFrame) -> pl.LazyFrame:
    """M1 of every deal that has one: ``_deal``, ``deal_id`` (when ``ordered`` has it),
    ``m1_id``, ``m1_start``, ``m1_end``. ``ordered`` comes from :func:`in_order`: a deal's
    first held row is M1."""
    deal_id = ["deal_id"] if "deal_id" in ordered.collect_schema() else []
    return ordered.filter((pl.col("status") == HELD) & (_running_in_deal(_held()) == 1)).select(
        DEAL_KEY,
        *deal_id,
        pl.col("meeting_id").alias("m1_id"),
        pl.col("start").alias("m1_start"),
        pl.col("end").alias("m1_end"),
    )


def second_meeting_attempts(ordered: pl.LazyFrame) -> pl.LazyFrame:
    """Every deal's meeting-two attempts, in order, with all of ``ordered``'s columns and
    ``m1_end``. ``ordered`` comes from :func:`in_order`.

    One pass over the sorted rows, no grouping: running counts of held meetings are taken
    over the whole frame and made per deal by subtracting the count where the deal starts."""
    held = _held()
    seen = _running_in_deal(held)  # held meetings so far in the deal, this one included
    m1_end = pl.when((held == 1) & (seen == 1)).then(pl.col("end")).forward_fill()
    after_m1 = (seen >= 1) & (pl.col("start") > pl.col("m1_end"))  # seen >= 1: m1_end is
    held_attempt = held * after_m1.cast(pl.Int32)  # this deal's, not carried from the last
    no_held_attempt_before = _running_in_deal(held_attempt) - held_attempt == 0
    return ordered.with_columns(m1_end.alias("m1_end")).filter(after_m1 & no_held_attempt_before)


def _held() -> pl.Expr:
    return (pl.col("status") == HELD).cast(pl.Int32)


def _starts_deal() -> pl.Expr:
    """True on a deal's first row (of the frame it is evaluated on, sorted by ``_deal``)."""
    deal = pl.col(DEAL_KEY)
    return (deal != deal.shift()).fill_null(True)


def _running_in_deal(counts: pl.Expr) -> pl.Expr:
    """The running sum of ``counts`` within each deal, this row included."""
    total = counts.cum_sum()
    return total - pl.when(_starts_deal()).then(total - counts).forward_fill()


# (meeting id, start, end, status) of one meeting
OneMeeting = tuple[str, datetime, datetime, str]


def one_deal(meetings: Iterable[OneMeeting]) -> tuple[OneMeeting | None, list[OneMeeting]]:
    """One deal's M1 (``None`` when none is held) and its meeting-two attempts, in order,
    from all of the deal's meetings."""
    ordered = sorted(meetings, key=lambda m: (m[1], m[2], m[0]))
    m1 = next((m for m in ordered if m[3] == HELD), None)
    attempts: list[OneMeeting] = []
    if m1 is None:
        return None, attempts
    for meeting in ordered:
        if meeting[1] > m1[2]:
            attempts.append(meeting)
            if meeting[3] == HELD:
                break
    return m1, attempts
