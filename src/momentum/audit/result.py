"""What an audit produces, typed, for every output (terminal, JSON, HTML, web) to render.

An :class:`AuditResult` holds the team's :class:`Figures`, the same per rep and per week, the
ranked findings, the before/after comparison when one was asked for, and what the richer
outputs draw from (the per-deal facts, the time-to-meeting-two curve). Every rate is a
:class:`Rate`: its counts first, its value computed from them. The JSON object the command
line prints is written by :mod:`momentum.audit.serialize`, the one serialiser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import polars as pl

from momentum import defaults

SIGNIFICANCE_LEVEL = 0.05  # adjusted p-values at most this establish a difference


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``; None where the denominator is 0. The one rate function."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Rate:
    """A share of deals (or meetings): ``numerator`` of ``denominator``. ``unknown`` says why
    the data cannot tell the figure (a source that never records a no-show would otherwise
    show 100 % attendance); its value is then None, never 0 or 1. ``left_out`` counts the
    deals not counted because their own source cannot tell it, where a store mixes sources
    (:attr:`AuditResult.left_out` says why); the rate is that of the other deals."""

    numerator: int
    denominator: int
    unknown: str | None = None
    left_out: int = 0

    @property
    def value(self) -> float | None:
        return None if self.unknown else rate(self.numerator, self.denominator)


@dataclass(frozen=True)
class GapStats:
    """Days from meeting one to meeting two over the deals with M2 held (numpy's mean, and
    median and 90th percentile by linear interpolation)."""

    mean: float
    median: float
    p90: float


@dataclass(frozen=True)
class BucketFigures:
    """The deals of one business-day gap bucket (``none``: M1 but no M2 held)."""

    bucket: str
    deals: int
    won: int
    lost: int

    @property
    def close(self) -> Rate:
        return Rate(self.won, self.won + self.lost)

    @property
    def still_open(self) -> int:
        return self.deals - self.won - self.lost


@dataclass(frozen=True)
class Figures:
    """One block of figures: the team's, a rep's, a week's, or one side of a comparison.
    ``deals`` counts the deals in scope (for a rep or a week, those with meeting one)."""

    deals: int
    deals_with_first_meeting: int
    booked: Rate
    booked_on_the_spot: Rate
    held: Rate
    rescheduled: Rate
    attendance: Rate
    within_target: Rate
    close: Rate  # won / (won + lost), deals with meeting one
    gap_calendar_days: GapStats | None
    gap_business_days: GapStats | None
    by_gap: tuple[BucketFigures, ...]

    @property
    def won(self) -> int:
        return self.close.numerator

    @property
    def lost(self) -> int:
        return self.close.denominator - self.close.numerator

    @property
    def still_open(self) -> int:
        return self.deals_with_first_meeting - self.close.denominator


Kind = Literal["rate", "days"]


@dataclass(frozen=True)
class Metric:
    """A figure that the reports name, compare and chart: its key (its dotted path in the
    documented JSON object), a person's name for it, and where :class:`Figures` holds it."""

    key: str
    label: str
    kind: Kind
    rate: Callable[[Figures], Rate] | None = None  # for a rate
    days: Callable[[Figures], float | None] | None = None  # for a number of days

    def of(self, figures: Figures) -> float | None:
        """The figure's value (a rate's fraction, a number of days); None when unknown."""
        if self.rate is not None:
            return self.rate(figures).value
        assert self.days is not None
        return self.days(figures)


def _gap(unit: Literal["calendar", "business"], stat: Literal["mean", "median"]) -> Metric:
    def days(figures: Figures) -> float | None:
        gaps = figures.gap_calendar_days if unit == "calendar" else figures.gap_business_days
        return None if gaps is None else getattr(gaps, stat)

    label = f"{stat.capitalize()} gap ({unit} days)"
    return Metric(f"second_meeting.gap_{unit}_days.{stat}", label, "days", days=days)


BOOKED = Metric("second_meeting.booked_rate", "Meeting two booked", "rate", lambda f: f.booked)
ON_THE_SPOT = Metric(
    "second_meeting.booked_on_the_spot_rate",
    "Booked on the spot",
    "rate",
    lambda f: f.booked_on_the_spot,
)
HELD = Metric("second_meeting.held_rate", "Meeting two held", "rate", lambda f: f.held)
RESCHEDULED = Metric(
    "second_meeting.reschedule_rate", "Rescheduled", "rate", lambda f: f.rescheduled
)
ATTENDANCE = Metric(
    "second_meeting.attendance_rate", "Attendance at meeting two", "rate", lambda f: f.attendance
)
CLOSE = Metric(
    "close_rate_after_first_meeting", "Close rate after meeting one", "rate", lambda f: f.close
)
WITHIN_TARGET = Metric(
    "second_meeting.within_target_rate", "Gap within target", "rate", lambda f: f.within_target
)
MEAN_CALENDAR_GAP = _gap("calendar", "mean")
MEAN_BUSINESS_GAP = _gap("business", "mean")
MEDIAN_BUSINESS_GAP = _gap("business", "median")
# the rates in the order the JSON's comparison lists them
RATES = (BOOKED, ON_THE_SPOT, HELD, RESCHEDULED, ATTENDANCE, CLOSE, WITHIN_TARGET)
MEAN_GAPS = (MEAN_CALENDAR_GAP, MEAN_BUSINESS_GAP)


@dataclass(frozen=True)
class RepFigures:
    rep_id: str
    figures: Figures


@dataclass(frozen=True)
class WeekFigures:
    week: str  # ISO week of meeting one, "2026-W14"
    figures: Figures
    pending: int = 0  # deals whose meeting-two outcome is not known yet
    observed: bool = True  # every deal's observation window has closed: fit to rank


@dataclass(frozen=True)
class Group:
    """One side of a finding's comparison: who, and the finding's metric on them."""

    label: str  # "deals whose meeting two was booked after meeting one", "Ann Lee (r1)"
    rate: Rate  # the metric: counts of what it describes (closed deals for a close rate)
    unit: str = "deals"  # what the rate's denominator counts: "closed deals", "meetings"
    deals: int | None = None  # the deals in the group, when the rate counts fewer of them


@dataclass(frozen=True)
class Money:
    currency: str
    amount: float


@dataclass(frozen=True)
class Finding:
    """Where momentum is lost, on one metric from headline to impact: a group falling short
    (deals without a practice, or a rep) against a reference (deals with it, or the rest of
    the team). ``rank`` is None for findings that are not established."""

    id: str
    rank: int | None
    text: str  # the headline
    kind: str  # "practice" or "rep"
    step: str  # the practice's id, or the rep's step
    metric: str  # what both groups are measured on, in words
    practice: str  # what the practice is, in words
    playbook: str
    group: Group
    reference: Group
    left_out: str  # who the comparison leaves out
    ci95: tuple[float, float] | None  # of group − reference
    higher_is_better: bool
    p_value: float | None  # one-sided Fisher exact; None: not tested (below the bar)
    adjusted_p_value: float | None  # Benjamini–Hochberg, across every comparison made
    established: bool
    impact: float  # shortfall × group size: deals (or meetings) in impact_unit
    impact_unit: str
    money: tuple[Money, ...]
    deal_ids: pl.Series  # the deals behind the finding, sorted (String)
    rep_id: str | None = None

    @property
    def difference(self) -> float | None:
        g, r = self.group.rate.value, self.reference.rate.value
        return None if g is None or r is None else g - r


@dataclass(frozen=True)
class Comparison:
    """One figure before and after the split date, on the deals whose outcome is known: its
    change, the 95 % interval of the change, and the test's p-value, before and after Holm's
    adjustment for the number of figures compared."""

    metric: Metric
    before: float | None
    after: float | None
    ci95: tuple[float, float] | None
    before_n: int
    after_n: int
    p_value: float | None = None
    adjusted_p_value: float | None = None

    @property
    def difference(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def significant(self) -> bool | None:
        """Whether the change is established: its adjusted p-value is at most 0.05 and its
        95 % interval excludes zero (so what is shown never contradicts it)."""
        if self.ci95 is None or self.adjusted_p_value is None:
            return None
        excludes = self.ci95[0] > 0 or self.ci95[1] < 0
        return excludes and self.adjusted_p_value <= SIGNIFICANCE_LEVEL


@dataclass(frozen=True)
class Compare:
    """Deals split by M1's local date: the documented figures of each side (every deal), the
    same on the deals whose outcome is known, how many are pending, and the differences."""

    at: date
    before: Figures
    after: Figures
    known_before: Figures
    known_after: Figures
    pending_before: int
    pending_after: int
    differences: tuple[Comparison, ...]


@dataclass(frozen=True)
class StageFigures:
    """One stage of the deals' stage history (see :mod:`momentum.audit.stages`). A *stay* is
    a deal's time in the stage, from entering it to entering the next one (or closing)."""

    stage: str
    deals: int  # deals that entered it
    stays_ended: int  # stays that ended (the deal moved on or closed): what ``median_days`` reads
    median_days: float | None  # calendar days of the ended stays (median); None without one
    open_now: int  # open deals in it as of the audit
    stuck: int  # of those, deals that entered it more than ``stalled_days`` before
    lost_from: int  # lost deals whose last stage before closing was this one


@dataclass(frozen=True)
class StageTimeline:
    """Where deals spend their time and where they stop moving, from the stage history."""

    stalled_days: int  # an open deal in one stage for longer than this is stuck
    deals: int  # deals in scope with a stage history
    open_deals: int  # of those, open as of the audit
    lost_deals: int  # of those, lost ones whose stage before closing is known
    stages: tuple[StageFigures, ...]  # in pipeline order (where deals usually meet them)

    @property
    def stuck(self) -> int:
        return sum(stage.stuck for stage in self.stages)


@dataclass(frozen=True)
class AuditOptions:
    target_days: int = defaults.TARGET_BUSINESS_DAYS
    grace: timedelta = timedelta(minutes=defaults.ON_THE_SPOT_GRACE_MINUTES)
    since: date | None = None
    until: date | None = None
    compare_at: date | None = None
    default_timezone: str = "UTC"
    as_of: datetime | None = None  # None: the latest thing that happened in the data
    observation_days: int = defaults.OBSERVATION_BUSINESS_DAYS
    min_difference: float = defaults.MIN_DIFFERENCE_POINTS / 100  # a finding's practical bar
    stalled_days: int = defaults.STALLED_DAYS  # an open deal this long in one stage is stuck


@dataclass(frozen=True)
class Survival:
    """Kaplan–Meier estimate of the share of deals (with M1) whose meeting two has not yet
    been held ``days[i]`` business days after meeting one. Deals without M2 held are
    censored at the data's end. ``low``/``high`` bound a pointwise 95 % confidence interval."""

    days: list[int]
    not_yet_held: list[float]
    low: list[float]
    high: list[float]
    at_risk: list[int]
    deals: int
    events: int


@dataclass
class AuditResult:
    team: Figures
    by_rep: list[RepFigures]
    weekly: list[WeekFigures]
    findings: list[Finding]
    compare: Compare | None
    facts: pl.DataFrame  # one row per deal in scope; columns: momentum.audit.facts.FACT_COLUMNS
    options: AuditOptions
    survival: Survival | None
    rep_names: dict[str, str] = field(default_factory=dict)  # rep_id -> name, where known
    sources: list[str] = field(default_factory=list)  # files read, or the store's URL
    data_end: datetime | None = None  # the latest instant in the data
    as_of: datetime | None = None  # outcomes are known as of this instant (censoring time)
    pending: int = 0  # deals with meeting one whose meeting-two outcome is not known yet
    unknown: dict[str, str] = field(default_factory=dict)  # metric key -> why it is unknown
    # Figures field -> why some deals are left out of it (each Rate's left_out counts them)
    left_out: dict[str, str] = field(default_factory=dict)
    stages: StageTimeline | None = None  # None: the source has no stage history

    @property
    def report(self) -> dict[str, Any]:
        """The documented JSON object (see :func:`momentum.audit.serialize.as_json`)."""
        from momentum.audit.serialize import as_json

        return as_json(self)
