"""M1 and the meeting-two attempts, against a plain reading of PRODUCT.md's definitions.

``momentum.meeting.definitions`` computes them in one vectorized pass over sorted rows (running
counts made per deal), and one deal at a time for the pages (``one_deal``); here the same
definitions are written the slow, obvious way, one deal at a time, and all three must agree on
any meetings: ties, overlaps, deals with no held meeting, several held meetings overlapping
M1.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from momentum.meeting.definitions import (
    first_meetings,
    in_order,
    one_deal,
    second_meeting_attempts,
)

STATUSES = ("held", "no_show", "canceled", "rescheduled", "scheduled")

meeting = st.fixed_dictionaries(
    {
        "deal_id": st.sampled_from(["d1", "d2", "d3", "d10", "x"]),
        "start": st.integers(0, 12),
        "length": st.integers(0, 4),
        "status": st.sampled_from(STATUSES),
    }
)


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "meeting_id": [f"m{i}" for i in range(len(rows))],
            "deal_id": [r["deal_id"] for r in rows],
            "start": [r["start"] for r in rows],
            "end": [r["start"] + r["length"] for r in rows],
            "status": [r["status"] for r in rows],
        },
        schema={
            "meeting_id": pl.String,
            "deal_id": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
            "status": pl.String,
        },
    )


def _reference(frame: pl.DataFrame) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(M1 id per deal, attempt ids per deal), deal by deal."""
    by_deal: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        by_deal.setdefault(row["deal_id"], []).append(row)
    firsts: dict[str, str] = {}
    attempts: dict[str, list[str]] = {}
    for deal_id, meetings in by_deal.items():
        meetings.sort(key=lambda m: (m["start"], m["end"], m["meeting_id"]))
        held = [m for m in meetings if m["status"] == "held"]
        if not held:
            continue
        m1 = held[0]
        firsts[deal_id] = m1["meeting_id"]
        found = []
        for m in meetings:
            if m["start"] > m1["end"]:
                found.append(m["meeting_id"])
                if m["status"] == "held":
                    break
        if found:
            attempts[deal_id] = found
    return firsts, attempts


def _one_deal_at_a_time(frame: pl.DataFrame) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(M1 id per deal, attempt ids per deal) from :func:`one_deal`, the pages' form."""
    by_deal: dict[str, list[Any]] = {}
    for row in frame.iter_rows(named=True):
        meeting = (row["meeting_id"], row["start"], row["end"], row["status"])
        by_deal.setdefault(row["deal_id"], []).append(meeting)
    firsts: dict[str, str] = {}
    attempts: dict[str, list[str]] = {}
    for deal_id, meetings in by_deal.items():
        m1, found = one_deal(meetings)
        if m1 is not None:
            firsts[deal_id] = m1[0]
        if found:
            attempts[deal_id] = [meeting[0] for meeting in found]
    return firsts, attempts


# Deals are grouped by a hash of their id; this one makes "d1", "d2", "d3" collide, so the
# check that falls back to sorting on the ids is exercised too.
COLLIDING = pl.col("deal_id").str.len_bytes().cast(pl.UInt64)
# Deals numbered in no particular order, as rows of a deals file would be.
BY_ROW = pl.col("deal_id").hash(seed=7).rank("dense").cast(pl.UInt32)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(meeting, max_size=30),
    st.randoms(use_true_random=False),
    st.sampled_from([None, COLLIDING, BY_ROW]),
    st.booleans(),
)
def test_the_vectorized_definitions_match_the_plain_ones(
    rows: list[dict[str, Any]], rng: Any, deal_hash: pl.Expr | None, time_order: bool
) -> None:
    rng.shuffle(rows)
    if time_order:  # as CRMs export activities: by start, ties in any order
        rows.sort(key=lambda row: row["start"])
    frame = _frame(rows)
    if deal_hash is BY_ROW:  # as the file reader hands them: each meeting's deal's row
        frame = frame.with_columns(BY_ROW.alias("_deal"))
        deal_hash = None
    ordered = in_order(frame, deal_hash=deal_hash).lazy()
    if "_deal" in frame.columns:  # in time order or not, the same rows in the same order
        assert ordered.collect().equals(frame.sort("_deal", "start", "end", "meeting_id"))
    firsts = first_meetings(ordered).collect()
    attempts = second_meeting_attempts(ordered).collect()

    expected_firsts, expected_attempts = _reference(frame)
    assert _one_deal_at_a_time(frame) == (expected_firsts, expected_attempts)
    assert dict(zip(firsts["deal_id"], firsts["m1_id"], strict=True)) == expected_firsts
    found: dict[str, list[str]] = {}
    for deal_id, meeting_id in zip(attempts["deal_id"], attempts["meeting_id"], strict=True):
        found.setdefault(deal_id, []).append(meeting_id)
    assert found == expected_attempts
    m1_end = dict(zip(firsts["deal_id"], firsts["m1_end"], strict=True))
    assert all(
        end == m1_end[deal_id]
        for deal_id, end in zip(attempts["deal_id"], attempts["m1_end"], strict=True)
    )


def test_deals_whose_hashes_collide_are_still_kept_apart() -> None:
    rows = [
        {"deal_id": "d1", "start": 0, "length": 1, "status": "held"},
        {"deal_id": "d2", "start": 1, "length": 1, "status": "held"},
        {"deal_id": "d1", "start": 2, "length": 1, "status": "no_show"},
        {"deal_id": "d2", "start": 3, "length": 1, "status": "held"},
    ]
    ordered = in_order(_frame(rows), deal_hash=COLLIDING)
    assert ordered["deal_id"].to_list() == ["d1", "d1", "d2", "d2"]
    assert ordered["_deal"].to_list() == [1, 1, 2, 2]
