"""The audit as one self-contained HTML file: ``momentum audit --html FILE``.

:func:`render_html` returns a page that opens offline: its styles and charts (inline SVG from
:mod:`momentum.audit.charts`) are in the file, and it loads no script, font, stylesheet or image.
Every text from the data (rep names and ids, file names, findings) goes through Jinja2's
autoescaping. The same result gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined

from momentum.audit import charts as c
from momentum.audit import presentation as p
from momentum.audit.result import AuditResult, Figures, Finding, StageTimeline

_TEMPLATES = Environment(
    loader=PackageLoader("momentum.audit", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

NBSP = "\u00a0"


def _keep_units(text: str) -> str:
    """``text`` with its numbers tied to their units ("60 %" never breaks across lines)."""
    return text.replace(" %", f"{NBSP}%").replace(" points", f"{NBSP}points")


_TEMPLATES.filters["keep_units"] = _keep_units


@dataclass(frozen=True)
class Table:
    caption: str
    table: c.DataTable


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    lead: list[str] = field(default_factory=list)  # paragraphs before the chart
    chart: c.Chart | None = None
    empty: str = ""  # said instead of the chart when there is nothing to draw
    tables: list[Table] = field(default_factory=list)


def render_html(result: AuditResult) -> str:
    """The audit report for ``result`` as one HTML document."""
    drawn = {chart.key: chart for chart in c.charts(result)}
    return _TEMPLATES.get_template("audit_report.html.j2").render(
        header=_header(result),
        key_figures=_key_figures(result.team),
        findings=_findings(result),
        sections=_sections(result, drawn),
        marker=p.WORSE_MARK,
    )


def _header(result: AuditResult) -> dict[str, Any]:
    return {"title": p.TITLE, "facts": p.scope(result), "sources": result.sources}


def _key_figures(team: Figures) -> list[tuple[str, str]]:
    return [
        ("Deals with meeting one", p.count(team.deals_with_first_meeting)),
        ("Meeting two booked on the spot", p.share(team.booked_on_the_spot)),
        ("Meeting two held", p.percent(team.held.value)),
        ("Attendance at meeting two", p.share(team.attendance)),
        ("Median gap, business days", p.days(p.MEDIAN_GAP.value(team))),
        ("Second meetings within target", p.percent(team.within_target.value)),
        ("Close rate after meeting one", p.percent(team.close.value)),
    ]


DEALS_LISTED = 50  # deals linked per finding; the rest with `momentum audit --finding ID`


def _findings(result: AuditResult) -> dict[str, Any]:
    """The established findings (ranked), the others (listed apart), and the deals behind
    them: each finding links its deals to their row in the report's table of deals."""
    anchors: dict[str, str] = {}

    def linked(finding: Finding) -> dict[str, Any]:
        shown = finding.deal_ids.head(DEALS_LISTED).to_list()
        for deal in shown:
            anchors.setdefault(deal, f"deal-{len(anchors) + 1}")
        return {
            "id": finding.id,
            "rank": finding.rank,
            "text": finding.text,
            "evidence": p.evidence(finding),
            "playbook": p.playbook_step(finding.playbook),
            "advice": p.advice(finding.playbook),
            "impact": p.impact_text(finding),
            "deals": [(deal, anchors[deal]) for deal in shown],
            "more_deals": len(finding.deal_ids) - len(shown),
        }

    found = [linked(f) for f in p.established(result)]
    others = [linked(f) for f in p.not_established(result)]
    rows = (
        result.facts.lazy()
        .filter(pl.col("deal_id").is_in(list(anchors)))
        .select(
            "deal_id",
            pl.col("owner_id").cast(pl.String),
            pl.col("outcome").cast(pl.String),
            "amount",
            pl.col("currency").cast(pl.String),
        )
        .collect()
    )
    deals = sorted(
        (
            {
                "anchor": anchors[deal],
                "deal_id": deal,
                "rep": result.rep_names.get(owner or "") or owner or p.DASH,
                "outcome": outcome or p.DASH,
                "amount": p.DASH if amount is None else f"{currency or ''} {amount:,.2f}".strip(),
            }
            for deal, owner, outcome, amount, currency in rows.iter_rows()
        ),
        key=lambda row: int(str(row["anchor"]).removeprefix("deal-")),
    )
    return {
        "established": found,
        "others": others,
        "overlap": p.overlap_sentence(result) if found else "",
        "none": p.NO_ESTABLISHED,
        "others_explained": p.NOT_ESTABLISHED,
        "unnamed_reps": p.unnamed_reps_sentence(result),
        "deals": deals,
    }


def _sections(result: AuditResult, drawn: dict[str, c.Chart]) -> list[Section]:
    team, target = result.team, result.options.target_days
    funnel = p.funnel(team)
    sections = [
        Section(
            "funnel",
            "The second-meeting funnel",
            lead=[
                f"{p.close_rate_sentence(funnel)}.",
                f"{p.meeting_two_rates(team)}.",
                p.pending_sentence(result),
                *p.unknown_notes(result),
            ],
            chart=drawn["funnel"],
        ),
        Section(
            "gaps",
            "The gap between meeting one and meeting two",
            chart=drawn.get("gaps"),
            empty="No meeting two was held, so there is no gap to show.",
        ),
        Section("close-rate", "Close rate by gap", chart=drawn["close-rate"]),
        _reps(result, drawn.get("reps")),
        Section(
            "weekly",
            "Week by week",
            lead=[p.PENDING_WEEKS] if any(week.pending for week in result.weekly) else [],
            chart=drawn.get("weekly"),
            empty="No deal with meeting one, so no week to show.",
            tables=_worst_weeks(result),
        ),
        Section(
            "survival",
            "Time to meeting two",
            lead=[
                "The share of deals still waiting for meeting two, day by day after meeting "
                f"one; the dashed line is the target of {target} business days."
            ],
            chart=drawn.get("survival"),
            empty="No deal with meeting one, so there is no curve to draw.",
        ),
    ]
    if result.stages is not None:
        sections.append(_stages(result.stages))
    if result.compare is not None:
        sections.append(
            Section(
                "compare",
                "Before and after",
                chart=drawn.get("compare"),
                empty="No figure to compare.",
            )
        )
    return sections


def _reps(result: AuditResult, chart: c.Chart | None) -> Section:
    """The reps against the team; one rep's figures alone (there is no one to compare them
    with, so no chart); the empty message only when no deal has meeting one."""
    rows = p.rep_rows(result)
    if len(rows) != 1:
        return Section(
            "reps",
            "Reps",
            lead=[p.REPS_ORDER] if rows else [],
            chart=chart,
            empty="No deal with meeting one, so no rep to compare.",
        )
    (rep,) = rows
    table = c.DataTable.of(
        ("Rep", "Id", "Deals with meeting one", *(m.heading for m in p.KEY_METRICS)),
        [
            (
                rep.label,
                rep.rep_id,
                p.count(rep.figures.deals_with_first_meeting),
                *c.metric_cells(rep.figures, None),
            )
        ],
        text_columns=2,
        open=True,
    )
    return Section(
        "reps",
        "Reps",
        lead=[
            f"One rep has deals with meeting one here: {rep.label}. There is no other rep to "
            "compare with, so there is no chart, and the rep's figures are the team's."
        ],
        tables=[Table("The rep's figures", table)],
    )


def _stages(timeline: StageTimeline) -> Section:
    """Time in each stage and where deals stop moving, from the stage history."""
    rows = [
        (
            stage.stage,
            p.count(stage.deals),
            p.stays(stage),
            p.count(stage.open_now),
            p.count(stage.stuck),
            p.count(stage.lost_from),
        )
        for stage in timeline.stages
    ]
    table = c.DataTable.of(
        ("Stage", "Deals", "Days in stage (stays ended)", "Now", "Stuck", "Lost from"),
        rows,
        open=True,
    )
    return Section(
        "stages",
        "Stages: where deals stop moving",
        lead=p.stage_sentences(timeline),
        tables=[Table(p.stages_explained(timeline), table)] if rows else [],
    )


def _worst_weeks(result: AuditResult) -> list[Table]:
    worst = p.worst_weeks(result.weekly)
    if not worst:
        return []
    rows = [
        (
            w.week,
            ", ".join(w.reasons),
            p.count(w.figures.deals_with_first_meeting),
            *c.metric_cells(w.figures, result.team, p.WEEK_METRICS),
        )
        for w in worst
    ]
    caption = (
        f"Worst weeks: the {p.WORST_WEEKS} with the lowest attendance and the {p.WORST_WEEKS} "
        f"with the lowest on-the-spot booking, among weeks with {p.MIN_WEEK_DEALS} or more "
        "deals with meeting one."
    )
    table = c.DataTable.of(
        ("Week", "Lowest", "Deals with meeting one", *(m.heading for m in p.WEEK_METRICS)),
        rows,
        text_columns=2,
        open=True,
    )
    return [Table(caption, table)]
