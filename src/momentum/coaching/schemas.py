from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from momentum.playbook.models import PlaybookStep
from momentum.playbook.schemas import PlaybookItem
from momentum.review.risk import RiskRow


class StepComparison(BaseModel):
    """One step of the funnel: the rep's rate against the rest of the team's, each with its
    counts and 95 % interval (Wilson), on the deals whose outcome is known."""

    key: str  # the audit's rate key, e.g. "second_meeting.booked_on_the_spot_rate"
    label: str
    step: PlaybookStep
    higher_is_better: bool
    rep: tuple[int, int]
    rep_rate: float | None
    rep_interval: tuple[float, float] | None
    team: tuple[int, int]
    team_rate: float | None
    team_interval: tuple[float, float] | None
    behind: float | None  # how far the rep is behind the team (fraction, > 0: behind)
    established: bool  # the 95 % interval of the difference (Newcombe) is wholly on the worse side


class TrendWeek(BaseModel):
    """A week of first meetings: how many, how many too recent to compare (younger than the
    observation window, so not yet in its rates: not the audit's *pending*), and the rates
    over the others (``None``: none)."""

    week: str
    deals_with_first_meeting: int
    recent: int
    booked_on_the_spot_rate: float | None
    booked_rate: float | None
    within_target_rate: float | None
    held_rate: float | None


class NoteView(BaseModel):
    id: int
    rep_id: str
    body: str
    author_user_id: int | None
    author: str | None
    created_at: datetime


class NewNote(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


class CoachingProfile(BaseModel):
    rep_id: str
    name: str
    team: str | None
    since: date
    until: date
    left_out: int  # the rep's deals left out of the funnel: their observation window is open
    observation_days: int  # business days a deal's meeting-two outcome may take to be known
    steps: list[StepComparison]
    weakest: StepComparison | None
    talk_track: PlaybookItem | None
    findings: list[dict[str, Any]]  # the audit's findings that name this rep
    trend: list[TrendWeek]  # the rep's twelve weeks
    team_trend: list[TrendWeek]  # the same weeks for the rest of the team, for comparison
    deals: list[RiskRow]  # the rep's deals at risk, most severe first
    notes: list[NoteView] | None  # None: the viewer may not read them
