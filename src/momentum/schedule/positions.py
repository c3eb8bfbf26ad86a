"""Each meeting's place in its deal (meeting one, meeting two, later), from the one definition
of M1 and the meeting-two attempts (:mod:`momentum.meeting.definitions`).

A meeting up to and including M1's end is *meeting one* (a deal with no held meeting yet is
still trying to hold its first); an attempt is *meeting two*; anything after M2 is *later*.

A deal has an *open gap* when M1 was held and no attempt books meeting two (``BOOKED``: a
canceled one books nothing), the rules' "meeting two not booked" without its grace.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from momentum.meeting.definitions import BOOKED, HELD, one_deal


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


@dataclass
class DealPlaces:
    """One deal's meetings by place: its M1 (if held) and the meeting-two attempts."""

    m1_id: str | None = None
    m1_start: datetime | None = None
    m1_end: datetime | None = None
    attempts: list[str] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)
    m2_booked: bool = False  # an attempt books meeting two (not canceled)
    # its meetings as places_of read them: (meeting id, start, end, status)
    meetings: list[tuple[str, datetime, datetime, str]] = field(default_factory=list)

    @property
    def open_gap(self) -> bool:
        """M1 held and no meeting two booked (a canceled attempt books nothing)."""
        return self.m1_id is not None and not self.m2_booked


def places_of(rows: Iterable[MeetingRow]) -> dict[str, DealPlaces]:
    """Every deal's places, for all of each deal's meetings (pass them all: M1 may lie far
    before the meetings one wants to label)."""
    by_deal: dict[str, list[tuple[str, datetime, datetime, str]]] = {}
    for meeting_id, deal_id, start, end, status in rows:
        by_deal.setdefault(deal_id, []).append((meeting_id, start, end, status))
    found: dict[str, DealPlaces] = {}
    for deal_id, meetings in by_deal.items():
        m1, attempts = one_deal(meetings)
        deal = found[deal_id] = DealPlaces(meetings=meetings)
        if m1 is not None:
            deal.m1_id, deal.m1_start, deal.m1_end = m1[0], m1[1], m1[2]
        deal.attempts = [attempt[0] for attempt in attempts]
        deal.m2_booked = any(attempt[3] in BOOKED for attempt in attempts)
        for meeting_id, start, _end, _status in meetings:
            if deal.m1_end is None or start <= deal.m1_end:
                deal.places[meeting_id] = Place.MEETING_ONE
            elif meeting_id in deal.attempts:
                deal.places[meeting_id] = Place.MEETING_TWO
            else:
                deal.places[meeting_id] = Place.LATER
    return found


def meeting_numbers(places: DealPlaces | None) -> dict[str, int]:
    """Each of a deal's meetings' number: 1 for meeting one, 2 for meeting two, then 3, 4…
    A later meeting counts as meeting two does: every attempt (moved, canceled, no-show) up
    to and including the one held shares its number, and the next number starts after it."""
    numbers: dict[str, int] = {}
    if places is None:
        return numbers
    number = 3
    for meeting_id, _start, _end, status in sorted(
        places.meetings, key=lambda m: (m[1], m[2], m[0])
    ):
        place = places.places[meeting_id]
        if place is not Place.LATER:
            numbers[meeting_id] = 1 if place is Place.MEETING_ONE else 2
            continue
        numbers[meeting_id] = number
        if status == HELD:
            number += 1
    return numbers


def meeting_name(number: int) -> str:
    """ "Meeting one", "Meeting two", then "Meeting 3", "Meeting 4"…"""
    return {1: Place.MEETING_ONE.label, 2: Place.MEETING_TWO.label}.get(number, f"Meeting {number}")


def meeting_names(places: DealPlaces | None) -> dict[str, str]:
    """What each of a deal's meetings is called (see :func:`meeting_numbers`)."""
    return {meeting: meeting_name(n) for meeting, n in meeting_numbers(places).items()}
