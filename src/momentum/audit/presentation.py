"""What the audit's reports show, worked out once for the terminal and the HTML report.

Both renderers read an :class:`~momentum.audit.result.AuditResult` through these helpers:
number formats ("60 %", "—" for null), the funnel's counts, the gap histogram's bins, the
per-rep rows ordered for coaching, the worst weeks, the findings' evidence and the
before/after rows. Nothing here defines a metric: every figure comes from ``report`` (the JSON
contract) or, for the gap histogram, from the per-deal facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from momentum.audit.compare import wilson as wilson_interval
from momentum.audit.facts import GAP_BUCKETS
from momentum.audit.findings import percent

__all__ = ["percent", "wilson_interval"]  # re-exported: one definition each, used by the reports
from momentum.audit.result import AuditResult

Block = Mapping[str, Any]
TITLE = "Momentum audit: where deals stall between meeting one and meeting two"
DASH = "—"
MIN_WEEK_DEALS = 3  # weeks with fewer deals with meeting one are too small to rank
WORST_WEEKS = 3

PLAYBOOK = {
    "book_on_the_spot": "Lock in meeting two on the spot",
    "buyer_homework": "Give the buyer homework",
    "sell_the_next_meeting": "Sell the next meeting",
    "shorten_the_gap": "Shorten the gap",
    "confirm_with_value": "Confirm with value",
}


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


def lookup(block: Block, path: str) -> Any:
    """The value at a dotted path ("second_meeting.gap_business_days.median"); None when any
    step is missing or null."""
    value: Any = block
    for part in path.split("."):
        if not isinstance(value, Mapping) or value.get(part) is None:
            return None
        value = value[part]
    return value


# ---- metric names ------------------------------------------------------------------------

METRIC_LABELS = {
    "deals": "Deals",
    "deals_with_first_meeting": "Deals with meeting one",
    "second_meeting.booked_rate": "Meeting two booked",
    "second_meeting.booked_on_the_spot_rate": "Booked on the spot",
    "second_meeting.held_rate": "Meeting two held",
    "second_meeting.reschedule_rate": "Rescheduled",
    "second_meeting.attendance_rate": "Attendance at meeting two",
    "second_meeting.within_target_rate": "Gap within target",
    "close_rate_after_first_meeting": "Close rate after meeting one",
}
_STATS = {"mean": "Mean", "median": "Median", "p90": "90th percentile"}
METRIC_LABELS |= {
    f"second_meeting.gap_{unit}_days.{stat}": f"{name} gap ({unit} days)"
    for unit in ("calendar", "business")
    for stat, name in _STATS.items()
}


def metric_label(path: str) -> str:
    """A person's name for a dotted metric path; unknown paths are spelled out."""
    return METRIC_LABELS.get(path) or humanize(path.replace(".", " "))


def humanize(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class KeyMetric:
    """A figure the per-rep and per-week views compare; ``kind`` says how it is written and
    which way is better (rates: higher; days: lower)."""

    path: str
    heading: str  # a table column's name
    short: str  # the same for a terminal column
    kind: Literal["rate", "days"]

    def value(self, block: Block) -> float | None:
        value = lookup(block, self.path)
        return None if value is None else float(value)

    def text(self, block: Block) -> str:
        value = self.value(block)
        return percent(value) if self.kind == "rate" else days(value)

    def worse(self, block: Block, than: Block) -> bool:
        mine, theirs = self.value(block), self.value(than)
        if mine is None or theirs is None:
            return False
        return mine < theirs if self.kind == "rate" else mine > theirs


SPOT = KeyMetric("second_meeting.booked_on_the_spot_rate", "Booked on the spot", "On spot", "rate")
HELD = KeyMetric("second_meeting.held_rate", "Meeting two held", "M2 held", "rate")
ATTENDANCE = KeyMetric("second_meeting.attendance_rate", "Attendance", "Attend.", "rate")
MEDIAN_GAP = KeyMetric(
    "second_meeting.gap_business_days.median", "Median gap (business days)", "Gap", "days"
)
WITHIN_TARGET = KeyMetric("second_meeting.within_target_rate", "Within target", "In target", "rate")
CLOSE = KeyMetric("close_rate_after_first_meeting", "Close rate", "Close", "rate")
KEY_METRICS = (SPOT, HELD, ATTENDANCE, MEDIAN_GAP, WITHIN_TARGET, CLOSE)
WEEK_METRICS = (SPOT, HELD, ATTENDANCE, MEDIAN_GAP, CLOSE)
WORSE_MARK = "▾"


def metric_cells(
    block: Block, team: Block | None, metrics: Sequence[KeyMetric]
) -> list[tuple[str, bool]]:
    """Each metric's text for ``block`` and whether it is worse than ``team``'s."""
    return [(m.text(block), team is not None and m.worse(block, team)) for m in metrics]


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
    won: int
    lost: int

    @property
    def still_open(self) -> int:
        return self.with_m1 - self.won - self.lost

    @property
    def close_rate(self) -> float | None:
        return _rate(self.won, self.won + self.lost)

    @property
    def steps(self) -> list[FunnelStep]:
        return [
            FunnelStep(label, deals, _rate(deals, self.with_m1))
            for label, deals in (
                ("Meeting one held", self.with_m1),
                ("Meeting two booked", self.booked),
                ("Meeting two held", self.held),
                ("Won", self.won),
            )
        ]


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _count_of(rate: float | None, denominator: int) -> int:
    """The numerator behind a rate (rates are exact quotients of counts)."""
    return 0 if rate is None else round(rate * denominator)


def funnel(block: Block) -> Funnel:
    with_m1 = int(block["deals_with_first_meeting"])
    second = block["second_meeting"]
    return Funnel(
        with_m1=with_m1,
        booked=_count_of(second["booked_rate"], with_m1),
        held=_count_of(second["held_rate"], with_m1),
        won=sum(int(row["won"]) for row in block["close_rate_by_gap"]),
        lost=sum(int(row["lost"]) for row in block["close_rate_by_gap"]),
    )


def close_rate_sentence(funnel: Funnel) -> str:
    return (
        f"Close rate after meeting one: {percent(funnel.close_rate)} ({count(funnel.won)} won, "
        f"{count(funnel.lost)} lost, {count(funnel.still_open)} still open)"
    )


def meeting_two_rates(report: Block) -> str:
    second = report["second_meeting"]
    return (
        f"Booked on the spot {percent(second['booked_on_the_spot_rate'])} · rescheduled "
        f"{percent(second['reschedule_rate'])} · attendance {percent(second['attendance_rate'])}"
    )


def scope(result: AuditResult) -> list[str]:
    """What the report covers: deals, the target, the period and the data's end."""
    report, options = result.report, result.options
    facts = [
        f"{count(int(report['deals']))} deals, "
        f"{count(int(report['deals_with_first_meeting']))} with meeting one",
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
    block: Block
    below_team: frozenset[str]  # paths of the KEY_METRICS where the rep does worse than the team

    @property
    def label(self) -> str:
        return self.name or self.rep_id


MAX_REPS_SHOWN = 25  # reps drawn and printed: those who most need coaching; tables have all


def rep_rows(result: AuditResult) -> list[RepRow]:
    """The reps, those who most need coaching first: most key figures worse than the team's,
    then the lowest share of deals whose meeting two was held, then by id."""
    team = result.report
    rows = [
        RepRow(
            rep_id=str(block["rep_id"]),
            name=result.rep_names.get(str(block["rep_id"])) or None,
            block=block,
            below_team=frozenset(m.path for m in KEY_METRICS if m.worse(block, team)),
        )
        for block in team.get("by_rep", [])
    ]

    def need(row: RepRow) -> tuple[int, float, str]:
        value = HELD.value(row.block)
        return (-len(row.below_team), 2.0 if value is None else value, row.rep_id)

    return sorted(rows, key=need)


@dataclass(frozen=True)
class WorstWeek:
    block: Block
    reasons: tuple[str, ...]

    @property
    def week(self) -> str:
        return str(self.block["week"])


WEEK_RANKINGS = ((ATTENDANCE, "attendance"), (SPOT, "on the spot"))


def worst_weeks(
    weekly: Sequence[Block], *, limit: int = WORST_WEEKS, min_deals: int = MIN_WEEK_DEALS
) -> list[WorstWeek]:
    """The ``limit`` weeks with the lowest attendance and those with the lowest on-the-spot
    booking, among weeks with at least ``min_deals`` deals with meeting one; in week order."""
    eligible = [w for w in weekly if int(w["deals_with_first_meeting"]) >= min_deals]
    reasons: dict[str, list[str]] = {}
    for metric, reason in WEEK_RANKINGS:
        valued = [
            (value, str(w["week"])) for w in eligible if (value := metric.value(w)) is not None
        ]
        for _, week in sorted(valued)[:limit]:
            reasons.setdefault(week, []).append(reason)
    return [
        WorstWeek(block=w, reasons=tuple(reasons[str(w["week"])]))
        for w in sorted(eligible, key=lambda w: str(w["week"]))
        if str(w["week"]) in reasons
    ]


# ---- findings ----------------------------------------------------------------------------


def playbook_step(key: str | None) -> str:
    return PLAYBOOK.get(key or "", humanize(key or "")) or DASH


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
# the comparison every finding makes: deals with the practice against deals without it
_SPLIT = (
    "deals_with",
    "deals_without",
    "close_rate_with",
    "close_rate_without",
    "close_rate_with_ci95",
    "close_rate_without_ci95",
    "difference_ci95",
    "significant",
)


def percent_range(bounds: Sequence[float] | None) -> str:
    """An interval of rates, "38 % – 96 %"; "—" when there is none."""
    return DASH if bounds is None else f"{percent(bounds[0])} – {percent(bounds[1])}"


def value_text(key: str, value: Any, rep_names: Mapping[str, str] | None = None) -> str:
    """An evidence value as a person reads it: rates (keys naming a rate or share) as
    percentages, intervals ("…_ci95") as ranges, counts with separators, a rep by name."""
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
    if key.endswith("_ci95") and isinstance(value, list | tuple) and len(value) == 2:
        return percent_range(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{humanize(str(k))}: {value_text(str(k), v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(key, v) for v in value)
    return str(value)


def _close_rates(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The close rates of deals with and without the practice, and their difference."""
    items = []
    for side in ("with", "without"):
        items.append(
            (
                f"Close rate {side} the practice",
                f"{percent(evidence.get(f'close_rate_{side}'))} "
                f"({deals(int(evidence.get(f'deals_{side}') or 0))}; 95 % interval "
                f"{percent_range(evidence.get(f'close_rate_{side}_ci95'))})",
            )
        )
    with_, without = evidence.get("close_rate_with"), evidence.get("close_rate_without")
    change = None if with_ is None or without is None else with_ - without
    significance = {True: "significant", False: "not significant", None: "not tested"}
    items.append(
        (
            "Difference",
            f"{difference(change, 'rate')} (95 % interval "
            f"{interval(evidence.get('difference_ci95'), 'rate')}, "
            f"{significance[evidence.get('significant')]})",
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


def evidence(values: Mapping[str, Any] | None, rep_names: Mapping[str, str]) -> Evidence:
    values = values or {}
    return Evidence(
        figures=[
            (EVIDENCE_LABELS.get(str(k)) or humanize(str(k)), value_text(str(k), v, rep_names))
            for k, v in values.items()
            if k not in _SPLIT
        ],
        close_rates=_close_rates(values) if "close_rate_with" in values else [],
    )


def impact_text(impact: Any) -> str | None:
    """What a finding costs: the extra deals that would have been won had the deals without the
    practice closed at the rate of those with it."""
    if impact is None:
        return None
    if isinstance(impact, int | float) and not isinstance(impact, bool):
        return f"{impact:,.1f} more deals won had they closed at the better rate"
    return str(impact)


def findings(report: Block) -> list[Block]:
    return sorted(report.get("findings") or [], key=lambda f: (f.get("rank") or 0, f["id"]))


# ---- before / after ----------------------------------------------------------------------


@dataclass(frozen=True)
class CompareRow:
    metric: str
    label: str
    kind: str
    before: str
    after: str
    difference: str
    interval: str
    significant: bool | None
    before_n: int | None
    after_n: int | None

    @property
    def unit(self) -> str:
        return _unit(self.kind)


def compare_rows(compare: Block) -> list[CompareRow]:
    rows = []
    for item in compare.get("differences", []):
        kind = str(item["kind"])
        show = percent if kind == "rate" else days
        rows.append(
            CompareRow(
                metric=str(item["metric"]),
                label=metric_label(str(item["metric"])),
                kind=kind,
                before=show(item.get("before")),
                after=show(item.get("after")),
                difference=difference(item.get("difference"), kind),
                interval=interval(item.get("ci95"), kind),
                significant=item.get("significant"),
                before_n=item.get("before_n"),
                after_n=item.get("after_n"),
            )
        )
    return rows
