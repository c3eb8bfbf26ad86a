"""Each meeting's place in its deal (meeting one, meeting two, later), from the one definition
of M1 and the meeting-two attempts (:mod:`momentum.meeting.definitions`).

A meeting up to and including M1's end is *meeting one* (a deal with no held meeting yet is
still trying to hold its first); an attempt is *meeting two*; anything after M2 is *later*.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from momentum.meeting.definitions import first_meetings, in_order, second_meeting_attempts


class Place(enum.StrEnum):
    MEETING_ONE = "meeting_one"
    MEETING_TWO = "meeting_two"
    LATER = "later"

    @property
    def label(self) -> str:
        return {"meeting_one": "Meeting one", "meeting_two": "Meeting two", "later": "Later"}[
            self.value
        ]


# (meeting id, deal id, start, end, status) as read from the store
MeetingRow = tuple[str, str, datetime, datetime, str]
_SCHEMA = pl.Schema(
    {
        "meeting_id": pl.String(),
        "deal_id": pl.String(),
        "start": pl.Datetime("us"),
        "end": pl.Datetime("us"),
        "status": pl.String(),
    }
)


@dataclass
class DealPlaces:
    """One deal's meetings by place: its M1 (if held) and the meeting-two attempts."""

    m1_id: str | None = None
    m1_start: datetime | None = None
    m1_end: datetime | None = None
    attempts: list[str] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)

    @property
    def open_gap(self) -> bool:
        """M1 held and no meeting two booked."""
        return self.m1_id is not None and not self.attempts


def places_of(rows: Iterable[MeetingRow]) -> dict[str, DealPlaces]:
    """Every deal's places, for all of each deal's meetings (pass them all: M1 may lie far
    before the meetings one wants to label)."""
    rows = list(rows)
    found: dict[str, DealPlaces] = {}
    if not rows:
        return found
    # Built a column at a time, the instants as naive UTC: from rows, or from aware
    # datetimes, Polars takes several times as long.
    ids, deal_ids, starts, ends, statuses = zip(*rows, strict=True)
    frame = pl.DataFrame(
        {
            "meeting_id": ids,
            "deal_id": deal_ids,
            "start": [_naive_utc(t) for t in starts],
            "end": [_naive_utc(t) for t in ends],
            "status": statuses,
        },
        schema=_SCHEMA,
    ).with_columns(pl.col("start", "end").dt.replace_time_zone("UTC"))
    ordered = in_order(frame).lazy()
    firsts, attempts = pl.collect_all(
        [
            first_meetings(ordered).select("deal_id", "m1_id", "m1_start", "m1_end"),
            second_meeting_attempts(ordered).select("deal_id", "meeting_id"),
        ],
        engine="in-memory",  # a page's meetings: the streaming engine's start-up dominates
    )
    for deal_id, m1_id, m1_start, m1_end in firsts.iter_rows():
        found[deal_id] = DealPlaces(m1_id=m1_id, m1_start=m1_start, m1_end=m1_end)
    for deal_id, meeting_id in attempts.iter_rows():
        found[deal_id].attempts.append(meeting_id)
    for meeting_id, deal_id, start, _end, _status in rows:
        deal = found.get(deal_id) or found.setdefault(deal_id, DealPlaces())
        if deal.m1_end is None or start <= deal.m1_end:
            deal.places[meeting_id] = Place.MEETING_ONE
        elif meeting_id in deal.attempts:
            deal.places[meeting_id] = Place.MEETING_TWO
        else:
            deal.places[meeting_id] = Place.LATER
    return found


def _naive_utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None)
