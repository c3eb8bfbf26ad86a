from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, computed_field

from momentum.review.models import CommitmentMetric

# Which way a commitment on each metric is kept: a rate at least the target, a count at most.
AT_LEAST = {CommitmentMetric.ON_THE_SPOT_RATE}
METRIC_LABELS = {
    CommitmentMetric.ON_THE_SPOT_RATE: "second meetings booked on the spot (share, at least)",
    CommitmentMetric.NOT_BOOKED: "first meetings with no second meeting booked (at most)",
    CommitmentMetric.GAPS_BEYOND_TARGET: "second meetings held beyond the target gap (at most)",
    CommitmentMetric.NO_SHOWS: "no-shows (at most)",
    CommitmentMetric.SLIPPED: "deals that slipped: next step overdue, stage unchanged (at most)",
}


class WeekFigures(BaseModel):
    """One rep's week. First meetings are counted in the week they were held, second meetings
    in the week they were held, other meetings in the week they were planned for, outcomes
    in the week the deal closed, slipped deals in each week their next step was overdue and
    their stage did not change (all in the rep's zone)."""

    week: str
    first_meetings: int = 0
    on_the_spot: int = 0
    booked_later: int = 0
    booked_timing_unknown: int = 0
    not_booked: int = 0
    pending: int = 0  # first meetings whose meeting-two outcome is not known yet
    second_meetings_held: int = 0
    gaps_beyond_target: int = 0
    reschedules: int = 0
    no_shows: int = 0
    won: int = 0
    lost: int = 0
    slipped: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def on_the_spot_rate(self) -> float | None:
        known = self.on_the_spot + self.booked_later
        return self.on_the_spot / known if known else None

    def value(self, metric: CommitmentMetric) -> float | None:
        if metric is CommitmentMetric.ON_THE_SPOT_RATE:
            return self.on_the_spot_rate
        return float(getattr(self, metric.value))


COUNTS = tuple(name for name in WeekFigures.model_fields if name != "week")


class Baseline(BaseModel):
    """The rep's previous four weeks: the mean per week of each count, and the pooled
    on-the-spot rate."""

    weeks: list[str]
    per_week: dict[str, float]
    on_the_spot_rate: float | None


class NewCommitment(BaseModel):
    text: str = Field(min_length=1, max_length=1000)
    metric: CommitmentMetric | None = None
    target: float | None = Field(default=None, ge=0)


class CommitmentView(BaseModel):
    id: int
    rep_id: str
    week: str
    text: str
    metric: CommitmentMetric | None
    target: float | None
    kept: bool | None  # None: not decided yet
    # "figures" (checked from the week's figures), "awaiting_figures" (on a figure, checked
    # once its week is over), "manager" (marked), or "open" (not marked, or no figure to
    # check it by: no second meeting booked for a share)
    how: str
    actual: float | None = None
    created_at: datetime


class RepReview(BaseModel):
    rep_id: str
    name: str
    team: str | None
    week: WeekFigures
    previous: list[WeekFigures]
    baseline: Baseline
    commitments_checked: list[CommitmentView]  # made at the last review, for this week
    commitments_next: list[CommitmentView]  # made for the coming week


class WeeklyReview(BaseModel):
    week: str
    starts: date
    ends: date  # the Sunday
    next_week: str
    complete: bool  # the week is over (else it is the week under way: its figures so far)
    # whether commitments for ``next_week`` may be recorded now: only at the review of the
    # last complete week or of the week under way
    commitments_open: bool
    target_days: int
    as_of: datetime
    reps: list[RepReview]
