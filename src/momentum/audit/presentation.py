"""What the audit's reports show, worked out once for the terminal and the HTML report.

Both renderers read an :class:`~momentum.audit.result.AuditResult` through these helpers:
number formats ("60 %", "—" for null), the funnel's counts, the gap histogram's bins, the
per-rep rows ordered for coaching, the worst weeks, the findings' evidence and the
before/after rows. Nothing here defines a metric: every figure is a typed field of the result
(counts and rates) or, for the gap histogram, comes from the per-deal facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from momentum.audit import result as r
from momentum.audit.compare import wilson as wilson_interval
from momentum.audit.facts import GAP_BUCKETS
from momentum.audit.findings import PLAYBOOK, percent
from momentum.audit.result import (
    AuditResult,
    BucketFigures,
    Compare,
    Figures,
    Finding,
    Metric,
    Practice,
    Rate,
    WeekFigures,
    rate,
)

__all__ = ["percent", "wilson_interval"]  # re-exported: one definition each, used by the reports
TITLE = "Momentum audit: where deals stall between meeting one and meeting two"
DASH = "—"
MIN_WEEK_DEALS = 3  # weeks with fewer deals with meeting one are too small to rank
WORST_WEEKS = 3
BUCKET_LABELS = {"none": "no meeting two"}  # a gap bucket's name where it is not its key


# ---- numbers -----------------------------------------------------------------------------


def days(value: float | None) -> str:
    """A number of days with one decimal, "3.5"; "—" for null."""
    return DASH if value is None else f"{value:.1f}"


def count(value: int) -> str:
    return f"{value:,}"


def deals(value: int) -> str:
    return f"{count(value)} deal{'' if value == 1 else 's'}"


def _signed_amount(value: float, kind: str) -> str:
    """Whole percentage points for a rate, days with one decimal otherwise; "+" when above 0."""
    amount = round(value * 100) if kind == "rate" else round(value, 1)
    text = str(abs(amount)) if kind == "rate" else f"{abs(amount):.1f}"
    return text if amount == 0 else f"{'-' if amount < 0 else '+'}{text}"


def _unit(kind: str) -> str:
    return "pp" if kind == "rate" else "days"


def difference(value: float | None, kind: str) -> str:
    """A before/after difference: percentage points for rates ("+33 pp"), days for gaps."""
    return DASH if value is None else f"{_signed_amount(value, kind)} {_unit(kind)}"


def interval(bounds: Sequence[float] | None, kind: str) -> str:
    """A 95 % interval of a difference, "[+12, +50] pp"; "—" when there is none."""
    if bounds is None:
        return DASH
    low, high = (_signed_amount(bound, kind) for bound in bounds)
    return f"[{low}, {high}] {_unit(kind)}"


def yes_no(value: bool | None) -> str:
    return DASH if value is None else ("yes" if value else "no")


# ---- metric names ------------------------------------------------------------------------


def bucket_label(row: BucketFigures) -> str:
    return BUCKET_LABELS.get(row.bucket, row.bucket)


def humanize(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class KeyMetric:
    """A figure the per-rep and per-week views compare, with its table column's names; its
    kind says how it is written and which way is better (rates: higher; days: lower)."""

    metric: Metric
    heading: str  # a table column's name
    short: str  # the same for a terminal column

    @property
    def key(self) -> str:
        return self.metric.key

    @property
    def kind(self) -> str:
        return self.metric.kind

    def value(self, figures: Figures) -> float | None:
        return self.metric.of(figures)

    def text(self, figures: Figures) -> str:
        value = self.value(figures)
        return percent(value) if self.kind == "rate" else days(value)

    def worse(self, figures: Figures, than: Figures) -> bool:
        mine, theirs = self.value(figures), self.value(than)
        if mine is None or theirs is None:
            return False
        return mine < theirs if self.kind == "rate" else mine > theirs


SPOT = KeyMetric(r.ON_THE_SPOT, "Booked on the spot", "On spot")
HELD = KeyMetric(r.HELD, "Meeting two held", "M2 held")
ATTENDANCE = KeyMetric(r.ATTENDANCE, "Attendance", "Attend.")
MEDIAN_GAP = KeyMetric(r.MEDIAN_BUSINESS_GAP, "Median gap (business days)", "Gap")
WITHIN_TARGET = KeyMetric(r.WITHIN_TARGET, "Within target", "In target")
CLOSE = KeyMetric(r.CLOSE, "Close rate", "Close")
KEY_METRICS = (SPOT, HELD, ATTENDANCE, MEDIAN_GAP, WITHIN_TARGET, CLOSE)
WEEK_METRICS = (SPOT, HELD, ATTENDANCE, MEDIAN_GAP, CLOSE)
WORSE_MARK = "▾"


def metric_cells(
    figures: Figures, team: Figures | None, metrics: Sequence[KeyMetric]
) -> list[tuple[str, bool]]:
    """Each metric's text for ``figures`` and whether it is worse than ``team``'s."""
    return [(m.text(figures), team is not None and m.worse(figures, team)) for m in metrics]


# ---- the funnel --------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    label: str
    deals: int
    share: float | None  # of the deals with meeting one


@dataclass(frozen=True)
class Funnel:
    """Meeting one → meeting two booked → meeting two held → won, for one figures block."""

    with_m1: int
    booked: int
    held: int
    close: Rate

    @property
    def won(self) -> int:
        return self.close.numerator

    @property
    def lost(self) -> int:
        return self.close.denominator - self.close.numerator

    @property
    def still_open(self) -> int:
        return self.with_m1 - self.close.denominator

    @property
    def close_rate(self) -> float | None:
        return self.close.value

    @property
    def steps(self) -> list[FunnelStep]:
        return [
            FunnelStep(label, deals, rate(deals, self.with_m1))
            for label, deals in (
                ("Meeting one held", self.with_m1),
                ("Meeting two booked", self.booked),
                ("Meeting two held", self.held),
                ("Won", self.won),
            )
        ]


def funnel(figures: Figures) -> Funnel:
    return Funnel(
        with_m1=figures.deals_with_first_meeting,
        booked=figures.booked.numerator,
        held=figures.held.numerator,
        close=figures.close,
    )


def close_rate_sentence(funnel: Funnel) -> str:
    return (
        f"Close rate after meeting one: {percent(funnel.close_rate)} ({count(funnel.won)} won, "
        f"{count(funnel.lost)} lost, {count(funnel.still_open)} still open)"
    )


def meeting_two_rates(figures: Figures) -> str:
    return (
        f"Booked on the spot {percent(figures.booked_on_the_spot.value)} · rescheduled "
        f"{percent(figures.rescheduled.value)} · attendance {percent(figures.attendance.value)}"
    )


def scope(result: AuditResult) -> list[str]:
    """What the report covers: deals, the target, the period and the data's end."""
    team, options = result.team, result.options
    facts = [
        f"{count(team.deals)} deals, {count(team.deals_with_first_meeting)} with meeting one",
        f"target gap {options.target_days} business days",
    ]
    if options.since or options.until:
        facts.append(
            f"meeting one from {options.since or 'the start'} to {options.until or 'the end'}"
        )
    if result.data_end is not None:
        facts.append(f"data to {result.data_end.date().isoformat()}")
    return facts


# ---- gaps and close rates ----------------------------------------------------------------

OPEN_ENDED_FROM = int(GAP_BUCKETS[-1][1])  # the last gap bucket, "21+", has no upper bound


@dataclass(frozen=True)
class GapBin:
    label: str
    low: int
    deals: int
    within_target: bool


def held_gaps(facts: pl.DataFrame) -> list[int]:
    """Business-day gaps of the deals whose meeting two was held."""
    held = facts.filter(pl.col("m2_held") & pl.col("gap_business_days").is_not_null())
    return [int(v) for v in held["gap_business_days"].to_list()]


def gap_histogram(gaps: Sequence[int], target_days: int) -> list[GapBin]:
    """One bin per business day from 0 to past the target (or the longest gap), the gaps of
    the open-ended last bucket ("21+") together; empty when no meeting two was held."""
    if not gaps:
        return []
    values = np.asarray(gaps, dtype=np.int64)
    last = min(max(int(values.max()), target_days + 1), OPEN_ENDED_FROM - 1)
    # one count per day, in one pass: a large team has millions of gaps
    counts = np.bincount(np.clip(values[values >= 0], 0, OPEN_ENDED_FROM), minlength=last + 2)
    bins = [GapBin(str(day), day, int(counts[day]), day <= target_days) for day in range(last + 1)]
    beyond = int(counts[OPEN_ENDED_FROM]) if len(counts) > OPEN_ENDED_FROM else 0
    if beyond:
        bins.append(GapBin(f"{OPEN_ENDED_FROM}+", OPEN_ENDED_FROM, beyond, False))
    return bins


# ---- reps and weeks ----------------------------------------------------------------------


@dataclass(frozen=True)
class RepRow:
    rep_id: str
    name: str | None
    figures: Figures
    below_team: frozenset[str]  # keys of the KEY_METRICS where the rep does worse than the team

    @property
    def label(self) -> str:
        return self.name or self.rep_id


MAX_REPS_SHOWN = 25  # reps drawn and printed: those who most need coaching; tables have all


def rep_rows(result: AuditResult) -> list[RepRow]:
    """The reps, those who most need coaching first: most key figures worse than the team's,
    then the lowest share of deals whose meeting two was held, then by id."""
    team = result.team
    rows = [
        RepRow(
            rep_id=rep.rep_id,
            name=result.rep_names.get(rep.rep_id) or None,
            figures=rep.figures,
            below_team=frozenset(m.key for m in KEY_METRICS if m.worse(rep.figures, team)),
        )
        for rep in result.by_rep
    ]

    def need(row: RepRow) -> tuple[int, float, str]:
        value = HELD.value(row.figures)
        return (-len(row.below_team), 2.0 if value is None else value, row.rep_id)

    return sorted(rows, key=need)


@dataclass(frozen=True)
class WorstWeek:
    week: str
    figures: Figures
    reasons: tuple[str, ...]


WEEK_RANKINGS = ((ATTENDANCE, "attendance"), (SPOT, "on the spot"))


def ranked_weeks(weekly: Sequence[WeekFigures], min_deals: int = MIN_WEEK_DEALS) -> int:
    """How many weeks have enough deals with meeting one to be ranked."""
    return sum(1 for w in weekly if w.figures.deals_with_first_meeting >= min_deals)


def worst_weeks(
    weekly: Sequence[WeekFigures], *, limit: int = WORST_WEEKS, min_deals: int = MIN_WEEK_DEALS
) -> list[WorstWeek]:
    """The ``limit`` weeks with the lowest attendance and those with the lowest on-the-spot
    booking, among weeks with at least ``min_deals`` deals with meeting one; in week order."""
    eligible = [w for w in weekly if w.figures.deals_with_first_meeting >= min_deals]
    reasons: dict[str, list[str]] = {}
    for metric, reason in WEEK_RANKINGS:
        valued = [
            (value, w.week) for w in eligible if (value := metric.value(w.figures)) is not None
        ]
        for _, week in sorted(valued)[:limit]:
            reasons.setdefault(week, []).append(reason)
    return [
        WorstWeek(week=w.week, figures=w.figures, reasons=tuple(reasons[w.week]))
        for w in sorted(eligible, key=lambda w: w.week)
        if w.week in reasons
    ]


# ---- findings ----------------------------------------------------------------------------


def playbook_step(key: str) -> str:
    step = PLAYBOOK.get(key)
    return step.title if step else humanize(key) or DASH


def advice(key: str) -> str:
    step = PLAYBOOK.get(key)
    return step.advice if step else ""


EVIDENCE_LABELS = {
    "share": "Share",
    "booked": "Second meetings booked, booking time known",
    "median_business_days": "Median gap (business days)",
    "target_business_days": "Target (business days)",
    "no_shows": "No-shows",
    "attempts": "Second meetings held or no-show",
    "held_rate_with": "Held, with",
    "held_rate_without": "Held, without",
    "rep_id": "Rep",
    "rep_rate": "Rep's rate",
    "team_rate": "Team's rate",
}


def percent_range(bounds: Sequence[float] | None) -> str:
    """An interval of rates, "38 % – 96 %"; "—" when there is none."""
    return DASH if bounds is None else f"{percent(bounds[0])} – {percent(bounds[1])}"


def value_text(key: str, value: Any, rep_names: dict[str, str] | None = None) -> str:
    """A finding's figure as a person reads it: rates (keys naming a rate or share) as
    percentages, counts with separators, a rep by name."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return yes_no(value)
    if key == "rep_id" and rep_names and rep_names.get(str(value)):
        return f"{rep_names[str(value)]} ({value})"
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        if any(word in key for word in ("rate", "share", "fraction")):
            return percent(value)
        return f"{value:,.1f}"
    return str(value)


SIGNIFICANCE = {True: "significant", False: "not significant", None: "not tested"}


def _close_rates(practice: Practice) -> list[tuple[str, str]]:
    """The close rates of deals with and without the practice, and their difference."""
    sides = (
        ("with", practice.with_, practice.deals_with, practice.with_ci95),
        ("without", practice.without, practice.deals_without, practice.without_ci95),
    )
    items = [
        (
            f"Close rate {side} the practice",
            f"{percent(closed.value)} ({deals(dealt)}; 95 % interval {percent_range(bounds)})",
        )
        for side, closed, dealt, bounds in sides
    ]
    items.append(
        (
            "Difference",
            f"{difference(practice.difference, 'rate')} (95 % interval "
            f"{interval(practice.difference_ci95, 'rate')}, "
            f"{SIGNIFICANCE[practice.significant]})",
        )
    )
    return items


@dataclass(frozen=True)
class Evidence:
    """A finding's evidence as (label, value) pairs: its own figures, and the close rates of
    the deals with and without the practice it is about."""

    figures: list[tuple[str, str]]
    close_rates: list[tuple[str, str]]

    @property
    def items(self) -> list[tuple[str, str]]:
        return self.figures + self.close_rates


def evidence(finding: Finding, rep_names: dict[str, str]) -> Evidence:
    return Evidence(
        figures=[
            (EVIDENCE_LABELS.get(key) or humanize(key), value_text(key, value, rep_names))
            for key, value in finding.details
        ],
        close_rates=[] if finding.practice is None else _close_rates(finding.practice),
    )


def impact_text(impact: float | str | None) -> str | None:
    """What a finding costs: the extra deals that would have been won had the deals without the
    practice closed at the rate of those with it."""
    if impact is None:
        return None
    if isinstance(impact, int | float) and not isinstance(impact, bool):
        return f"{impact:,.1f} more deals won had they closed at the better rate"
    return str(impact)


def findings(result: AuditResult) -> list[Finding]:
    return sorted(result.findings, key=lambda f: (f.rank, f.id))


# ---- before / after ----------------------------------------------------------------------


@dataclass(frozen=True)
class CompareRow:
    metric: str
    label: str
    kind: str
    before_value: float | None
    after_value: float | None
    before: str
    after: str
    difference: str
    interval: str
    significant: bool | None
    before_n: int
    after_n: int

    @property
    def unit(self) -> str:
        return _unit(self.kind)


def compare_rows(compare: Compare) -> list[CompareRow]:
    rows = []
    for item in compare.differences:
        kind = item.metric.kind
        show = percent if kind == "rate" else days
        rows.append(
            CompareRow(
                metric=item.metric.key,
                label=item.metric.label,
                kind=kind,
                before_value=item.before,
                after_value=item.after,
                before=show(item.before),
                after=show(item.after),
                difference=difference(item.difference, kind),
                interval=interval(item.ci95, kind),
                significant=item.significant,
                before_n=item.before_n,
                after_n=item.after_n,
            )
        )
    return rows
