"""What the audit's reports show, worked out once for the terminal and the HTML report.

Both renderers read an :class:`~momentum.audit.result.AuditResult` through these helpers:
number formats ("60 %", "—" for null), the funnel's counts, the gap histogram's bins, the
per-rep rows ordered for coaching, the worst weeks, the findings' evidence and the
before/after rows. Nothing here defines a metric: every figure is a typed field of the result
(counts and rates) or, for the gap histogram, comes from the per-deal facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from momentum.audit import result as r
from momentum.audit.facts import GAP_BUCKETS
from momentum.audit.findings import PLAYBOOK, percent
from momentum.audit.result import (
    AuditResult,
    BucketFigures,
    Compare,
    Figures,
    Finding,
    Group,
    Metric,
    Rate,
    WeekFigures,
    rate,
)
from momentum.audit.stats import wilson as wilson_interval

__all__ = ["percent", "wilson_interval"]  # re-exported: one definition each, used by the reports
TITLE = "Momentum audit: where deals stall between meeting one and meeting two"
DASH = "—"
UNKNOWN = "unknown"  # a figure the data cannot tell (see Rate.unknown)
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


def _signed_amount(value: float, kind: str, decimals: int | None = None) -> str:
    """Whole percentage points for a rate, days with one decimal otherwise; "+" when above 0."""
    places = (0 if kind == "rate" else 1) if decimals is None else decimals
    amount = round(value * 100 if kind == "rate" else value, places)
    text = f"{abs(amount):.{places}f}"
    return text if amount == 0 else f"{'-' if amount < 0 else '+'}{text}"


def _unit(kind: str) -> str:
    """Rates differ in percentage points ("points": 30 % against 40 % is 10 points)."""
    return "points" if kind == "rate" else "days"


def difference(value: float | None, kind: str) -> str:
    """A difference: percentage points for rates ("+33 points"), days for gaps."""
    return DASH if value is None else f"{_signed_amount(value, kind)} {_unit(kind)}"


def interval(bounds: Sequence[float] | None, kind: str) -> str:
    """A 95 % interval of a difference, "[+12, +50] points"; "—" when there is none. An
    interval that excludes zero never shows a bound of 0: it gets more decimals instead."""
    if bounds is None:
        return DASH
    low, high = bounds
    excludes = low > 0 or high < 0
    decimals = 0 if kind == "rate" else 1
    shown = [_signed_amount(bound, kind, decimals) for bound in bounds]
    while excludes and decimals < 4 and any(float(bound) == 0 for bound in shown):
        decimals += 1
        shown = [_signed_amount(bound, kind, decimals) for bound in bounds]
    return f"[{shown[0]}, {shown[1]}] {_unit(kind)}"


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
        if self.metric.rate is not None and self.metric.rate(figures).unknown:
            return UNKNOWN
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


def share(rate: Rate) -> str:
    """A rate as a percentage, or "unknown" where the data cannot tell it; the deals left
    out of it, where there are (see :func:`unknown_notes` for why)."""
    if rate.unknown:
        return UNKNOWN
    if rate.left_out:
        return f"{percent(rate.value)} ({deals_count(rate.left_out)} left out)"
    return percent(rate.value)


def deals_count(n: int) -> str:
    return f"{count(n)} deal" if n == 1 else f"{count(n)} deals"


def meeting_two_rates(figures: Figures) -> str:
    return (
        f"Booked on the spot {share(figures.booked_on_the_spot)} · rescheduled "
        f"{share(figures.rescheduled)} · attendance {share(figures.attendance)}"
    )


def unknown_notes(result: AuditResult) -> list[str]:
    """Why each figure the data cannot tell is unknown, and why deals are left out of one
    where only some deals' source cannot tell it."""
    notes = [reason[:1].upper() + reason[1:] + "." for reason in result.unknown.values()]
    for name, reason in result.left_out.items():
        rate = getattr(result.team, name)
        notes.append(
            f"{humanize(name)} is measured on the deals whose source can tell it: "
            f"{deals_count(rate.left_out)} left out, as {reason}."
        )
    return notes


def scope(result: AuditResult) -> list[str]:
    """What the report covers: deals, the target, the period and the data's end."""
    team, options = result.team, result.options
    facts = [
        f"{deals(team.deals)}, {count(team.deals_with_first_meeting)} with meeting one",
        f"target gap {options.target_days} business days",
    ]
    if options.since or options.until:
        facts.append(
            f"meeting one from {options.since or 'the start'} to {options.until or 'the end'}"
        )
    if result.data_end is not None:
        facts.append(f"data to {result.data_end.date().isoformat()}")
    if result.as_of is not None:
        facts.append(f"outcomes as of {result.as_of.date().isoformat()}")
        if _data_after_as_of(result):
            facts.append("the data goes on after that date: later events are counted as they are")
    return facts


def _data_after_as_of(result: AuditResult) -> bool:
    """Whether the as-of date asked for comes before the data's end (``--as-of`` in the past)."""
    end, as_of = result.data_end, result.as_of
    return end is not None and as_of is not None and end.date() > as_of.date()


def pending_sentence(result: AuditResult) -> str:
    """How many deals' meeting-two outcome is not known yet, and what that means."""
    window = result.options.observation_days
    return (
        f"{deals(result.pending)} with meeting one {'is' if result.pending == 1 else 'are'} "
        f"pending: meeting one was less than {window} business days before the as-of date"
        f"{' (or after it)' if _data_after_as_of(result) else ''} "
        "and meeting two has not been held yet, or one is still scheduled. The figures above "
        "count them as they stand; worst weeks, comparisons and findings compare only deals "
        "whose meeting one is past that window."
    )


PENDING_WEEKS = (
    "Weeks are those of meeting one. Shaded weeks (and the Pending column) still have deals "
    "whose meeting-two outcome cannot be known yet: their figures count those deals as they "
    "stand and will move (a recent week's gap looks short only because its long gaps have "
    "not happened yet). Read the trend on the other weeks."
)


# ---- gaps and close rates ----------------------------------------------------------------

OPEN_ENDED_FROM = int(GAP_BUCKETS[-1][1])  # the last gap bucket, "21+", has no upper bound


@dataclass(frozen=True)
class GapBin:
    label: str
    low: int
    deals: int
    within_target: bool


def held_gaps(facts: pl.DataFrame) -> npt.NDArray[np.int64]:
    """Business-day gaps of the deals whose meeting two was held (an array: a large team has
    millions)."""
    held = facts.filter(pl.col("m2_held") & pl.col("gap_business_days").is_not_null())
    return held["gap_business_days"].cast(pl.Int64).to_numpy()


def gap_histogram(gaps: Sequence[int] | npt.NDArray[np.int64], target_days: int) -> list[GapBin]:
    """One bin per business day from 0 to past the target (or the longest gap), the gaps of
    the open-ended last bucket ("21+") together; empty when no meeting two was held."""
    if len(gaps) == 0:
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


# The rep outlier findings' steps (``findings.steps``) that are a column of the rep table
STEP_METRICS = {
    "on_the_spot": SPOT.key,
    "held": HELD.key,
    "attendance": ATTENDANCE.key,
    "within_target": WITHIN_TARGET.key,
    "close": CLOSE.key,
}


@dataclass(frozen=True)
class RepRow:
    rep_id: str
    name: str | None
    figures: Figures
    findings: tuple[Finding, ...] = ()  # the established findings naming the rep, by rank

    @property
    def label(self) -> str:
        return self.name or self.rep_id

    @property
    def marked(self) -> frozenset[str]:
        """Keys of the KEY_METRICS on whose step the audit established that the rep falls
        short of the rest of the team: the only figures marked as worse."""
        return frozenset(STEP_METRICS[f.step] for f in self.findings if f.step in STEP_METRICS)

    @property
    def ranks(self) -> str:
        """The ranks of the rep's established findings, "#4, #5"; "" when there are none."""
        return ", ".join(f"#{f.rank}" for f in self.findings)

    def cells(self, metrics: Sequence[KeyMetric] = KEY_METRICS) -> list[tuple[str, bool]]:
        """Each metric's text and whether it is marked (an established finding on its step)."""
        return [(m.text(self.figures), m.key in self.marked) for m in metrics]


MAX_REPS_SHOWN = 25  # reps drawn and printed: those who most need coaching; tables have all
REPS_ORDER = (
    f"{WORSE_MARK} marks a figure only where the audit established that the rep falls short "
    "of the rest of the team on that step; other differences could be chance. Reps with "
    "established findings come first, the largest impact first, then the others by name."
)


def rep_rows(result: AuditResult) -> list[RepRow]:
    """The reps, in the order of what is established: reps with established findings first,
    by the rank of their first one (findings are ranked by impact), then by name and id."""
    found: dict[str, list[Finding]] = {}
    for finding in established(result):
        if finding.kind == "rep" and finding.rep_id is not None:
            found.setdefault(finding.rep_id, []).append(finding)
    rows = [
        RepRow(
            rep_id=rep.rep_id,
            name=result.rep_names.get(rep.rep_id) or None,
            figures=rep.figures,
            findings=tuple(found.get(rep.rep_id, ())),
        )
        for rep in result.by_rep
    ]

    def order(row: RepRow) -> tuple[float, str, str]:
        first = min((f.rank or 0 for f in row.findings), default=math.inf)
        return (first, row.label.casefold(), row.rep_id)

    return sorted(rows, key=order)


@dataclass(frozen=True)
class WorstWeek:
    week: str
    figures: Figures
    reasons: tuple[str, ...]


WEEK_RANKINGS = ((ATTENDANCE, "attendance"), (SPOT, "on the spot"))


def _rankable(week: WeekFigures, min_deals: int) -> bool:
    """Enough deals with meeting one, and every one's outcome known."""
    return week.figures.deals_with_first_meeting >= min_deals and week.observed and not week.pending


def ranked_weeks(weekly: Sequence[WeekFigures], min_deals: int = MIN_WEEK_DEALS) -> int:
    """How many weeks are fit to rank: enough deals, every outcome known."""
    return sum(1 for w in weekly if _rankable(w, min_deals))


def worst_weeks(
    weekly: Sequence[WeekFigures], *, limit: int = WORST_WEEKS, min_deals: int = MIN_WEEK_DEALS
) -> list[WorstWeek]:
    """The ``limit`` weeks with the lowest attendance and those with the lowest on-the-spot
    booking, among weeks with at least ``min_deals`` deals with meeting one whose outcomes
    are all known (recent weeks would rank low only because their outcomes are still coming
    in); in week order."""
    eligible = [w for w in weekly if _rankable(w, min_deals)]
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


SIGNIFICANCE = {True: "significant", False: "not significant", None: "not tested"}


def percent_range(bounds: Sequence[float] | None) -> str:
    """An interval of rates, "38 % – 96 %"; "—" when there is none."""
    return DASH if bounds is None else f"{percent(bounds[0])} – {percent(bounds[1])}"


def _side(group: Group) -> str:
    rate = group.rate
    counted = f"{count(rate.numerator)} of {count(rate.denominator)} {group.unit}"
    more = group.deals not in (None, rate.denominator) or group.unit != "deals"
    of = f"; {deals(group.deals)} in all" if more and group.deals is not None else ""
    return f"{percent(rate.value)} ({counted}{of})"


def p_value(value: float | None) -> str:
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def money(finding: Finding) -> str | None:
    if not finding.money:
        return None
    return ", ".join(f"{m.currency} {m.amount:,.0f}" for m in finding.money)


def evidence(finding: Finding) -> list[tuple[str, str]]:
    """A finding's evidence as (label, value) pairs, every one on the finding's metric."""
    established = (
        "yes: it holds after allowing for every comparison made"
        if finding.established
        else "no: the difference could be chance once every comparison made is allowed for"
        if finding.p_value is not None
        else "no: the difference is below the practical bar, or in the other direction"
    )
    group, reference, shortfall, left_out = comparison(
        finding.group, finding.reference, finding.difference, finding.ci95, finding.left_out
    )
    return [
        ("The practice", finding.practice[:1].upper() + finding.practice[1:]),
        ("Measured on", finding.metric),
        group,
        reference,
        shortfall,
        ("Established", f"{established} (adjusted p-value {p_value(finding.adjusted_p_value)})"),
        left_out,
        (
            "Deals behind it",
            f"{count(len(finding.deal_ids))} (momentum audit --finding {finding.id})",
        ),
    ]


def comparison(
    group: Group,
    reference: Group,
    shortfall: float | None,
    ci95: Sequence[float] | None,
    left_out: str,
) -> list[tuple[str, str]]:
    """What a finding compares, as (label, value) pairs: each side's rate with its counts, the
    difference with its 95 % interval, and the deals left out of both sides."""
    return [
        (group.label[:1].upper() + group.label[1:], _side(group)),
        (reference.label[:1].upper() + reference.label[1:], _side(reference)),
        ("Difference", f"{difference(shortfall, 'rate')} (95 % interval {interval(ci95, 'rate')})"),
        ("Left out", left_out),
    ]


def impact_text(finding: Finding) -> str | None:
    """What is at stake: the shortfall times the group's size, in the finding's unit (and
    money, per currency, where deals have amounts)."""
    if not finding.established:
        return None
    # an estimate: "about 105 more deals won", not "104.6" (one decimal below ten)
    amount = f"{finding.impact:,.0f}" if finding.impact >= 10 else f"{finding.impact:,.1f}"
    text = f"about {amount} {finding.impact_unit} at the rate of {finding.reference.label}"
    worth = money(finding)
    return text if worth is None else f"{text} (worth {worth})"


def established(result: AuditResult) -> list[Finding]:
    return sorted((f for f in result.findings if f.established), key=lambda f: (f.rank or 0, f.id))


def _near(finding: Finding) -> bool:
    """Not established, but past the practical bar: the data came close."""
    return not finding.established and finding.p_value is not None


def not_established(result: AuditResult) -> list[Finding]:
    """Findings looked for but not established, in their order (never ranked by impact);
    only those the data came close on (a difference past the practical bar), and only the
    practices: a rep is never named on a deviation that is not established (see
    :func:`unnamed_rep_comparisons`; the JSON keeps them, with ``established`` false)."""
    return [f for f in result.findings if _near(f) and f.kind != "rep"]


def unnamed_rep_comparisons(result: AuditResult) -> int:
    """How many rep outliers passed the practical bar without being established: counted in
    what a manager reads, never named."""
    return sum(1 for f in result.findings if _near(f) and f.kind == "rep")


def unnamed_reps_sentence(result: AuditResult) -> str:
    """The not-established rep comparisons as a count; "" when there are none."""
    n = unnamed_rep_comparisons(result)
    if not n:
        return ""
    return (
        f"{count(n)} comparison{'' if n == 1 else 's'} of a rep with the rest of the team "
        f"{'was' if n == 1 else 'were'} past the practical bar but not established. A rep is "
        "named only where a finding is established, so these are not listed."
    )


# What the report and the dashboard say around their findings, in the same words
NO_ESTABLISHED = (
    "No established findings: nothing in the data stands out for sure against the playbook."
)
NOT_ESTABLISHED = (
    "Differences past the practical bar that the data does not show for sure once every "
    "comparison made is allowed for (some intervals exclude zero by chance when many are "
    "made); not ranked."
)

OVERLAP_NOTE = (
    "Impacts overlap: a deal can be behind several findings, so they do not add up. "
    "The 95 % interval is the range the true difference very likely lies in; a finding is "
    "established when that range excludes zero and the difference stays clear of chance "
    "after allowing for every comparison made (Benjamini–Hochberg: at most 5 % of "
    "established findings are expected to be false alarms)."
)


def overlap_sentence(result: AuditResult) -> str:
    from momentum.audit.findings import distinct_deals

    return f"{OVERLAP_NOTE} The established findings concern {count(distinct_deals(result.findings))} distinct deals."


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


# ---- stage timeline ------------------------------------------------------------------------

STAGES_EXPLAINED = (
    "Days in stage: the median number of calendar days (weekends included) deals spent in a "
    "stage before moving to the next one or closing, over the stays that ended (in brackets: "
    "how many). Now: open deals in the stage as of the audit. Stuck: of those, deals that entered it "
    "more than {days} days ago. Lost from: lost deals whose last stage before closing was "
    "this one."
)


def stages_explained(timeline: r.StageTimeline) -> str:
    return STAGES_EXPLAINED.format(days=timeline.stalled_days)


def stage_sentences(timeline: r.StageTimeline) -> list[str]:
    """Where deals stop moving, in plain words: the slowest stage, the stages open deals are
    stuck in, and the stages lost deals were lost from (most first)."""
    if not timeline.stages:
        return [
            "The stage history shows no deal in a stage it worked in (before its close) as of "
            "this audit."
        ]
    lines = []
    timed = [stage for stage in timeline.stages if stage.median_days is not None]
    if timed:
        slowest = max(timed, key=lambda stage: stage.median_days or 0.0)
        lines.append(
            f"Deals spend longest in {slowest.stage}: a median of "
            f"{days(slowest.median_days)} days ({count(slowest.stays_ended)} "
            f"stay{'' if slowest.stays_ended == 1 else 's'} ended)."
        )
    if timeline.stuck:
        lines.append(
            f"{count(timeline.stuck)} of {count(timeline.open_deals)} open deals have been in "
            f"the same stage for more than {timeline.stalled_days} days: "
            f"{_most_first(timeline, lambda stage: stage.stuck)}."
        )
    elif timeline.open_deals:
        lines.append(
            f"No open deal has been in the same stage for more than {timeline.stalled_days} days."
        )
    if timeline.lost_deals:
        lost = timeline.lost_deals
        lines.append(
            f"The {count(lost)} lost deal{' was' if lost == 1 else 's were'} lost from "
            f"{_most_first(timeline, lambda stage: stage.lost_from)}."
        )
    return lines


def _most_first(timeline: r.StageTimeline, counted: Callable[[r.StageFigures], int]) -> str:
    """The stages with a count, most first (pipeline order on a tie): "Proposal (3) and
    Discovery (1)"."""
    ranked = sorted(
        (stage for stage in timeline.stages if counted(stage)), key=lambda s: -counted(s)
    )
    parts = [f"{stage.stage} ({count(counted(stage))})" for stage in ranked]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def stays(stage: r.StageFigures) -> str:
    """The median days in a stage with the number of ended stays: "4.0 (3)"."""
    return f"{days(stage.median_days)} ({count(stage.stays_ended)})"
