"""The one JSON serialiser of an :class:`~momentum.audit.result.AuditResult`.

:func:`as_json` builds the documented object (``deals``, ``deals_with_first_meeting``,
``second_meeting``, ``close_rate_after_first_meeting``, ``close_rate_by_gap``, ``by_rep``,
``weekly``, ``findings``, ``stages``; ``compare`` when a split date was given); :func:`to_json` writes it.
Rates are fractions in [0, 1], ``null`` where the denominator is 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from momentum.audit.findings import PLAYBOOK, distinct_deals
from momentum.audit.result import (
    AuditResult,
    Compare,
    Comparison,
    Figures,
    Finding,
    GapStats,
    Group,
    Rate,
    StageTimeline,
)
from momentum.cells import neutralised
from momentum.errors import NotFound


def _gaps(stats: GapStats | None) -> dict[str, float] | None:
    return None if stats is None else {"mean": stats.mean, "median": stats.median, "p90": stats.p90}


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return None if bounds is None else list(bounds)


def figures_json(figures: Figures, *, deals: bool = True) -> dict[str, Any]:
    """One block of figures; ``deals`` is left out of the per-rep and per-week blocks. A
    figure the data cannot tell is null, never 0 or 1."""
    return {
        **({"deals": figures.deals} if deals else {}),
        "deals_with_first_meeting": figures.deals_with_first_meeting,
        "second_meeting": {
            "booked_rate": figures.booked.value,
            "booked_on_the_spot_rate": figures.booked_on_the_spot.value,
            "held_rate": figures.held.value,
            "reschedule_rate": figures.rescheduled.value,
            "attendance_rate": figures.attendance.value,
            # where a store mixes sources: the deals whose source cannot record a no-show
            **_left_out(figures.attendance, "attendance_left_out_deals"),
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


def _left_out(rate: Rate, key: str) -> dict[str, int]:
    return {key: rate.left_out} if rate.left_out else {}


def _group(group: Group) -> dict[str, Any]:
    return {
        "label": group.label,
        "unit": group.unit,
        "deals": group.deals,
        "numerator": group.rate.numerator,
        "denominator": group.rate.denominator,
        "rate": group.rate.value,
    }


def group_from_json(group: dict[str, Any]) -> Group:
    """One side of a finding back from its JSON (:func:`_group`)."""
    return Group(
        label=group["label"],
        rate=Rate(group["numerator"], group["denominator"]),
        unit=group["unit"],
        deals=group["deals"],
    )


def finding_json(
    finding: Finding, deal_ids: Callable[[pl.Series], Any] = pl.Series.to_list
) -> dict[str, Any]:
    """One finding; its deals as a list, or as ``deal_ids`` makes them."""
    step = PLAYBOOK.get(finding.playbook)
    return {
        "id": finding.id,
        "rank": finding.rank,
        "established": finding.established,
        "text": finding.text,
        "kind": finding.kind,
        "step": finding.step,
        "rep_id": finding.rep_id,
        "metric": finding.metric,
        "practice": finding.practice,
        "evidence": {
            "group": _group(finding.group),
            "reference": _group(finding.reference),
            "difference": finding.difference,
            "ci95": _interval(finding.ci95),
            "p_value": finding.p_value,
            "adjusted_p_value": finding.adjusted_p_value,
            "left_out": finding.left_out,
        },
        "playbook": finding.playbook,
        "advice": None if step is None else step.advice,
        "impact": finding.impact,
        "impact_unit": finding.impact_unit,
        "money": [{"currency": m.currency, "amount": m.amount} for m in finding.money],
        "deal_ids": deal_ids(finding.deal_ids),
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
        "p_value": item.p_value,
        "adjusted_p_value": item.adjusted_p_value,
    }


def compare_json(compare: Compare) -> dict[str, Any]:
    return {
        "at": compare.at.isoformat(),
        "before": figures_json(compare.before),
        "after": figures_json(compare.after),
        "known_outcomes": {
            "before": figures_json(compare.known_before),
            "after": figures_json(compare.known_after),
            "pending_before": compare.pending_before,
            "pending_after": compare.pending_after,
        },
        "differences": [_comparison(item) for item in compare.differences],
    }


def stages_json(timeline: StageTimeline | None) -> dict[str, Any] | None:
    """The stage timeline; None when the source has no stage history."""
    if timeline is None:
        return None
    return {
        "stalled_days": timeline.stalled_days,
        "deals": timeline.deals,
        "open_deals": timeline.open_deals,
        "lost_deals": timeline.lost_deals,
        "by_stage": [
            {
                "stage": stage.stage,
                "deals": stage.deals,
                "stays_ended": stage.stays_ended,
                "median_days": stage.median_days,
                "open_now": stage.open_now,
                "stuck": stage.stuck,
                "lost_from": stage.lost_from,
            }
            for stage in timeline.stages
        ],
    }


def as_json(
    result: AuditResult, deal_ids: Callable[[pl.Series], Any] = pl.Series.to_list
) -> dict[str, Any]:
    """The documented JSON object of ``result``; the findings' deals as lists, or as
    ``deal_ids`` makes them."""
    report = figures_json(result.team)
    report["by_rep"] = [
        {"rep_id": rep.rep_id, **figures_json(rep.figures, deals=False)} for rep in result.by_rep
    ]
    report["weekly"] = [
        {"week": week.week, **figures_json(week.figures, deals=False)} for week in result.weekly
    ]
    report["findings"] = [finding_json(finding, deal_ids) for finding in result.findings]
    report["findings_overlap"] = {
        "distinct_deals": distinct_deals(result.findings),
        "note": OVERLAP,
    }
    report["as_of"] = None if result.as_of is None else result.as_of.isoformat()
    report["observation_business_days"] = result.options.observation_days
    report["pending"] = result.pending
    report["pending_by_week"] = [
        {"week": week.week, "pending": week.pending, "observed": week.observed}
        for week in result.weekly
    ]
    report["unknown"] = dict(result.unknown)
    report["left_out"] = {
        name: {"deals": getattr(result.team, name).left_out, "reason": reason}
        for name, reason in result.left_out.items()
    }
    report["stages"] = stages_json(result.stages)
    if result.compare is not None:
        report["compare"] = compare_json(result.compare)
    return report


OVERLAP = (
    "Impacts overlap: one deal can be behind several findings, so the impacts do not add up; "
    "distinct_deals counts the deals behind the established findings once each."
)


def to_json(result: AuditResult) -> bytes:
    """The report as indented JSON (UTF-8). orjson writes it in native code: a 20,000-rep
    report is 25 MB, which the standard library's indenting encoder (pure Python) takes
    seconds over. Each finding's deals are one line, written by Polars: the practices' lists
    hold hundreds of thousands of deals (millions in all on ten million meetings), which
    never become Python strings."""
    import orjson

    # whether any deal id needs escaping in JSON, asked once of all of them
    plain = not result.facts["deal_id"].str.contains(_ESCAPED).any()
    report = as_json(result, deal_ids=lambda ids: _json_array(ids, plain=plain))
    return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


_ESCAPED = r'["\\\x00-\x1f]'  # what a JSON string cannot hold as is


def _json_array(ids: pl.Series, *, plain: bool) -> Any:
    """``ids`` as a JSON array, for orjson to write as is. Ids that need no escaping (no
    quote, backslash or control character: ``plain``) are joined as text by Polars, in a
    tenth of a second for millions; others go through orjson (Polars' JSON writer took a
    second of CPU for the 7.5M ids of ten million meetings)."""
    import orjson

    if not plain:
        return orjson.Fragment(orjson.dumps(ids.to_list()))
    if ids.is_empty():
        return orjson.Fragment(b"[]")
    joined: bytes = ids.str.join('","').cast(pl.Binary).item()
    return orjson.Fragment(b'["' + joined + b'"]')


DEAL_CSV_COLUMNS = ("deal_id", "rep_id", "rep_name", "outcome", "amount", "currency", "meeting_one")


def finding_deals_csv(result: AuditResult, finding_id: str) -> str:
    """The deals behind one finding as CSV (``DEAL_CSV_COLUMNS``; meeting one's start in UTC,
    ISO 8601), in the order the finding lists them. Raises ``NotFound`` for an unknown id."""
    finding = next((f for f in result.findings if f.id == finding_id), None)
    if finding is None:
        known = ", ".join(f.id for f in result.findings) or "none"
        raise NotFound(f"no finding {finding_id!r} in this audit (its findings: {known})")
    order = finding.deal_ids.alias("deal_id").to_frame()
    rows = order.join(
        result.facts.select(
            "deal_id",
            pl.col("owner_id").cast(pl.String).alias("rep_id"),
            pl.col("outcome").cast(pl.String),
            "amount",
            pl.col("currency").cast(pl.String),
            pl.col("m1_start").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("meeting_one"),
        ),
        on="deal_id",
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.col("rep_id").replace_strict(result.rep_names, default=None).alias("rep_name")
    )
    amount = pl.col("amount")
    whole = amount == amount.floor()
    return (
        rows.with_columns(
            # as `momentum export` writes them: 70900, not 70900.0; text a spreadsheet would
            # run as a formula with a leading apostrophe (momentum.cells)
            pl.when(whole)
            .then(amount.cast(pl.Int64).cast(pl.String))
            .otherwise(amount.cast(pl.String)),
            *(neutralised(name) for name in ("deal_id", "rep_id", "rep_name", "currency")),
        )
        .select(DEAL_CSV_COLUMNS)
        .write_csv()
    )
