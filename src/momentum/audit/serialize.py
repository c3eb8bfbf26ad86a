"""The one JSON serialiser of an :class:`~momentum.audit.result.AuditResult`.

:func:`as_json` builds the documented object (``deals``, ``deals_with_first_meeting``,
``second_meeting``, ``close_rate_after_first_meeting``, ``close_rate_by_gap``, ``by_rep``,
``weekly``, ``findings``; ``compare`` when a split date was given); :func:`to_json` writes it.
Rates are fractions in [0, 1], ``null`` where the denominator is 0.
"""

from __future__ import annotations

from typing import Any

from momentum.audit.findings import PLAYBOOK
from momentum.audit.result import (
    AuditResult,
    Compare,
    Comparison,
    Figures,
    Finding,
    GapStats,
    Practice,
)


def _gaps(stats: GapStats | None) -> dict[str, float] | None:
    return None if stats is None else {"mean": stats.mean, "median": stats.median, "p90": stats.p90}


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return None if bounds is None else list(bounds)


def figures_json(figures: Figures, *, deals: bool = True) -> dict[str, Any]:
    """One block of figures; ``deals`` is left out of the per-rep and per-week blocks."""
    return {
        **({"deals": figures.deals} if deals else {}),
        "deals_with_first_meeting": figures.deals_with_first_meeting,
        "second_meeting": {
            "booked_rate": figures.booked.value,
            "booked_on_the_spot_rate": figures.booked_on_the_spot.value,
            "held_rate": figures.held.value,
            "reschedule_rate": figures.rescheduled.value,
            "attendance_rate": figures.attendance.value,
            "gap_calendar_days": _gaps(figures.gap_calendar_days),
            "gap_business_days": _gaps(figures.gap_business_days),
            "within_target_rate": figures.within_target.value,
        },
        "close_rate_after_first_meeting": figures.close.value,
        "close_rate_by_gap": [
            {
                "bucket": row.bucket,
                "deals": row.deals,
                "won": row.won,
                "lost": row.lost,
                "close_rate": row.close.value,
            }
            for row in figures.by_gap
        ],
    }


def _practice(practice: Practice) -> dict[str, Any]:
    return {
        "deals_with": practice.deals_with,
        "deals_without": practice.deals_without,
        "close_rate_with": practice.with_.value,
        "close_rate_without": practice.without.value,
        "close_rate_with_ci95": _interval(practice.with_ci95),
        "close_rate_without_ci95": _interval(practice.without_ci95),
        "difference_ci95": _interval(practice.difference_ci95),
        "significant": practice.significant,
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    step = PLAYBOOK.get(finding.playbook)
    return {
        "id": finding.id,
        "rank": finding.rank,
        "text": finding.text,
        "evidence": {
            **dict(finding.details),
            **(_practice(finding.practice) if finding.practice else {}),
        },
        "playbook": finding.playbook,
        "advice": None if step is None else step.advice,
        "impact": finding.impact,
    }


def _comparison(item: Comparison) -> dict[str, Any]:
    return {
        "metric": item.metric.key,
        "kind": item.metric.kind,
        "before": item.before,
        "after": item.after,
        "difference": item.difference,
        "ci95": _interval(item.ci95),
        "significant": item.significant,
        "before_n": item.before_n,
        "after_n": item.after_n,
    }


def compare_json(compare: Compare) -> dict[str, Any]:
    return {
        "at": compare.at.isoformat(),
        "before": figures_json(compare.before),
        "after": figures_json(compare.after),
        "differences": [_comparison(item) for item in compare.differences],
    }


def as_json(result: AuditResult) -> dict[str, Any]:
    """The documented JSON object of ``result``."""
    report = figures_json(result.team)
    report["by_rep"] = [
        {"rep_id": rep.rep_id, **figures_json(rep.figures, deals=False)} for rep in result.by_rep
    ]
    report["weekly"] = [
        {"week": week.week, **figures_json(week.figures, deals=False)} for week in result.weekly
    ]
    report["findings"] = [finding_json(finding) for finding in result.findings]
    if result.compare is not None:
        report["compare"] = compare_json(result.compare)
    return report


def to_json(result: AuditResult) -> str:
    """The report as indented JSON. orjson writes it in native code: a 20,000-rep report is
    25 MB, which the standard library's indenting encoder (pure Python) takes seconds over."""
    import orjson

    return orjson.dumps(as_json(result), option=orjson.OPT_INDENT_2).decode()
