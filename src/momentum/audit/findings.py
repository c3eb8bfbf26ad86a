"""Findings: where momentum is lost, in plain words, with the evidence and the fix.

Each candidate compares deals that did something (booked on the spot, kept the gap short, had
an agenda...) with deals that did not, on the close rate (won / won + lost). A finding is
reported when the weaker practice occurs at all; it is ranked by its ``impact``: the extra
deals that would have been won had the deals without the practice closed at the rate of the
deals with it (zero when the data cannot tell). Each names the playbook step that addresses
it. Small groups are reported but flagged: ``significant`` is true only when the 95 %
interval of the difference in close rates (Newcombe) excludes zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from momentum.audit.compare import newcombe, wilson
from momentum.audit.figures import with_first_meeting
from momentum.audit.result import Detail, Finding, Practice, Rate, rate


@dataclass(frozen=True)
class PlaybookStep:
    title: str  # the step's name, as the reports print it
    advice: str  # what to do, in a sentence


PLAYBOOK = {
    "book_on_the_spot": PlaybookStep(
        "Lock in meeting two on the spot",
        "Lock in the date, time and agenda of meeting two before meeting one ends.",
    ),
    "shorten_the_gap": PlaybookStep(
        "Shorten the gap", "Hold meeting two within 3–5 business days of meeting one."
    ),
    "confirm_with_value": PlaybookStep(
        "Confirm with value",
        "Before meeting two, send a value reminder (an insight, article or data point), not a "
        "bare confirmation.",
    ),
    "sell_the_next_meeting": PlaybookStep(
        "Sell the next meeting",
        "Give meeting two a two-sided agenda that makes it essential to the buyer, e.g. their "
        "own numbers in an ROI model.",
    ),
    "buyer_homework": PlaybookStep(
        "Give the buyer homework",
        "Give the buyer light homework before meeting two: review data, read a case study, "
        "invite a stakeholder.",
    ),
}
MIN_REP_DEALS = 10


def percent(value: float | None) -> str:
    """A fraction as a whole percentage, "60 %" (halves to even, as ``round``); "—" for null.
    Every report formats rates with this."""
    return "—" if value is None else f"{round(value * 100)} %"


@dataclass
class _Split:
    """Deals with a practice (``good``) vs without it (``weak``), and their close rates."""

    good: pl.DataFrame
    weak: pl.DataFrame

    @staticmethod
    def closed(frame: pl.DataFrame) -> tuple[int, int]:
        won = int((frame["outcome"] == "won").sum())
        return won, won + int((frame["outcome"] == "lost").sum())

    def practice(self) -> Practice:
        good, weak = self.closed(self.good), self.closed(self.weak)
        return Practice(
            deals_with=self.good.height,
            deals_without=self.weak.height,
            with_=Rate(*good),
            without=Rate(*weak),
            with_ci95=wilson(*good),
            without_ci95=wilson(*weak),
            difference_ci95=newcombe(weak, good),
        )

    def impact(self) -> float:
        good, weak = self.closed(self.good), self.closed(self.weak)
        if not good[1] or not weak[1]:
            return 0.0
        return max(0.0, good[0] / good[1] - weak[0] / weak[1]) * weak[1]


def _comparison(evidence: Practice, practice: str) -> str:
    if evidence.with_.value is None or evidence.without.value is None:
        return ""
    return (
        f"; those deals closed at {percent(evidence.without.value)} vs "
        f"{percent(evidence.with_.value)} {practice}"
    )


def _finding(id: str, text: str, split: _Split, playbook: str, **details: Detail) -> Finding:
    return Finding(
        id=id,
        rank=0,  # ranked by findings()
        text=text,
        playbook=playbook,
        impact=round(split.impact(), 2),
        practice=split.practice(),
        details=tuple(details.items()),
    )


def _booked_later(funnel: pl.DataFrame, _target: int) -> Finding | None:
    known = funnel.filter(pl.col("on_the_spot").is_not_null())
    split = _Split(known.filter(pl.col("on_the_spot")), known.filter(~pl.col("on_the_spot")))
    if split.weak.height == 0:
        return None
    share = split.weak.height / known.height
    evidence = split.practice()
    text = (
        f"{percent(share)} of second meetings were booked after the first meeting ended"
        + _comparison(evidence, "when booked on the spot")
    )
    return _finding(
        "booked_after_meeting_one",
        text,
        split,
        "book_on_the_spot",
        share=share,
        booked=known.height,
    )


def _never_booked(funnel: pl.DataFrame, _target: int) -> Finding | None:
    split = _Split(funnel.filter(pl.col("m2_held")), funnel.filter(~pl.col("m2_booked")))
    if split.weak.height == 0:
        return None
    share = split.weak.height / funnel.height
    evidence = split.practice()
    text = (
        f"{percent(share)} of deals with a first meeting never got a second one booked "
        f"({split.weak.height} of {funnel.height})"
        + _comparison(evidence, "for deals that held meeting two")
    )
    return _finding("no_second_meeting", text, split, "book_on_the_spot", share=share)


def _long_gap(funnel: pl.DataFrame, target: int) -> Finding | None:
    held = funnel.filter(pl.col("m2_held"))
    split = _Split(
        held.filter(pl.col("gap_business_days") <= target),
        held.filter(pl.col("gap_business_days") > target),
    )
    if split.weak.height == 0:
        return None
    share = split.weak.height / held.height
    median = float(held["gap_business_days"].median())  # type: ignore[arg-type]
    evidence = split.practice()
    text = (
        f"{percent(share)} of second meetings were held more than {target} business days "
        f"after the first (median {median:g} business days)"
        + _comparison(evidence, f"within {target} days")
    )
    return _finding(
        "gap_too_long",
        text,
        split,
        "shorten_the_gap",
        share=share,
        median_business_days=median,
        target_business_days=target,
    )


def _no_shows(funnel: pl.DataFrame, _target: int) -> Finding | None:
    attempted = funnel.filter(pl.col("held_attempts") + pl.col("no_show_attempts") > 0)
    split = _Split(
        attempted.filter(pl.col("no_show_attempts") == 0),
        attempted.filter(pl.col("no_show_attempts") > 0),
    )
    no_shows = int(funnel["no_show_attempts"].sum())
    attempts = no_shows + int(funnel["held_attempts"].sum())
    if no_shows == 0:
        return None
    evidence = split.practice()
    text = (
        f"Buyers did not show up to {percent(no_shows / attempts)} of second meetings "
        f"({no_shows} of {attempts})"
        + _comparison(evidence, "where the buyer came").replace(
            "those deals", "deals with a no-show"
        )
    )
    return _finding(
        "second_meeting_no_shows",
        text,
        split,
        "confirm_with_value",
        no_shows=no_shows,
        attempts=attempts,
    )


def _rescheduled(funnel: pl.DataFrame, _target: int) -> Finding | None:
    booked = funnel.filter(pl.col("m2_booked"))
    split = _Split(booked.filter(~pl.col("rescheduled")), booked.filter(pl.col("rescheduled")))
    if split.weak.height == 0:
        return None
    share = split.weak.height / booked.height
    evidence = split.practice()
    text = f"{percent(share)} of booked second meetings were rescheduled" + _comparison(
        evidence, "when it went ahead as booked"
    )
    return _finding("second_meeting_rescheduled", text, split, "sell_the_next_meeting", share=share)


def _without(
    column: str, id: str, what: str, playbook: str
) -> Callable[[pl.DataFrame, int], Finding | None]:
    def finding(funnel: pl.DataFrame, _target: int) -> Finding | None:
        booked = funnel.filter(pl.col("m2_booked") & pl.col(column).is_not_null())
        split = _Split(booked.filter(pl.col(column)), booked.filter(~pl.col(column)))
        if split.weak.height == 0 or split.good.height == 0:
            return None  # no text in the data at all tells nothing
        share = split.weak.height / booked.height
        held_with = rate(int(split.good["m2_held"].sum()), split.good.height)
        held_without = rate(int(split.weak["m2_held"].sum()), split.weak.height)
        text = (
            f"{percent(share)} of second meetings had no {what}; they were held "
            f"{percent(held_without)} of the time vs {percent(held_with)} with one"
        )
        return _finding(
            id,
            text,
            split,
            playbook,
            share=share,
            held_rate_with=held_with,
            held_rate_without=held_without,
        )

    return finding


def _rep_on_the_spot(
    funnel: pl.DataFrame, _target: int, rep_names: dict[str, str]
) -> Finding | None:
    known = funnel.filter(pl.col("on_the_spot").is_not_null())
    per_rep = (
        known.group_by("owner_id")
        .agg(pl.len().alias("n"), pl.col("on_the_spot").mean().alias("spot"))
        .filter(pl.col("n") >= MIN_REP_DEALS)
        .sort(["spot", "owner_id"])
    )
    if per_rep.height < 2:
        return None
    worst = per_rep.row(0, named=True)
    team = float(known["on_the_spot"].mean())  # type: ignore[arg-type]
    if worst["spot"] >= team:
        return None
    deals = known.filter(pl.col("owner_id") == worst["owner_id"])
    split = _Split(deals.filter(pl.col("on_the_spot")), deals.filter(~pl.col("on_the_spot")))
    name = rep_names.get(worst["owner_id"])
    who = f"{name} ({worst['owner_id']})" if name else f"Rep {worst['owner_id']}"
    text = (
        f"{who} books meeting two on the spot {percent(worst['spot'])} of "
        f"the time, against {percent(team)} for the team ({worst['n']} deals)"
    )
    return _finding(
        "rep_books_later",
        text,
        split,
        "book_on_the_spot",
        rep_id=worst["owner_id"],
        rep_rate=worst["spot"],
        team_rate=team,
    )


FINDING_COLUMNS = (
    "owner_id", "outcome", "on_the_spot", "m2_booked", "m2_held", "gap_business_days",
    "held_attempts", "no_show_attempts", "rescheduled", "m2_agenda", "m2_homework",
)  # fmt: skip

CANDIDATES = (
    _booked_later,
    _never_booked,
    _long_gap,
    _no_shows,
    _rescheduled,
    _without(
        "m2_agenda", "second_meeting_without_agenda", "written agenda", "sell_the_next_meeting"
    ),
    _without("m2_homework", "second_meeting_without_homework", "buyer homework", "buyer_homework"),
)


def findings(
    facts: pl.DataFrame, *, target_days: int, rep_names: dict[str, str] | None = None
) -> list[Finding]:
    """Ranked findings: largest impact first, then the most deals concerned."""
    # only the columns the findings read: each split below copies the rows it keeps
    funnel = with_first_meeting(facts).select(FINDING_COLUMNS)
    found = [f for candidate in CANDIDATES if (f := candidate(funnel, target_days)) is not None]
    if (coaching := _rep_on_the_spot(funnel, target_days, rep_names or {})) is not None:
        found.append(coaching)

    def order(f: Finding) -> tuple[float, int, str]:
        assert isinstance(f.impact, float) and f.practice is not None
        return (-f.impact, -f.practice.deals_without, f.id)

    return [replace(f, rank=rank) for rank, f in enumerate(sorted(found, key=order), start=1)]
