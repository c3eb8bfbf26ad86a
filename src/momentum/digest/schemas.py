from __future__ import annotations

from pydantic import BaseModel


class DigestRep(BaseModel):
    rep_id: str
    name: str
    first_meetings: int
    on_the_spot: int
    not_booked: int
    no_shows: int


class DigestFigures(BaseModel):
    """A manager's leading indicators for the week just ended."""

    week: str
    starts: str  # ISO dates of its Monday and Sunday
    ends: str
    manager: str
    on_the_spot: int
    booked_later: int
    on_the_spot_rate: float | None
    booked_timing_unknown: int = 0  # second meetings booked at a time the data does not tell
    on_the_spot_rate_before: float | None  # the previous four weeks, pooled
    second_meetings_held: int
    within_target: int
    within_target_rate: float | None
    target_days: int
    coming_unprepared: int  # second meetings in the next 7 days without agenda or homework
    coming_without_agenda: int
    coming_without_homework: int
    no_shows_to_rebook: int
    review_url: str | None
    reps: list[DigestRep]
