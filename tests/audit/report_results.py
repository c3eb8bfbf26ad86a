"""AuditResults for the report tests, built from real canonical data with the audit's own
definitions (``deal_facts``, ``figures``, ``grouped``), plus findings, a before/after split and a
time-to-meeting-two curve shaped as ``momentum.audit.result`` and the audit issue define them.

The worked example's findings, comparison and curve are worked out by hand from its README.
"""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from momentum.audit.facts import deal_facts, in_period
from momentum.audit.figures import figures, grouped
from momentum.audit.presentation import wilson_interval
from momentum.audit.result import AuditOptions, AuditResult, Survival
from momentum.canonical import Dataset
from momentum.demo.generator import generate
from momentum.importers import open_reader
from momentum.importers.canonical import ReadOptions
from momentum.importers.problems import ProblemLog

HOSTILE = "<img src=x onerror=alert('hi') />"
MARKUP = "[bold red]Eve[/] & <b>Mallory</b>"


def read_folder(folder: Path) -> Dataset:
    reader = open_reader([folder], format="momentum", options=ReadOptions(), problems=ProblemLog())
    return reader.read_all()


def report_of(
    facts: pl.DataFrame, target_days: int, findings: list[dict[str, Any]]
) -> dict[str, Any]:
    """The report's figures for these deal facts, with the findings given."""
    return {
        **figures(facts, target_days=target_days),
        "by_rep": grouped(facts, "owner_id", "rep_id", target_days=target_days),
        "weekly": grouped(facts, "week", "week", target_days=target_days),
        "findings": findings,
    }


def empty_scope(result: AuditResult) -> AuditResult:
    """``result`` narrowed to a period without deals (meeting one from 2030 on)."""
    facts = in_period(result.facts, since=date(2030, 1, 1))
    report = report_of(facts, result.options.target_days, [])
    return replace(result, report=report, facts=facts, survival=None)


def build(
    data: Dataset,
    *,
    options: AuditOptions | None = None,
    findings: list[dict[str, Any]] | None = None,
    compare: dict[str, Any] | None = None,
    survival: Survival | None = None,
    sources: list[str] | None = None,
) -> AuditResult:
    options = options or AuditOptions()
    facts = deal_facts(data, grace=options.grace)
    report = report_of(facts, options.target_days, findings or [])
    if compare is not None:
        report["compare"] = compare
    names = {
        row["rep_id"]: row["name"]
        for row in data.reps.select("rep_id", "name").iter_rows(named=True)
        if row["name"]
    }
    return AuditResult(
        report=report,
        facts=facts,
        options=options,
        survival=survival,
        rep_names=names,
        sources=sources or [],
    )


WORKED_FINDINGS = [
    {
        "id": "booked_after_meeting_one",
        "rank": 1,
        "text": "17 % of second meetings were booked after the first meeting ended; "
        "those deals closed at 0 % vs 60 % when booked on the spot",
        "evidence": {
            "booked_later": 1,
            "booked_with_known_time": 6,
            "booked_later_share": 1 / 6,
            "close_rate_booked_later": 0.0,
            "close_rate_on_the_spot": 0.6,
        },
        "playbook": "book_on_the_spot",
        "advice": "Agree the date, time and agenda of meeting two before meeting one ends.",
        "impact": 1,
    },
    {
        "id": "gap_over_target",
        "rank": 2,
        "text": "1 of 6 second meetings came more than 5 business days after the first; "
        "it was lost",
        "evidence": {"over_target": 1, "held": 6, "median_gap_business_days": 3.5},
        "playbook": "shorten_the_gap",
        "advice": "Offer two slots within 3–5 business days while still in meeting one.",
        "impact": None,
    },
    {
        "id": "no_shows",
        "rank": 3,
        "text": "1 of 7 second meetings was a no-show (attendance 86 %)",
        "evidence": {"no_shows": 1, "attendance_rate": 6 / 7},
        "playbook": "confirm_with_value",
        "advice": "Send a value-driven reminder two business days before meeting two.",
        "impact": 0.5,
    },
]

# Kaplan–Meier by hand: 8 deals with meeting one; meeting two held after 1 (d9), 3 (d1, d7),
# 4 (d3, d4) and 12 (d2) business days; d5 and d8 censored at the data's end.
WORKED_SURVIVAL = Survival(
    days=[0, 1, 3, 4, 12],
    not_yet_held=[1.0, 0.875, 0.625, 0.375, 0.25],
    low=[1.0, 0.387, 0.229, 0.087, 0.038],
    high=[1.0, 0.981, 0.861, 0.674, 0.557],
    at_risk=[8, 8, 7, 5, 3],
    deals=8,
    events=6,
)
COMPARE_AT = date(2026, 3, 9)


def newcombe(before: tuple[int, int], after: tuple[int, int]) -> list[float]:
    """Newcombe's 95 % interval for the difference of two proportions (after − before), from
    their Wilson intervals."""
    (k1, n1), (k2, n2) = before, after
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = wilson_interval(k1, n1) or (0, 0), wilson_interval(k2, n2) or (0, 0)
    change = p2 - p1
    return [
        change - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        change + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    ]


def worked_compare(facts: pl.DataFrame, target_days: int) -> dict[str, Any]:
    """Deals with meeting one before 9 March 2026 (d1, d2, d5, d9) against those from then on
    (d3, d4, d7, d8), with the counts behind each rate from the example's README."""
    with_m1 = facts.filter(pl.col("m1_date").is_not_null())
    before = figures(with_m1.filter(pl.col("m1_date") < COMPARE_AT), target_days=target_days)
    after = figures(with_m1.filter(pl.col("m1_date") >= COMPARE_AT), target_days=target_days)

    def rate(
        path: str, counts_before: tuple[int, int], counts_after: tuple[int, int]
    ) -> dict[str, Any]:
        b, a = _at(before, path), _at(after, path)
        assert (b, a) == (counts_before[0] / counts_before[1], counts_after[0] / counts_after[1])
        ci = newcombe(counts_before, counts_after)
        return {
            "metric": path,
            "kind": "rate",
            "before": b,
            "after": a,
            "difference": a - b,
            "ci95": ci,
            "significant": not (ci[0] <= 0 <= ci[1]),
            "before_n": counts_before[1],
            "after_n": counts_after[1],
        }

    median = "second_meeting.gap_business_days.median"
    return {
        "at": COMPARE_AT.isoformat(),
        "before": before,
        "after": after,
        "differences": [
            # held attempts of held + no-show: m2, m5, m19 | m7, m10, m14 and the no-show m9
            rate("second_meeting.attendance_rate", (3, 3), (3, 4)),
            # d1, d9 of d1, d2, d9 | d3, d4, d8 (d7's booking time is unknown)
            rate("second_meeting.booked_on_the_spot_rate", (2, 3), (3, 3)),
            # won d1, d9 of closed d1, d2, d9 | won d3, d7 of d3, d4, d7, d8
            rate("close_rate_after_first_meeting", (2, 3), (2, 4)),
            {
                "metric": median,
                "kind": "days",
                "before": _at(before, median),
                "after": _at(after, median),
                "difference": _at(after, median) - _at(before, median),
                "ci95": None,
                "significant": None,
                "before_n": 3,
                "after_n": 3,
            },
        ],
    }


def _at(block: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        block = block[part]
    return block


def worked_result(folder: Path, findings: list[dict[str, Any]] = WORKED_FINDINGS) -> AuditResult:
    """The worked example (or a copy of it at ``folder``) with its findings, curve and a
    before/after split at 9 March 2026."""
    result = build(
        read_folder(folder),
        options=AuditOptions(compare_at=COMPARE_AT),
        findings=findings,
        survival=WORKED_SURVIVAL,
        sources=[str(folder)],
    )
    result.report["compare"] = worked_compare(result.facts, result.options.target_days)
    return result


def hostile_copy(worked: Path, root: Path) -> Path:
    """The worked example in a folder named like an attack, its reps renamed to the hostile
    strings found in real CRM exports."""
    folder = root / f"{HOSTILE.replace('/', '_')}"
    shutil.copytree(worked, folder)
    reps = (folder / "reps.csv").read_text(encoding="utf-8")
    reps = reps.replace("Ann Lee", f'"{HOSTILE}"').replace("Bo Krause", f'"{MARKUP}"')
    (folder / "reps.csv").write_text(reps, encoding="utf-8")
    return folder


HOSTILE_FINDING = {
    "id": "rep_stalls",
    "rank": 4,
    "text": f"{HOSTILE} lost the only deal whose meeting two was rescheduled",
    "evidence": {"rep": HOSTILE, "rescheduled": 1},
    "playbook": "sell_the_next_meeting",
    "advice": f"Coach {MARKUP} on an agenda built on the buyer's own numbers.",
    "impact": "high",
}


DEMO_FINDINGS = [
    {
        "id": "booked_after_meeting_one",
        "rank": 1,
        "text": "Half of second meetings were booked after the first meeting ended",
        "evidence": {"booked_later_share": 0.5, "close_rate_on_the_spot": 0.31},
        "playbook": "book_on_the_spot",
        "advice": "Agree the date, time and agenda of meeting two before meeting one ends.",
        "impact": 12,
    },
]


@functools.cache
def demo_result() -> AuditResult:
    """The demo team's audit (12 reps, 800 deals, as of 26 November 2026), made once per run;
    don't change it, replace() it."""
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "momentum-demo"
        generate(folder, deals=800, seed=7, as_of=date(2026, 11, 26))
        data = read_folder(folder)
    result = build(data, findings=DEMO_FINDINGS, sources=["momentum-demo"])
    return replace(result, survival=_survival_shape(result.facts, days=30))


def _survival_shape(facts: pl.DataFrame, days: int) -> Survival:
    """A Kaplan–Meier curve of the demo's gaps (no censoring before the data's end, where every
    deal without meeting two held is censored), for drawing; its band is ±10 points."""
    with_m1 = facts.filter(pl.col("m1_date").is_not_null())
    gaps = with_m1.filter(pl.col("m2_held"))["gap_business_days"].to_list()
    total = with_m1.height
    curve, at_risk, low, high, steps = [], [], [], [], list(range(days + 1))
    remaining = total
    for day in steps:
        at_risk.append(remaining)
        remaining -= sum(1 for g in gaps if g == day)
        share = remaining / total
        curve.append(share)
        low.append(max(share - 0.1, 0.0))
        high.append(min(share + 0.1, 1.0))
    return Survival(
        days=steps,
        not_yet_held=curve,
        low=low,
        high=high,
        at_risk=at_risk,
        deals=total,
        events=len(gaps),
    )
