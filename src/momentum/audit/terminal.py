"""The audit in the terminal: what a sales manager reads top to bottom after ``momentum audit``.

:func:`render_terminal` prints, with Rich, the funnel from meeting one to won, the gap between
the meetings against the target, close rate by gap, the reps ordered so those who need
coaching come first, the worst weeks, the ranked findings with their playbook step, and the
before/after table when a split date was given. It reads well at 80 columns; on a console that
is not a terminal Rich drops the colours and styles, and every mark that matters (the target
line, figures worse than the team's) is a character, not a colour. Text from the data (rep
names, ids, file names, findings) goes in as :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from momentum.audit import presentation as p
from momentum.audit.result import AuditResult, Compare, Figures, StageTimeline

BLOCKS = " ▁▂▃▄▅▆▇█"
DIVIDER = "┆"
BAR_WIDTH = 30
HISTOGRAM_HEIGHT = 6
GOOD, BAD, MUTED = "green", "red", "dim"


def render_terminal(result: AuditResult, console: Console) -> None:
    """Print the audit report for ``result`` on ``console``."""
    sections: list[tuple[str, RenderableType]] = [
        ("The second-meeting funnel", _funnel(result)),
        ("The gap between meeting one and meeting two", _gaps(result)),
        ("Close rate by gap", _close_rate_by_gap(result.team)),
        ("Reps", _reps(result)),
        ("Worst weeks", _worst_weeks(result)),
        ("Findings", _findings(result)),
    ]
    if result.stages is not None:
        sections.append(("Stages: where deals stop moving", _stages(result.stages)))
    if result.compare is not None:
        sections.append(
            ("Before and after", _compare(result.compare, result.options.observation_days))
        )
    console.print(_header(result))
    for title, body in sections:
        console.print()
        console.print(Rule(Text(title, style="bold"), align="left"))
        console.print(body)


def _header(result: AuditResult) -> RenderableType:
    lines = [Text(p.TITLE, style="bold"), Text(" · ".join(p.scope(result)))]
    if result.sources:
        lines.append(Text("Source: ", style=MUTED) + Text(", ".join(result.sources)))
    return Group(*lines)


def _bar(fraction: float | None, width: int, style: str = "") -> Text:
    """A horizontal bar ``fraction`` of ``width`` cells, in eighths of a cell."""
    if not fraction:
        return Text("")
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    full, part = divmod(eighths, 8)
    return Text("█" * full + (BLOCKS[part] if part else ""), style=style)


def _table(*columns: str) -> Table:
    """A borderless table; its first column is text, the others right-aligned."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index else "left")
    return table


def _funnel(result: AuditResult) -> RenderableType:
    funnel = p.funnel(result.team)
    table = _table("Step", "Deals", "of M1", "")
    for step in funnel.steps:
        table.add_row(
            step.label,
            p.count(step.deals),
            p.percent(step.share),
            _bar(step.share, BAR_WIDTH, "cyan"),
        )
    table.columns[-1].justify = "left"
    close = Text(p.close_rate_sentence(funnel))
    meeting_two = Text(p.meeting_two_rates(result.team))
    notes = [Text(note, style=MUTED) for note in p.unknown_notes(result)]
    return Group(table, close, meeting_two, Text(p.pending_sentence(result), style=MUTED), *notes)


def _gaps(result: AuditResult) -> RenderableType:
    target = result.options.target_days
    gaps = p.held_gaps(result.facts)
    team = result.team
    business, calendar = team.gap_business_days, team.gap_calendar_days
    if len(gaps) == 0 or business is None or calendar is None:
        return Text("No meeting two was held, so there is no gap to show.")
    summary = Text.assemble(
        "Business days: mean ",
        (p.days(business.mean), "bold"),
        " · median ",
        (p.days(business.median), "bold"),
        " · 90th percentile ",
        (p.days(business.p90), "bold"),
        f"\nCalendar days: mean {p.days(calendar.mean)} · median "
        f"{p.days(calendar.median)} · 90th percentile {p.days(calendar.p90)}",
    )
    within = Text.assemble(
        (p.percent(team.within_target.value), "bold"),
        f" of the {p.count(len(gaps))} second meetings held came within the target of "
        f"{target} business days.",
    )
    return Group(
        Text(f"Deals by business days from meeting one to meeting two held (target {target}):"),
        _histogram(p.gap_histogram(gaps, target), target),
        summary,
        within,
    )


def _histogram(bins: Sequence[p.GapBin], target: int) -> Text:
    """Columns of deals per business day, the target drawn as a dotted line after its day."""
    tallest = max(b.deals for b in bins)
    axis = len(str(tallest))
    has_divider = any(b.within_target for b in bins) and not all(b.within_target for b in bins)

    def gutter(b: p.GapBin) -> str:
        """What comes before a bin's column: the target line, or an extra space before the
        open-ended last bin."""
        if has_divider and b.low == target + 1:
            return DIVIDER
        return " " if b.low >= p.OPEN_ENDED_FROM else ""

    lines = Text()
    for row in range(HISTOGRAM_HEIGHT, 0, -1):
        label = str(tallest) if row == HISTOGRAM_HEIGHT else ""
        lines.append(f"{label:>{axis}} │")
        for b in bins:
            filled = round(b.deals / tallest * HISTOGRAM_HEIGHT * 8)
            level = max(0, min(8, filled - (row - 1) * 8))
            lines.append(gutter(b), style=MUTED)
            lines.append(" " + BLOCKS[level] * 2, style=GOOD if b.within_target else BAD)
        lines.append("\n")
    lines.append(f"{0:>{axis}} └" + "─" * sum(3 + len(gutter(b)) for b in bins) + "\n")
    lines.append(" " * (axis + 2))
    for b in bins:
        lines.append(" " * len(gutter(b)) + f"{b.label:>3}")
    lines.append(
        f"\n{' ' * (axis + 2)}business days; {DIVIDER} marks the target ({target}); columns: deals"
    )
    return lines


def _close_rate_by_gap(team: Figures) -> RenderableType:
    table = _table("Gap (bus. days)", "Deals", "Won", "Lost", "Open", "Close", "95 % interval")
    for row in team.by_gap:
        table.add_row(
            p.bucket_label(row),
            p.count(row.deals),
            p.count(row.won),
            p.count(row.lost),
            p.count(row.still_open),
            p.percent(row.close.value),
            p.percent_range(p.wilson_interval(row.won, row.close.denominator)),
        )
    note = Text(
        "Close rate = won / (won + lost); open deals are not counted. The interval is the "
        "95 % Wilson score interval: the range the true close rate very likely lies in.",
        style=MUTED,
    )
    return Group(table, note)


def _metric_cells(
    figures: Figures,
    team: Figures | None,
    marker: str,
    metrics: Sequence[p.KeyMetric] = p.KEY_METRICS,
) -> list[Text]:
    """The block's key figures, those worse than the team's marked (and red)."""
    return [
        Text(text + (marker if worse else " "), style=BAD if worse else "")
        for text, worse in p.metric_cells(figures, team, metrics)
    ]


def _reps(result: AuditResult) -> RenderableType:
    rows = p.rep_rows(result)
    if not rows:
        return Text("No deal with meeting one, so no rep to compare.")
    marker = p.WORSE_MARK
    shown = rows[: p.MAX_REPS_SHOWN]
    table = _table("Rep", "M1", *(m.short for m in p.KEY_METRICS))
    for index, row in enumerate(shown, start=1):
        table.add_row(
            Text(row.label),
            p.count(row.figures.deals_with_first_meeting),
            *(
                Text(text + (marker if marked else " "), style=BAD if marked else "")
                for text, marked in row.cells()
            ),
            end_section=index == len(shown),
        )
    team = result.team
    table.add_row(
        Text("Team"),
        p.count(team.deals_with_first_meeting),
        *_metric_cells(team, None, marker),
        style="bold",
    )
    more = len(rows) - len(shown)
    hidden = (
        (
            f"The first {len(shown)} of {len(rows)} reps; every rep is in --json and in the "
            "HTML report's table. "
        )
        if more > 0
        else ""
    )
    legend = Text(
        hidden + p.REPS_ORDER + " The findings below name them, by rank."
        " M1: deals with meeting one. Gap: median business days to meeting two. "
        "In target: second meetings within the target. Close: close rate after meeting one.",
        style=MUTED,
    )
    return Group(table, legend)


def _worst_weeks(result: AuditResult) -> RenderableType:
    worst = p.worst_weeks(result.weekly)
    eligible = p.ranked_weeks(result.weekly)
    if not worst:
        return Text(
            f"No week had {p.MIN_WEEK_DEALS} or more deals with meeting one and every outcome "
            "known, so none is ranked."
        )
    table = _table("Week", "M1", *(m.short for m in p.WEEK_METRICS), "Lowest")
    for week in worst:
        table.add_row(
            week.week,
            p.count(week.figures.deals_with_first_meeting),
            *_metric_cells(week.figures, result.team, p.WORSE_MARK, p.WEEK_METRICS),
            "both" if len(week.reasons) > 1 else week.reasons[0],
        )
    table.columns[-1].justify = "left"
    note = Text(
        f"The {p.WORST_WEEKS} weeks with the lowest attendance and the {p.WORST_WEEKS} with the "
        f"lowest on-the-spot booking, by the week of meeting one, of the {eligible} "
        f"{'week' if eligible == 1 else 'weeks'} with {p.MIN_WEEK_DEALS} or more deals with "
        "meeting one and every outcome known (recent weeks are still coming in). "
        f"{p.WORSE_MARK} worse than the team.",
        style=MUTED,
    )
    return Group(table, note)


def _findings(result: AuditResult) -> RenderableType:
    found, others = p.established(result), p.not_established(result)
    parts: list[RenderableType] = []
    if not found:
        parts.append(Text("No established findings: nothing in the data stands out for sure."))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right")
    grid.add_column()
    for finding in found:
        body: list[RenderableType] = [Text(finding.text, style="bold")]
        body.extend(Text(f"{label}: {value}") for label, value in p.evidence(finding))
        body.append(
            Text.assemble(
                ("Playbook: ", MUTED), (p.playbook_step(finding.playbook), "green"), (". ", "")
            )
            + Text(p.advice(finding.playbook))
        )
        impact = p.impact_text(finding)
        if impact is not None:
            body.append(Text("Impact: ", style=MUTED) + Text(impact))
        grid.add_row(f"{finding.rank}.", Padding(Group(*body), (0, 0, 1, 0)))
    if found:
        parts.append(grid)
        parts.append(Text(p.overlap_sentence(result), style=MUTED))
    if others:
        parts.append(
            Text(
                "\nNot established (not ranked: once every comparison made is allowed for,"
                " the data does not show these for sure)"
            )
        )
        for finding in others:
            parts.append(
                Text(
                    f"· {finding.text} ({p.difference(finding.difference, 'rate')}, 95 % "
                    f"interval {p.interval(finding.ci95, 'rate')})"
                )
            )
    unnamed = p.unnamed_reps_sentence(result)
    if unnamed:
        parts.append(Text(("" if others else "\n") + unnamed, style=MUTED))
    return Group(*parts)


def _stages(timeline: StageTimeline) -> RenderableType:
    lines: list[RenderableType] = [Text(line) for line in p.stage_sentences(timeline)]
    if timeline.stages:
        table = _table("Stage", "Deals", "Days in stage", "Now", "Stuck", "Lost from")
        for stage in timeline.stages:
            table.add_row(
                Text(stage.stage),
                p.count(stage.deals),
                p.stays(stage),
                p.count(stage.open_now),
                Text(p.count(stage.stuck), style=BAD if stage.stuck else ""),
                p.count(stage.lost_from),
            )
        lines += [table, Text(p.stages_explained(timeline), style=MUTED)]
    return Group(*lines)


def _compare(compare: Compare, window: int) -> RenderableType:
    at = compare.at.isoformat()
    before = compare.before.deals_with_first_meeting
    after = compare.after.deals_with_first_meeting
    intro = Text(
        f"Deals with meeting one before {at} ({p.count(before)}) against those from {at} "
        f"on ({p.count(after)})."
    )
    table = _table("Metric", "Before", "After", "Change", "95 % interval", "Sig.")
    for row in p.compare_rows(compare):
        table.add_row(
            Text(row.label),
            row.before,
            row.after,
            Text(row.difference, style="bold" if row.significant else ""),
            row.interval.removesuffix(f" {row.unit}"),
            p.yes_no(row.significant),
        )
    left_before = compare.before.deals_with_first_meeting - (
        compare.known_before.deals_with_first_meeting
    )
    left_after = compare.after.deals_with_first_meeting - (
        compare.known_after.deals_with_first_meeting
    )
    note = Text(
        "Compared on the deals whose outcome is known: meeting one at least "
        f"{window} business days before the as-of date (left out: {p.deals(left_before)} "
        f"before the cut and {p.count(left_after)} after, more recent than that), "
        "meeting two counted as held when "
        f"held within those {window} business days. "
        "Change: after minus before, in percentage points for rates and days for gaps; the "
        "95 % interval is the range the true change very likely lies in. Sig.: the interval "
        f"excludes zero and the change holds after allowing for the {len(compare.differences)} "
        "figures compared at once (Holm's method).",
        style=MUTED,
    )
    return Group(intro, table, note)
