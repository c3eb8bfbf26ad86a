"""Findings: where momentum is lost, in plain words, each on one metric from headline to impact.

Two kinds, judged and ranked together:

- **Practices** of the playbook (book meeting two on the spot, keep the gap short, give it an
  agenda...): the deals that did not follow one against the deals that did, on one metric (the
  close rate, or for an agenda or homework, whether meeting two was held).
- **Rep outliers**: each rep against the rest of the team at every step (meeting two booked,
  booked on the spot, within the target, rescheduled, attendance, held, close rate).

Only deals whose outcome is known are compared (:mod:`momentum.audit.outcomes`: their
observation window has closed). Each comparison is tested with
Fisher's exact test, one-sided in the direction the finding claims (right for a rep's dozen
deals as for the team's thousands), and the p-values of every comparison made, practices and
reps × steps together, are adjusted with Benjamini–Hochberg's method. A finding is
*established* when its adjusted p-value is at most 0.05, the 95 % interval of its difference
(Newcombe) excludes zero, and the difference is at least the practical bar (10 points by
default). Comparisons whose difference is below the bar, or in the other direction, count as
tests but are not computed (their p-value is taken as 1, which only makes the adjustment
stricter).

Established findings are ranked by what is at stake: the deals of the group falling short
times the difference, i.e. the extra deals that would have reached the step (or been won) at
the reference group's rate; that is the finding's impact, in money too where deals have
amounts (per currency). Findings that are not established are listed apart, unranked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from momentum.audit.figures import with_first_meeting
from momentum.audit.result import (
    SIGNIFICANCE_LEVEL,
    Finding,
    Group,
    Money,
    Rate,
)
from momentum.audit.stats import benjamini_hochberg, newcombe
from momentum.playbook import models as playbook


@dataclass(frozen=True)
class PlaybookStep:
    title: str  # the step's name, as the reports print it
    advice: str  # what to do, in a sentence
    talk_track: playbook.PlaybookStep  # the step of the team's playbook it belongs to


PLAYBOOK = {
    "book_on_the_spot": PlaybookStep(
        "Lock in meeting two on the spot",
        "Lock in the date, time and agenda of meeting two before meeting one ends.",
        playbook.PlaybookStep.LOCK_IN,
    ),
    "shorten_the_gap": PlaybookStep(
        "Shorten the gap",
        "Hold meeting two within 3–5 business days of meeting one.",
        playbook.PlaybookStep.SHORTEN_THE_GAP,
    ),
    "confirm_with_value": PlaybookStep(
        "Confirm with value",
        "Before meeting two, send a value reminder (an insight, article or data point), not a "
        "bare confirmation.",
        playbook.PlaybookStep.CONFIRM_WITH_VALUE,
    ),
    "sell_the_next_meeting": PlaybookStep(
        "Sell the next meeting",
        "Give meeting two a two-sided agenda that makes it essential to the buyer, e.g. their "
        "own numbers in an ROI model.",
        playbook.PlaybookStep.SELL_THE_MEETING,
    ),
    "buyer_homework": PlaybookStep(
        "Give the buyer homework",
        "Give the buyer light homework before meeting two: review data, read a case study, "
        "invite a stakeholder.",
        playbook.PlaybookStep.HOMEWORK,
    ),
}


def percent(value: float | None) -> str:
    """A fraction as a whole percentage, "60 %" (halves to even, as ``round``); "—" for null.
    Every report formats rates with this."""
    return "—" if value is None else f"{round(value * 100)} %"


EVERY_DEAL = pl.col("deal_id").is_not_null()  # a column of True (a literal would not add up)


# ---- the steps a rep is compared on ---------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step of the funnel as a rate over deals: who counts (``population``), who reached it
    (``reached``), and whether reaching it is good (higher is better) or bad."""

    key: str
    metric: str  # the metric's name in a sentence: "booked meeting two"
    population: pl.Expr  # deals counted
    reached: pl.Expr  # among them, those that reached the step
    playbook: str
    practice: str  # the practice behind the step, in words
    unit: str = "deals"  # what the rate's denominator counts
    higher_is_better: bool = True
    # attendance counts meetings, not deals: its numerator and denominator by deal
    counts: tuple[pl.Expr, pl.Expr] | None = None


def steps(target_days: int) -> tuple[Step, ...]:
    closed = pl.col("outcome").is_in(["won", "lost"])
    booked, held = pl.col("m2_booked"), pl.col("m2_held")
    return (
        Step(
            "booked",
            "meeting two booked",
            EVERY_DEAL,
            booked,
            "book_on_the_spot",
            "booking a meeting two at all",
        ),
        Step(
            "on_the_spot",
            "meeting two booked on the spot",
            pl.col("on_the_spot").is_not_null(),
            pl.col("on_the_spot").fill_null(False),
            "book_on_the_spot",
            "booking meeting two on the spot: before meeting one ends, or within the grace",
            "deals with a booking time",
        ),
        Step(
            "within_target",
            f"meeting two held within {target_days} business days",
            held,
            pl.col("gap_business_days") <= target_days,
            "shorten_the_gap",
            f"holding meeting two within {target_days} business days of meeting one",
            "second meetings held",
        ),
        Step(
            "rescheduled",
            "meeting two rescheduled",
            booked,
            pl.col("rescheduled"),
            "sell_the_next_meeting",
            "a meeting two that goes ahead as booked",
            "deals with meeting two booked",
            higher_is_better=False,
        ),
        Step(
            "attendance",
            "buyer attendance at meeting two",
            pl.col("held_attempts") + pl.col("no_show_attempts") > 0,
            pl.col("no_show_attempts") == 0,
            "confirm_with_value",
            "buyers who attend meeting two (a confirmation that carries value)",
            "second meetings held or missed",
            counts=(pl.col("held_attempts"), pl.col("held_attempts") + pl.col("no_show_attempts")),
        ),
        Step(
            "held",
            "meeting two held",
            EVERY_DEAL,
            held,
            "sell_the_next_meeting",
            "a meeting two the buyer wants to hold",
        ),
        Step(
            "close",
            "close rate after meeting one",
            closed,
            pl.col("outcome") == "won",
            "sell_the_next_meeting",
            "carrying deals from meeting one to a win",
            "closed deals",
        ),
    )


# ---- practices: deals with and without ------------------------------------------------


@dataclass(frozen=True)
class Practice:
    """A practice of the playbook, found by comparing deals without it to deals with it."""

    id: str
    practice: str  # what the practice is, in plain words
    population: pl.Expr  # the deals compared
    followed: pl.Expr  # among them, those that followed the practice
    without: str  # the deals that did not, as a noun phrase
    with_: str  # the deals that did
    left_out: str  # who the population leaves out
    playbook: str
    metric: str = "close"  # "close" (won / closed) or "held" (meeting two held)


def practices(target_days: int) -> tuple[Practice, ...]:
    booked = pl.col("m2_booked")
    return (
        Practice(
            "booked_after_meeting_one",
            "booking meeting two on the spot: before meeting one ends, or within the grace",
            booked & pl.col("on_the_spot").is_not_null(),
            pl.col("on_the_spot").fill_null(False),
            "deals whose meeting two was booked after meeting one",
            "deals whose meeting two was booked on the spot",
            "deals without meeting two booked, and those whose booking time is unknown",
            "book_on_the_spot",
        ),
        Practice(
            "no_second_meeting",
            "booking a meeting two at all",
            EVERY_DEAL,
            booked,
            "deals with no meeting two booked",
            "deals with meeting two booked (held or not)",
            "nothing",
            "book_on_the_spot",
        ),
        Practice(
            "gap_too_long",
            f"holding meeting two within {target_days} business days of meeting one",
            pl.col("m2_held"),
            pl.col("gap_business_days") <= target_days,
            f"deals whose meeting two came more than {target_days} business days after meeting one",
            f"deals whose meeting two came within {target_days} business days of meeting one",
            "deals without meeting two held",
            "shorten_the_gap",
        ),
        Practice(
            "second_meeting_no_shows",
            "buyers who attend meeting two (a confirmation that carries value)",
            pl.col("held_attempts") + pl.col("no_show_attempts") > 0,
            pl.col("no_show_attempts") == 0,
            "deals whose buyer missed a meeting two",
            "deals whose buyer never missed one",
            "deals without a meeting two held or missed",
            "confirm_with_value",
        ),
        Practice(
            "second_meeting_rescheduled",
            "a meeting two that goes ahead as booked",
            booked,
            ~pl.col("rescheduled"),
            "deals whose meeting two was rescheduled",
            "deals whose meeting two went ahead as booked",
            "deals without meeting two booked",
            "sell_the_next_meeting",
        ),
        Practice(
            "second_meeting_without_agenda",
            "a written agenda for meeting two",
            booked & pl.col("m2_agenda").is_not_null(),
            pl.col("m2_agenda"),
            "deals whose meeting two had no written agenda",
            "deals whose meeting two had one",
            "deals without meeting two booked",
            "sell_the_next_meeting",
            metric="held",
        ),
        Practice(
            "second_meeting_without_homework",
            "light homework for the buyer before meeting two",
            booked & pl.col("m2_homework").is_not_null(),
            pl.col("m2_homework"),
            "deals whose meeting two came with no buyer homework",
            "deals whose meeting two came with some",
            "deals without meeting two booked",
            "buyer_homework",
            metric="held",
        ),
    )


METRICS = {  # name, deals counted, deals that count as reached, the impact's unit, counted's
    "close": (
        "close rate",
        pl.col("outcome").is_in(["won", "lost"]),
        pl.col("outcome") == "won",
        "more deals won",
        "closed deals",
    ),
    "held": (
        "meeting two held",
        EVERY_DEAL,
        pl.col("m2_held"),
        "more second meetings held",
        "deals",
    ),
}


# ---- a candidate finding, before the tests across all of them ------------------------


@dataclass
class _Candidate:
    finding: Finding
    one_sided_p: float | None  # None: not computed (below the bar, or the other way)


Totals = list[tuple[str, float]]  # amounts added up per currency, in currency order


def _totals(frame: pl.DataFrame, by: tuple[str, ...] = ()) -> dict[tuple[Any, ...], Totals]:
    """The amounts of ``frame``'s deals added up per currency, for each value of the columns
    ``by`` (deals without an amount or currency are left out)."""
    totals = (
        frame.lazy()
        .filter(pl.col("amount").is_not_null() & pl.col("currency").is_not_null())
        .group_by(*by, pl.col("currency").cast(pl.String))
        .agg(pl.col("amount").sum())
        .sort(*by, "currency")
        .collect()
    )
    found: dict[tuple[Any, ...], Totals] = {}
    for *key, currency, total in totals.iter_rows():
        found.setdefault(tuple(key), []).append((currency, total))
    return found


def _money(totals: Totals, share: float) -> tuple[Money, ...]:
    """``share`` of the amounts ``totals`` add up, per currency."""
    if share <= 0:
        return ()
    return tuple(Money(currency, round(total * share, 2)) for currency, total in totals)


def _candidate(
    *,
    id: str,
    kind: str,
    step: str,
    metric: str,
    practice: str,
    playbook: str,
    group: Group,
    reference: Group,
    left_out: str,
    higher_is_better: bool,
    deal_ids: pl.Series,  # the group's deals, in id order (see findings)
    measured: Totals,  # the amounts of those the rate counts: the money at stake
    impact_unit: str,
    min_difference: float,
    rep_id: str | None = None,
    p_value: float | None = None,  # the one-sided p-value, when computed ahead
) -> _Candidate:
    g, r = group.rate, reference.rate
    interval = newcombe((r.numerator, r.denominator), (g.numerator, g.denominator))
    shortfall = None
    if g.value is not None and r.value is not None:
        shortfall = (r.value - g.value) if higher_is_better else (g.value - r.value)
    testable = shortfall is not None and shortfall >= min_difference
    p = None
    if testable:
        p = p_value if p_value is not None else _p_value(g, r, higher_is_better)
    impact = round(max(shortfall or 0.0, 0.0) * g.denominator, 2)
    finding = Finding(
        id=id,
        rank=None,
        text=_headline(kind, metric, group, reference),
        kind=kind,
        step=step,
        metric=metric,
        practice=practice,
        playbook=playbook,
        group=group,
        reference=reference,
        left_out=left_out,
        ci95=interval,
        higher_is_better=higher_is_better,
        p_value=p,
        adjusted_p_value=None,
        established=False,
        impact=impact,
        impact_unit=impact_unit,
        money=_money(measured, max(shortfall or 0.0, 0.0)),
        deal_ids=deal_ids,
        rep_id=rep_id,
    )
    return _Candidate(finding, p)


def _headline(kind: str, metric: str, group: Group, reference: Group) -> str:
    g, r = percent(group.rate.value), percent(reference.rate.value)
    if kind == "rep":
        return f"{group.label}: {metric} {g}, against {r} for the rest of the team"
    noun = group.label[0].upper() + group.label[1:]
    if metric == "close rate":
        return f"{noun} closed at {g}, against {r} for {reference.label}"
    return f"{noun}: {metric} {g} of the time, against {r} for {reference.label}"


def _p_value(group: Rate, reference: Rate, higher_is_better: bool) -> float:
    p = _one_sided(
        np.array([group.numerator]),
        np.array([group.denominator]),
        np.array([reference.numerator]),
        np.array([reference.denominator]),
        higher_is_better,
    )
    return float(p[0])


def _one_sided(
    group_n: np.ndarray[Any, Any],
    group_d: np.ndarray[Any, Any],
    reference_n: np.ndarray[Any, Any],
    reference_d: np.ndarray[Any, Any],
    higher_is_better: bool,
) -> np.ndarray[Any, Any]:
    """Fisher's exact test, one-sided, for each group (numerator ``group_n`` of ``group_d``)
    against its reference: the chance of a group this far short (or further) if the group and
    the reference shared one rate."""
    from scipy import stats  # imported where used: see momentum.audit.stats

    total, reached = group_d + reference_d, group_n + reference_n
    if higher_is_better:  # the group reaches the step less often
        return np.asarray(stats.hypergeom.cdf(group_n, total, reached, group_d))
    return np.asarray(stats.hypergeom.sf(group_n - 1, total, reached, group_d))


def _practice_candidates(
    funnel: pl.DataFrame, target_days: int, min_difference: float
) -> list[_Candidate]:
    found = []
    every_practice = practices(target_days)
    # the deals that did not follow each practice (weak) and those that did (good), counted
    # in one pass over the funnel; only the weak deals are taken out of it, practice by practice
    counts = funnel.select(
        expr.alias(f"{practice.id}|{name}")
        for practice in every_practice
        for name, expr in _practice_counts(practice).items()
    ).row(0, named=True)
    for practice in every_practice:
        label, counted, _, unit, counted_unit = METRICS[practice.metric]
        weak_n, weak_d, weak_deals, good_n, good_d, good_deals = (
            int(counts[f"{practice.id}|{name}"] or 0)
            for name in ("weak_n", "weak_d", "weak_deals", "good_n", "good_d", "good_deals")
        )
        if weak_deals == 0 or good_deals == 0:
            continue
        behind = (
            funnel.lazy()  # only the columns used are taken out of the funnel
            .filter(_weak(practice))
            .select("deal_id", "amount", "currency", counted.alias("_counted"))
            .collect()
        )
        found.append(
            _candidate(
                id=practice.id,
                kind="practice",
                step=practice.id,
                metric=label,
                practice=practice.practice,
                playbook=practice.playbook,
                group=Group(practice.without, Rate(weak_n, weak_d), counted_unit, weak_deals),
                reference=Group(practice.with_, Rate(good_n, good_d), counted_unit, good_deals),
                left_out=practice.left_out,
                higher_is_better=True,
                deal_ids=behind["deal_id"],
                measured=_totals(behind.filter(pl.col("_counted"))).get((), []),
                impact_unit=unit,
                min_difference=min_difference,
            )
        )
    return found


def _weak(practice: Practice) -> pl.Expr:
    """The deals of the practice's population that did not follow it."""
    return practice.population & ~practice.followed.fill_null(False)


def _practice_counts(practice: Practice) -> dict[str, pl.Expr]:
    """The rate's numerator and denominator, and the deals, of those that did not follow the
    practice (weak) and those that did (good)."""
    _, counted, reached, _, _ = METRICS[practice.metric]
    weak = _weak(practice)
    good = practice.population & practice.followed.fill_null(False)
    return {
        "weak_n": (weak & counted & reached).sum(),
        "weak_d": (weak & counted).sum(),
        "weak_deals": weak.sum(),
        "good_n": (good & counted & reached).sum(),
        "good_d": (good & counted).sum(),
        "good_deals": good.sum(),
    }


def _rep_candidates(
    funnel: pl.DataFrame,
    target_days: int,
    min_difference: float,
    rep_names: dict[str, str],
) -> tuple[list[_Candidate], int]:
    """Each rep against the rest of the team at every step; and how many comparisons that is
    (each counts as a test, computed or not)."""
    found: list[_Candidate] = []
    tests = 0
    if funnel.height == 0:
        return found, tests
    every_step = steps(target_days)
    # every rep's counts at every step, in one pass over the funnel
    counted = (
        funnel.lazy()
        .group_by("owner_id")
        .agg(
            expr.alias(f"{step.key}|{name}")
            for step in every_step
            for name, expr in _rep_counts(step).items()
        )
        .sort("owner_id")
        .collect()
    )
    for step in every_step:
        per_rep = counted.select(
            "owner_id", *(pl.col(f"{step.key}|{name}").alias(name) for name in ("n", "d", "deals"))
        ).filter(pl.col("d") > 0)
        if per_rep.height < 2:
            continue
        team_n, team_d = int(per_rep["n"].sum()), int(per_rep["d"].sum())
        tests += per_rep.height
        rest_n, rest_d = team_n - per_rep["n"], team_d - per_rep["d"]
        mine = per_rep["n"] / per_rep["d"]
        theirs = rest_n / rest_d
        shortfall = (theirs - mine) if step.higher_is_better else (mine - theirs)
        flagged = per_rep.with_columns(shortfall.alias("_short")).filter(
            (rest_d > 0) & (pl.col("_short") >= min_difference)
        )
        # the flagged reps' deals in one pass, then each rep's (in the funnel's order)
        # (lazy: only the columns used are taken out of the funnel)
        missed = step.reached.fill_null(False)
        chosen = (
            funnel.lazy()
            .filter(pl.col("owner_id").is_in(flagged["owner_id"].implode()) & step.population)
            .select(
                "owner_id",
                "deal_id",
                "amount",
                "currency",
                (~missed if step.higher_is_better else missed).alias("_behind"),
            )
            .collect()
        )
        amounts = _totals(chosen, ("owner_id",))
        # the deals behind each rep's shortfall: those that missed the step
        behind = chosen.filter(pl.col("_behind")).select("owner_id", "deal_id")
        behind_by_rep = behind.partition_by("owner_id", as_dict=True)  # each in order
        # signed: scipy's hypergeom reads unsigned counts wrongly
        n, d = flagged["n"].cast(pl.Int64).to_numpy(), flagged["d"].cast(pl.Int64).to_numpy()
        p_values = _one_sided(n, d, team_n - n, team_d - d, step.higher_is_better)
        for row, p_value in zip(flagged.iter_rows(named=True), p_values, strict=True):
            rep = str(row["owner_id"])
            name = rep_names.get(rep)
            who = f"{name} ({rep})" if name else f"Rep {rep}"
            group = Rate(int(row["n"]), int(row["d"]))
            reference = Rate(team_n - group.numerator, team_d - group.denominator)
            found.append(
                _candidate(
                    id=f"rep_{step.key}:{rep}",
                    kind="rep",
                    step=step.key,
                    metric=step.metric,
                    practice=step.practice,
                    playbook=step.playbook,
                    group=Group(who, group, step.unit, int(row["deals"])),
                    reference=Group("the rest of the team", reference, step.unit),
                    left_out="deals whose meeting one is too recent to tell (still in its "
                    "observation window)",
                    higher_is_better=step.higher_is_better,
                    deal_ids=behind_by_rep.get((row["owner_id"],), behind.clear())["deal_id"],
                    measured=amounts.get((row["owner_id"],), []),
                    impact_unit=_REP_UNITS.get(step.key, f"more deals with {step.metric}"),
                    min_difference=min_difference,
                    rep_id=rep,
                    p_value=float(p_value),
                )
            )
    return found, tests


def _rep_counts(step: Step) -> dict[str, pl.Expr]:
    """A rep's numerator and denominator at ``step``, and the deals it counts."""
    numerator, denominator = step.counts or (
        (step.population & step.reached).cast(pl.Int64),
        step.population.cast(pl.Int64),
    )
    return {"n": numerator.sum(), "d": denominator.sum(), "deals": step.population.sum()}


_REP_UNITS = {
    "booked": "more deals with meeting two booked",
    "on_the_spot": "more second meetings booked on the spot",
    "within_target": "more second meetings within the target",
    "rescheduled": "fewer second meetings rescheduled",
    "attendance": "more second meetings attended",
    "held": "more second meetings held",
    "close": "more deals won",
}


FINDING_COLUMNS = (
    "deal_id", "owner_id", "outcome", "amount", "currency", "on_the_spot", "m2_booked",
    "m2_held", "gap_business_days", "held_attempts", "no_show_attempts", "rescheduled",
    "m2_agenda", "m2_homework",
)  # fmt: skip


def findings(
    facts: pl.DataFrame,
    *,
    target_days: int,
    min_difference: float,
    rep_names: dict[str, str] | None = None,
    skip: Callable[[str], bool] = lambda step: False,
) -> list[Finding]:
    """Every finding, established ones ranked first (largest impact first), then the others,
    unranked. ``facts`` are the deals whose outcome is known; ``skip`` names steps whose
    figure is unknown (e.g. attendance where the source records no no-shows)."""
    # sorted by id once: each finding's deals, taken out of it by filters, are then in id
    # order, and stay Polars columns (the JSON and the CSV are written from them)
    funnel = with_first_meeting(facts).select(FINDING_COLUMNS).sort("deal_id")
    candidates = [
        c
        for c in _practice_candidates(funnel, target_days, min_difference)
        if not skip(c.finding.id)
    ]
    reps, rep_tests = _rep_candidates(funnel, target_days, min_difference, rep_names or {})
    candidates += [c for c in reps if not skip(c.finding.step)]
    # every comparison made counts; those not computed are taken as p = 1
    tests = len(_practice_candidates_count(candidates)) + rep_tests
    p_values: list[float | None] = [c.one_sided_p for c in candidates]
    padded = p_values + [1.0] * max(0, tests - len(candidates))
    adjusted = benjamini_hochberg([1.0 if p is None else p for p in padded])[: len(candidates)]
    judged = []
    for candidate, q in zip(candidates, adjusted, strict=True):
        f = candidate.finding
        established = (
            candidate.one_sided_p is not None
            and q is not None
            and q <= SIGNIFICANCE_LEVEL
            and _short_for_sure(f)
        )
        judged.append(
            replace(
                f,
                adjusted_p_value=None if candidate.one_sided_p is None else q,
                established=established,
            )
        )
    ranked = sorted((f for f in judged if f.established), key=lambda f: (-f.impact, f.id))
    others = sorted(
        (f for f in judged if not f.established),
        key=lambda f: (f.kind != "practice", f.id),
    )
    return [replace(f, rank=rank) for rank, f in enumerate(ranked, start=1)] + others


def _short_for_sure(finding: Finding) -> bool:
    """Whether the 95 % interval of (group − reference) lies wholly on the side it claims."""
    if finding.ci95 is None:
        return False
    low, high = finding.ci95
    return high < 0 if finding.higher_is_better else low > 0


def _practice_candidates_count(candidates: list[_Candidate]) -> list[_Candidate]:
    return [c for c in candidates if c.finding.kind == "practice"]


def distinct_deals(found: list[Finding]) -> int:
    """How many distinct deals are behind the established findings (impacts overlap)."""
    ids = [f.deal_ids for f in found if f.established]
    return int(pl.concat(ids).n_unique()) if ids else 0
