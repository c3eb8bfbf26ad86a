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


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``; None where the denominator is 0. The one rate function."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Rate:
    """A share of deals (or meetings): ``numerator`` of ``denominator``."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return rate(self.numerator, self.denominator)


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


@dataclass(frozen=True)
class Practice:
    """The close rates of deals that followed a practice (``with_``) and of those that did
    not (``without``), and the 95 % interval of (with − without)."""

    deals_with: int
    deals_without: int
    with_: Rate  # won / closed, deals with the practice
    without: Rate
    with_ci95: tuple[float, float] | None
    without_ci95: tuple[float, float] | None
    difference_ci95: tuple[float, float] | None

    @property
    def significant(self) -> bool | None:
        """Whether the 95 % interval of the difference excludes zero."""
        if self.difference_ci95 is None:
            return None
        low, high = self.difference_ci95
        return low > 0 or high < 0

    @property
    def difference(self) -> float | None:
        if self.with_.value is None or self.without.value is None:
            return None
        return self.with_.value - self.without.value


Detail = int | float | str | None


@dataclass(frozen=True)
class Finding:
    """A plain-language statement of where momentum is lost, its evidence, and the playbook
    step that addresses it. ``details`` are the figures particular to this finding, in the
    order they are shown (JSON ``evidence`` before the close rates)."""

    id: str
    rank: int
    text: str
    playbook: str
    impact: float | str | None
    practice: Practice | None
    details: tuple[tuple[str, Detail], ...] = ()


@dataclass(frozen=True)
class Comparison:
    """One figure before and after the split date, its change and the 95 % interval of it."""

    metric: Metric
    before: float | None
    after: float | None
    ci95: tuple[float, float] | None
    before_n: int
    after_n: int

    @property
    def difference(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def significant(self) -> bool | None:
        if self.ci95 is None:
            return None
        return self.ci95[0] > 0 or self.ci95[1] < 0


@dataclass(frozen=True)
class Compare:
    at: date
    before: Figures
    after: Figures
    differences: tuple[Comparison, ...]


@dataclass(frozen=True)
class AuditOptions:
    target_days: int = defaults.TARGET_BUSINESS_DAYS
    grace: timedelta = timedelta(minutes=defaults.ON_THE_SPOT_GRACE_MINUTES)
    since: date | None = None
    until: date | None = None
    compare_at: date | None = None
    default_timezone: str = "UTC"


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
    data_end: datetime | None = None  # the latest instant in the data (censoring time)

    @property
    def report(self) -> dict[str, Any]:
        """The documented JSON object (see :func:`momentum.audit.serialize.as_json`)."""
        from momentum.audit.serialize import as_json

        return as_json(self)
