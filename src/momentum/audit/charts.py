"""The HTML report's charts: matplotlib figures rendered to inline, accessible SVG.

Each function returns a :class:`Chart`: the SVG (text kept as text, so it is small, searchable
and read by screen readers), a title, a description in words, and the table of the numbers
drawn, which the report shows behind the chart. ``None`` means there is nothing to draw.

Rendering touches no global state that outlives it: figures are plain
:class:`matplotlib.figure.Figure` objects (no pyplot, no backend switch), and the settings a
chart needs (a fixed ``svg.hashsalt`` so the same input gives the same bytes, text as text, no
mathtext so a ``$`` in a rep's name stays a ``$``) apply inside ``rc_context`` under a lock.
Matplotlib reads them while it draws (tick labels are made then) and draws in Python holding
the GIL, so the lock costs a process no throughput; more server processes draw side by side.
Each chart places its axes at margins sized from its own labels (see ``_place``).
Every ``id`` in a chart's SVG is prefixed with the chart's key, so charts inlined into one page
never share an id.
"""

from __future__ import annotations

import io
import math
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import Any, cast

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator, PercentFormatter

from momentum.audit import presentation as p
from momentum.audit.facts import NO_M2_BUCKET
from momentum.audit.result import AuditResult, Compare, Figures, Survival, WeekFigures

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, SKY, GREEN, VERMILION, GREY, BLACK = (
    "#0072B2",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#999999",
    "#222222",
)
WIDTH = 8.0  # inches; 576 pt
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "legend.frameon": False,
}
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_RENDERING = threading.Lock()  # rc_context changes matplotlib's process-wide settings


ESTABLISHED_SHORT = "established to fall short of the rest of the team"


@dataclass(frozen=True)
class Cell:
    text: str
    worse: bool = False  # marked in the table: worse than the team's figure
    said: str = "worse than the team"  # what the mark means, for screen readers


@dataclass(frozen=True)
class DataTable:
    """The numbers behind a chart (or any table of the report), as the reader sees them."""

    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    text_columns: int = 1  # the first columns hold text (left-aligned), the rest numbers
    open: bool = False  # shown unfolded, not behind a disclosure

    @classmethod
    def of(
        cls,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        text_columns: int = 1,
        open: bool = False,
    ) -> DataTable:
        return cls(
            tuple(columns),
            [tuple(c if isinstance(c, Cell) else Cell(str(c)) for c in row) for row in rows],
            text_columns,
            open,
        )


def metric_cells(
    figures: Figures, team: Figures | None, metrics: Sequence[p.KeyMetric] = p.KEY_METRICS
) -> list[Cell]:
    return [Cell(text, worse) for text, worse in p.metric_cells(figures, team, metrics)]


@dataclass(frozen=True)
class Chart:
    key: str  # unique within a report: names the figure and prefixes its SVG's ids
    title: str
    description: str  # what the chart shows, in words: the SVG's <desc> and the caption
    svg: Markup  # trusted markup: matplotlib escapes the text it writes, _accessible the rest
    table: DataTable


def _render(
    key: str,
    title: str,
    description: str,
    size: tuple[float, float],
    draw: Callable[[Figure], None],
) -> Markup:
    with _RENDERING, matplotlib.rc_context(cast(Any, {**STYLE, "svg.hashsalt": key})):
        figure = Figure(figsize=size)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata=NO_METADATA)
    return _accessible(buffer.getvalue(), key, title, description)


def _accessible(svg: str, key: str, title: str, description: str) -> Markup:
    """The SVG ready to inline: no XML prolog, every id prefixed with ``chart-{key}``, its
    stylesheet scoped to itself, and ``role="img"`` named by a <title> and described by a
    <desc>."""
    prefix = f"chart-{key}"
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = re.sub(r"url\(#", f"url(#{prefix}-", svg)
    svg = re.sub(r'href="#', f'href="#{prefix}-', svg)
    svg = svg.replace('<style type="text/css">*{', f'<style type="text/css">#{prefix} *{{', 1)
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace(
        "<svg ",
        f'<svg id="{prefix}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" ',
        1,
    )
    accessible_name = (
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
    )
    return Markup(head + accessible_name + svg[head_end:])


# Margins, in inches. Each chart places its axes at fixed margins sized from its labels (the
# widest measured once), not by constrained layout, which measures every text of the figure
# several times and drew each chart twice: most of a chart's cost.
TICKS = 0.26  # a tick and its label (10 pt) below an axis
LABEL = 0.24  # an axis label (10 pt), beside or below the tick labels
TITLE = 0.3  # an axes title above it (or the legend above a figure's panels)
EDGE = 0.1  # the figure's edge, where nothing else is
_TEXT = TextToPath()


def _width(labels: Sequence[str], size: float = 10) -> float:
    """The width of the widest label, in inches, as matplotlib draws it."""
    font = FontProperties(size=size)
    return (
        max(
            (_TEXT.get_text_width_height_descent(t, font, ismath=False)[0] for t in labels),
            default=0,
        )
        / 72
    )


def _ticks_left(labels: Sequence[str]) -> float:
    """Room for tick labels left of an axis: the widest, its tick and the pads."""
    return _width(labels) + 0.12


def _place(
    figure: Figure,
    *,
    left: float,
    bottom: float,
    top: float = EDGE,
    right: float = 0.2,
    across: float = 0.0,
    down: float = 0.0,
    columns: int = 1,
    rows: int = 1,
) -> None:
    """Fixed margins around the axes, and ``across``/``down`` between panels, in inches."""
    width, height = figure.get_size_inches()
    panel_width = (width - left - right - across * (columns - 1)) / columns
    panel_height = (height - top - bottom - down * (rows - 1)) / rows
    figure.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=across / panel_width,
        hspace=down / panel_height,
    )


def _two_lines(text: str) -> str:
    """``text`` broken at the space nearest its middle."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    middle = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:middle] + "\n" + text[middle + 1 :]


def _pct(rate: float | None) -> float:
    return math.nan if rate is None else rate * 100


def _percent_axis(axis: Any) -> None:
    axis.set_major_formatter(PercentFormatter(decimals=0))


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- the funnel --------------------------------------------------------------------------


def funnel_chart(team: Figures) -> Chart:
    funnel = p.funnel(team)
    steps = funnel.steps
    title = "From meeting one to won"
    description = (
        f"Of {p.count(funnel.with_m1)} deals with meeting one held, "
        f"{p.count(funnel.booked)} booked meeting two ({p.percent(steps[1].share)}), "
        f"{p.count(funnel.held)} held it ({p.percent(steps[2].share)}) and "
        f"{p.count(funnel.won)} were won ({p.percent(steps[3].share)}). Close rate after "
        f"meeting one: {p.percent(funnel.close_rate)} of {p.count(funnel.won + funnel.lost)} "
        f"closed deals ({p.count(funnel.still_open)} still open)."
    )

    def draw(figure: Figure) -> None:
        labels = [s.label for s in steps]
        _place(figure, left=_ticks_left(labels) + EDGE, bottom=TICKS + LABEL + EDGE, top=TITLE)
        ax = figure.add_subplot()
        counts = [s.deals for s in steps]
        bars = ax.barh(labels, counts, color=[BLUE, BLUE, BLUE, GREEN], height=0.6)
        ax.invert_yaxis()
        ax.bar_label(
            bars, labels=[f" {p.count(s.deals)} ({p.percent(s.share)})" for s in steps], padding=2
        )
        ax.set_xlim(0, max(max(counts), 1) * 1.25)
        ax.set_xlabel("Deals")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
        ax.grid(axis="x")
        ax.set_title("Share of the deals with meeting one held, in brackets")

    svg = _render("funnel", title, description, (WIDTH, 2.6), draw)
    table = DataTable.of(
        ("Step", "Deals", "Share of deals with meeting one"),
        [(s.label, p.count(s.deals), p.percent(s.share)) for s in steps],
    )
    return Chart("funnel", title, description, svg, table)


# ---- gaps --------------------------------------------------------------------------------


def gap_chart(result: AuditResult) -> Chart | None:
    gaps = p.held_gaps(result.facts)
    if len(gaps) == 0:
        return None
    target = result.options.target_days
    bins = p.gap_histogram(gaps, target)
    team = result.team
    stats = team.gap_business_days
    if stats is None:
        return None
    within = sum(b.deals for b in bins if b.within_target)
    title = "Business days from meeting one to meeting two"
    description = (
        f"{p.count(len(gaps))} second meetings held; {p.count(within)} "
        f"({p.percent(team.within_target.value)}) within the target of {target} business "
        f"days. Mean {p.days(stats.mean)}, median {p.days(stats.median)}, 90th "
        f"percentile {p.days(stats.p90)} business days."
    )

    def draw(figure: Figure) -> None:
        highest = max(b.deals for b in bins)
        _place(
            figure,
            left=LABEL + _ticks_left([f"{highest * 1.05:.0f}"]) + EDGE,
            bottom=TICKS + LABEL + EDGE,
            top=TITLE,
        )
        ax = figure.add_subplot()
        positions = range(len(bins))
        for flag, colour, label in ((True, BLUE, "Within target"), (False, ORANGE, "Over target")):
            chosen = [i for i, b in zip(positions, bins, strict=True) if b.within_target == flag]
            if chosen:
                ax.bar(chosen, [bins[i].deals for i in chosen], color=colour, label=label)
        over = next((i for i, b in enumerate(bins) if not b.within_target), None)
        if over is not None and over > 0:
            ax.axvline(over - 0.5, color=BLACK, linestyle="--", linewidth=1.2)
            ax.annotate(
                f"target: {target} business days",
                (over - 0.5, 1),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
            )
        ax.set_xticks(list(positions), [b.label for b in bins])
        ax.set_xlabel("Business days from meeting one to meeting two held")
        ax.set_ylabel("Deals")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
        ax.grid(axis="y")
        ax.legend(loc="upper right")
        ax.set_title(
            f"Mean {p.days(stats.mean)} · median {p.days(stats.median)} · "
            f"90th percentile {p.days(stats.p90)} business days"
        )

    svg = _render("gaps", title, description, (WIDTH, 3.4), draw)
    table = DataTable.of(
        ("Business days", "Deals", "Within target"),
        [(b.label, p.count(b.deals), p.yes_no(b.within_target)) for b in bins],
    )
    return Chart("gaps", title, description, svg, table)


def close_rate_chart(team: Figures) -> Chart:
    rows = team.by_gap
    intervals = [p.wilson_interval(r.won, r.close.denominator) for r in rows]
    names = [p.bucket_label(r) for r in rows]
    title = "Close rate by gap between the meetings"
    described = [
        f"{name}: {p.percent(r.close.value)} ({r.won} of {r.close.denominator})"
        for name, r in zip(names, rows, strict=True)
        if r.close.value is not None
    ]
    description = (
        "Won / (won + lost) per business-day gap, with 95 % Wilson intervals (each the range "
        "the true close rate very likely lies in). "
        + ("; ".join(described) if described else "No deal with meeting one has closed")
        + "."
    )

    def draw(figure: Figure) -> None:
        _place(figure, left=LABEL + _ticks_left(["100%"]) + EDGE, bottom=TICKS + LABEL + EDGE)
        ax = figure.add_subplot()
        x = list(range(len(rows)))
        rates = [_pct(r.close.value) for r in rows]
        colours = [GREY if r.bucket == NO_M2_BUCKET else BLUE for r in rows]
        ax.bar(x, rates, color=colours, width=0.6)
        drawn = [(i, ci) for i, ci in enumerate(intervals) if ci is not None]
        if drawn:
            ax.errorbar(
                [i for i, _ in drawn],
                [rates[i] for i, _ in drawn],
                yerr=[
                    [rates[i] - ci[0] * 100 for i, ci in drawn],
                    [ci[1] * 100 - rates[i] for i, ci in drawn],
                ],
                fmt="none",
                ecolor=BLACK,
                capsize=5,
                label="95 % interval",
            )
            ax.legend(loc="upper right")
        for i, r in enumerate(rows):
            closed = r.close.denominator
            text = f"{p.percent(r.close.value)}\n{closed} closed" if closed else "no closed\ndeals"
            bounds = intervals[i]
            top = 0.0 if bounds is None else bounds[1] * 100
            ax.annotate(
                text, (i, top), xytext=(0, 4), textcoords="offset points", ha="center", va="bottom"
            )
        ax.set_xticks(x, names)
        ax.set_ylim(0, 125)
        ax.set_yticks(range(0, 101, 20))
        _percent_axis(ax.yaxis)
        ax.set_xlabel("Business days from meeting one to meeting two held")
        ax.set_ylabel("Close rate (won / closed)")
        ax.grid(axis="y")

    svg = _render("close-rate", title, description, (WIDTH, 3.6), draw)
    table = DataTable.of(
        ("Gap (business days)", "Deals", "Won", "Lost", "Open", "Close rate", "95 % interval"),
        [
            (
                name,
                p.count(r.deals),
                p.count(r.won),
                p.count(r.lost),
                p.count(r.still_open),
                p.percent(r.close.value),
                p.percent_range(ci),
            )
            for name, r, ci in zip(names, rows, intervals, strict=True)
        ],
    )
    return Chart("close-rate", title, description, svg, table)


# ---- weeks -------------------------------------------------------------------------------


def _span(values: Sequence[float | None], show: Callable[[float | None], str]) -> str:
    known = [v for v in values if v is not None]
    return f"{show(min(known))} to {show(max(known))}" if known else "unknown"


PENDING_LABEL = "Outcomes still pending"  # the shaded weeks, in every weekly chart


def _shade_pending(ax: Any, positions: Sequence[int], weeks: Sequence[str], key: str) -> None:
    """Shade the weeks at ``positions`` (their outcomes are still pending) the same way in
    every weekly chart; each shade is ``{key}-pending-{week}`` in the SVG."""
    for position, week in zip(positions, weeks, strict=True):
        span = ax.axvspan(position - 0.5, position + 0.5, color=GREY, alpha=0.2, linewidth=0)
        span.set_gid(f"{key}-pending-{week}")


def _pending_patch() -> Patch:
    return Patch(color=GREY, alpha=0.2, label=PENDING_LABEL)


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_chart(weeks: Sequence[WeekFigures], target_days: int) -> Chart | None:
    if not weeks:
        return None
    labels = [w.week for w in weeks]
    spot = [p.SPOT.value(w.figures) for w in weeks]
    attendance = [p.ATTENDANCE.value(w.figures) for w in weeks]
    gap = [p.MEDIAN_GAP.value(w.figures) for w in weeks]
    title = "Week by week (by the week of meeting one)"
    ranges = [
        f"{name} ranged from {_span(values, show)}{unit}"
        for name, values, show, unit in (
            ("attendance at meeting two", attendance, p.percent, ""),
            ("booking on the spot", spot, p.percent, ""),
            ("the median gap", gap, p.days, f" business days (target {target_days})"),
        )
        if any(value is not None for value in values)  # "ranged from unknown" says nothing
    ]
    weeks_said = f"{len(weeks)} week{'' if len(weeks) == 1 else 's'}"
    said = "; ".join(ranges)
    description = (
        f"{weeks_said} from {labels[0]} to {labels[-1]}."
        + (f" {said[:1].upper()}{said[1:]}." if said else "")
        + pending_weeks_sentence(weeks)
    )

    mondays = [_monday(label) for label in labels]
    first = mondays[0]
    offsets = [(monday - first).days // 7 for monday in mondays]
    # every week from the first to the last, so that weeks without deals break the lines
    span = range(offsets[-1] + 1)

    def spread(values: Sequence[float | None], scale: float) -> list[float]:
        line = [math.nan] * len(span)
        for offset, value in zip(offsets, values, strict=True):
            line[offset] = math.nan if value is None else value * scale
        return line

    def draw(figure: Figure) -> None:
        # the week labels, turned 45°, hang about 0.75 inches below the axis
        _place(
            figure,
            left=LABEL + _ticks_left(["100%"]) + EDGE,
            bottom=0.75 + LABEL + EDGE,
            down=0.15,
            rows=2,
        )
        rates, days = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        x = list(span)
        waiting = [(offset, w.week) for offset, w in zip(offsets, weeks, strict=True) if w.pending]
        for ax, part in ((rates, "rates"), (days, "days")):
            _shade_pending(ax, [o for o, _ in waiting], [w for _, w in waiting], f"weekly-{part}")
        rates.plot(
            x, spread(attendance, 100), marker="o", color=BLUE, label="Attendance at meeting two"
        )
        rates.plot(
            x, spread(spot, 100), marker="s", color=ORANGE, label="Meeting two booked on the spot"
        )
        rates.set_ylim(0, 105)
        _percent_axis(rates.yaxis)
        rates.set_ylabel("Share of deals")
        rates.grid(axis="y")
        rates.legend(loc="lower left", ncols=2)
        days.plot(x, spread(gap, 1), marker="o", color=VERMILION, label="Median gap")
        days.axhline(
            target_days, color=BLACK, linestyle="--", linewidth=1, label=f"Target ({target_days})"
        )
        highest = max([v for v in gap if v is not None] + [float(target_days)])
        days.set_ylim(0, highest * 1.3 + 1)
        days.set_ylabel("Business days")
        days.grid(axis="y")
        handles, _ = days.get_legend_handles_labels()
        days.legend(
            handles=handles + ([_pending_patch()] if waiting else []),
            loc="upper left",
            ncols=len(handles) + bool(waiting),
        )
        step = max(1, math.ceil(len(span) / 12))
        ticks = x[::step]
        days.set_xticks(
            ticks, [_week_label(first + timedelta(weeks=t)) for t in ticks], rotation=45, ha="right"
        )
        days.set_xlabel("ISO week of meeting one")

    svg = _render("weekly", title, description, (WIDTH, 4.6), draw)
    table = DataTable.of(
        (
            "Week",
            "Deals with meeting one",
            "Pending",
            "Booked on the spot",
            "Attendance",
            "Median gap (business days)",
        ),
        [
            (
                label,
                p.count(w.figures.deals_with_first_meeting),
                p.count(w.pending),
                p.percent(s),
                p.percent(a),
                p.days(g),
            )
            for label, w, s, a, g in zip(labels, weeks, spot, attendance, gap, strict=True)
        ],
    )
    return Chart("weekly", title, description, svg, table)


def pending_weeks_sentence(weeks: Sequence[WeekFigures]) -> str:
    """Which weeks of the weekly chart are shaded, and why; "" when no outcome is pending."""
    waiting = [w for w in weeks if w.pending]
    if not waiting:
        return ""
    names = ", ".join(w.week for w in waiting)
    total = sum(w.pending for w in waiting)
    return (
        f" Shaded weeks ({names}) still have outcomes pending ({p.deals(total)} whose meeting "
        "two cannot be known yet): their figures count those deals as they stand and will "
        "move, so they are not a trend."
    )


@dataclass(frozen=True)
class TrendPanel:
    """One rate of a trend chart, week by week: one person's line and a comparison line
    (``None``: unknown that week). ``key`` names the lines in the SVG (``{key}-mine``,
    ``{key}-others``)."""

    key: str
    heading: str
    mine: Sequence[float | None]
    others: Sequence[float | None]


def trend_chart(
    key: str,
    title: str,
    weeks: Sequence[str],
    panels: Sequence[TrendPanel],
    pending: Sequence[int],
    *,
    mine: str,
    others: str,
) -> Chart | None:
    """Rates week by week, ``mine`` against ``others`` (dashed), one panel per rate; weeks
    with deals too recent to compare (``pending[i] > 0``) are shaded in every panel
    (``{panel}-pending-{week}`` in the SVG). Used by the coaching page."""
    if not weeks or not panels:
        return None
    marked = [week for week, waiting in zip(weeks, pending, strict=True) if waiting]
    description = (
        f"{len(weeks)} week{'' if len(weeks) == 1 else 's'} from {weeks[0]} to {weeks[-1]}, "
        "by the week of meeting one: "
        + "; ".join(
            f"{panel.heading} {_span(panel.mine, p.percent)} for {mine}, "
            f"{_span(panel.others, p.percent)} for {others}"
            for panel in panels
        )
        + ". Rates count only deals whose outcome is known"
        + (
            f"; shaded weeks ({', '.join(marked)}) have deals too recent to compare."
            if marked
            else "."
        )
    )

    def line(values: Sequence[float | None]) -> list[float]:
        return [_pct(value) for value in values]

    def draw(figure: Figure) -> None:
        columns = 2 if len(panels) > 1 else 1
        rows = math.ceil(len(panels) / columns)
        # the legend and the panels' titles above, the week labels (turned 30°) below
        _place(
            figure,
            # the first week's label, turned, reaches further left than the rates
            left=max(_ticks_left(["100%"]), _width(weeks[:1]) * 0.9) + EDGE,
            bottom=0.6 + EDGE,
            top=2 * TITLE,
            across=0.25,
            down=TITLE + 0.1,
            columns=columns,
            rows=rows,
        )
        axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).flatten()
        x = list(range(len(weeks)))
        waiting = [i for i in x if pending[i]]
        for ax, panel in zip(axes, panels, strict=False):
            _shade_pending(ax, waiting, [weeks[i] for i in waiting], panel.key)
            (drawn,) = ax.plot(x, line(panel.mine), marker="o", color=BLUE, label=mine)
            drawn.set_gid(f"{panel.key}-mine")
            (drawn,) = ax.plot(
                x, line(panel.others), marker="s", color=BLACK, linestyle="--", label=others
            )
            drawn.set_gid(f"{panel.key}-others")
            ax.set_title(panel.heading)
            ax.set_ylim(-3, 103)
            ax.set_xlim(-0.5, len(weeks) - 0.5)
            _percent_axis(ax.yaxis)
            ax.grid(axis="y")
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        ticks = x[:: max(1, math.ceil(len(weeks) / 6))]
        for ax in axes[-columns:]:
            ax.set_xticks(ticks, [weeks[t] for t in ticks], rotation=30, ha="right")
        figure.legend(
            handles=[
                Line2D([], [], color=BLUE, marker="o", label=mine),
                Line2D([], [], color=BLACK, marker="s", linestyle="--", label=others),
                _pending_patch(),
            ],
            loc="outside upper left",
            ncols=3,
        )

    rows = math.ceil(len(panels) / 2) if len(panels) > 1 else 1
    svg = _render(key, title, description, (WIDTH, 1.2 + 2.2 * rows), draw)
    table = DataTable.of(
        (
            "Week",
            "Pending",
            *(f"{panel.heading}: {who}" for panel in panels for who in (mine, others)),
        ),
        [
            (
                week,
                p.count(pending[i]),
                *(
                    p.percent(value)
                    for panel in panels
                    for value in (panel.mine[i], panel.others[i])
                ),
            )
            for i, week in enumerate(weeks)
        ],
    )
    return Chart(key, title, description, svg, table)


# ---- reps --------------------------------------------------------------------------------

REP_PANELS = tuple(m for m in p.KEY_METRICS if m.kind == "rate")


def reps_chart(result: AuditResult) -> Chart | None:
    """``None`` for fewer than two reps: one rep's bars would all sit on the team's line."""
    every = p.rep_rows(result)
    if len(every) < 2:
        return None
    rows = every[: p.MAX_REPS_SHOWN]  # drawn; the table below has every rep
    team = result.team
    title = "Reps against the team"
    worst = rows[0]
    which = (
        f"{len(rows)} reps"
        if len(rows) == len(every)
        else (f"The first {len(rows)} of {len(every)} reps (the table has them all)")
    )
    marked = [r for r in every if r.findings]
    first = (
        f"First: {worst.label}, with {len(worst.findings)} established "
        f"finding{'' if len(worst.findings) == 1 else 's'}."
        if worst.findings
        else "No rep is established to fall short of the rest of the team on any step."
    )
    description = (
        f"{which}; a bar is orange where the audit established that the rep falls short of "
        f"the rest of the team on that step, and the team's figure is the dashed line. "
        f"{p.count(len(marked))} of {p.count(len(every))} reps have established findings. "
        f"{first}"
    )

    def draw(figure: Figure) -> None:
        names = [_short(r.label) for r in rows]
        left, right, across, columns = _ticks_left(names) + EDGE, 0.25, 0.35, len(REP_PANELS)
        panel = (WIDTH - left - right - across * (columns - 1)) / columns
        # a heading wider than its panel (long names leave narrow panels) takes two lines
        headings = [
            _two_lines(m.heading) if _width([m.heading], 9) > panel + across - 0.1 else m.heading
            for m in REP_PANELS
        ]
        _place(
            figure,
            left=left,
            bottom=TICKS + LABEL + EDGE,
            top=TITLE + (0.4 if any("\n" in h for h in headings) else 0.25),
            right=right,
            across=across,
            columns=columns,
        )
        # not sharing the y axis: only the first panel has the names, the others no y ticks
        axes = figure.subplots(1, len(REP_PANELS))
        y = list(range(len(rows)))
        for ax, metric, heading in zip(axes, REP_PANELS, headings, strict=True):
            ax.set_ylim(len(rows) - 0.5, -0.5)  # the first rep on top
            ax.set_yticks([])
            values = [_pct(metric.value(r.figures)) for r in rows]
            colours = [ORANGE if metric.key in r.marked else BLUE for r in rows]
            ax.barh(y, [0 if math.isnan(v) else v for v in values], color=colours, height=0.7)
            for i, v in enumerate(values):
                # a rate of 0 draws no bar: its value is written where the bar would start
                if math.isnan(v) or v == 0:
                    text = p.DASH if math.isnan(v) else metric.text(rows[i].figures)
                    label = ax.annotate(
                        text,
                        (0, i),
                        xytext=(3, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=8,
                        color=colours[i] if v == 0 else BLACK,
                    )
                    label.set_gid(f"{metric.key}-value-{i}")
            team_value = metric.value(team)
            if team_value is not None:
                ax.axvline(team_value * 100, color=BLACK, linestyle="--", linewidth=1)
            ax.set_xlim(0, 100)
            ax.set_xticks([0, 50, 100])
            _percent_axis(ax.xaxis)
            ax.set_title(heading, fontsize=9)
            ax.grid(axis="x")
        axes[0].set_yticks(y, names)
        figure.legend(
            handles=[
                Patch(color=BLUE, label="No established shortfall"),
                Patch(color=ORANGE, label="Established to fall short"),
                Line2D([], [], color=BLACK, linestyle="--", linewidth=1, label="The team"),
            ],
            loc="outside upper left",
            ncols=3,
        )
        figure.supxlabel(
            "Share of the rep's deals with meeting one (close rate: of closed deals)", fontsize=9
        )

    svg = _render("reps", title, description, (WIDTH, 1.7 + 0.28 * len(rows)), draw)
    table = DataTable.of(
        (
            "Rep",
            "Id",
            "Deals with meeting one",
            *(m.heading for m in p.KEY_METRICS),
            "Established findings",
        ),
        [
            (
                r.label,
                r.rep_id,
                p.count(r.figures.deals_with_first_meeting),
                *(Cell(text, marked, ESTABLISHED_SHORT) for text, marked in r.cells()),
                r.ranks or p.DASH,
            )
            for r in every
        ]
        + [
            (
                "Team",
                "",
                p.count(team.deals_with_first_meeting),
                *metric_cells(team, None),
                "",
            )
        ],
        text_columns=2,
        open=len(every) <= p.MAX_REPS_SHOWN,
    )
    return Chart("reps", title, description, svg, table)


# ---- time to meeting two -----------------------------------------------------------------


def _at_day(survival: Survival, day: int) -> int | None:
    """The index of the curve's step in force ``day`` business days after meeting one."""
    index = bisect_right(survival.days, day) - 1
    return None if index < 0 else index


def _drawn_steps(survival: Survival, target_days: int) -> int:
    """How many of the curve's steps to draw: one past the last that moves it (or past the
    target), so a long flat tail up to the data's end does not squash the curve."""
    values = survival.not_yet_held
    last_move = max((i for i in range(1, len(values)) if values[i] != values[i - 1]), default=0)
    return min(len(values), max(last_move, _at_day(survival, target_days) or 0) + 2)


def survival_chart(survival: Survival | None, target_days: int) -> Chart | None:
    if survival is None or not survival.days:
        return None
    title = "Time to meeting two"
    shown = _drawn_steps(survival, target_days)
    at_target = _at_day(survival, target_days)
    waiting = (
        ""
        if at_target is None
        else f" After {target_days} business days, {p.percent(survival.not_yet_held[at_target])} "
        f"were still waiting for meeting two (95 % band {p.percent(survival.low[at_target])} – "
        f"{p.percent(survival.high[at_target])})."
    )
    tail = (
        ""
        if shown == len(survival.days)
        else f" From day {survival.days[shown - 1]} on the curve stays at "
        f"{p.percent(survival.not_yet_held[-1])} up to the data's end "
        f"(day {survival.days[-1]}); the chart stops there."
    )
    description = (
        f"Kaplan–Meier estimate of the share of the {p.count(survival.deals)} deals with meeting "
        f"one whose meeting two had not yet been held, by business days since meeting one; "
        f"{p.count(survival.events)} held it, the others are counted until the data's end."
        + waiting
        + tail
    )
    days = survival.days[:shown]

    def percents(values: Sequence[float]) -> list[float]:
        return [v * 100 for v in values[:shown]]

    def draw(figure: Figure) -> None:
        _place(figure, left=LABEL + _ticks_left(["100%"]) + EDGE, bottom=TICKS + LABEL + EDGE)
        ax = figure.add_subplot()
        ax.fill_between(
            days,
            percents(survival.low),
            percents(survival.high),
            step="post",
            color=SKY,
            alpha=0.35,
            linewidth=0,
            label="95 % confidence band",
        )
        ax.step(
            days,
            percents(survival.not_yet_held),
            where="post",
            color=BLUE,
            linewidth=2,
            label="Still waiting for meeting two",
        )
        ax.axvline(
            target_days,
            color=BLACK,
            linestyle="--",
            linewidth=1,
            label=f"Target ({target_days} business days)",
        )
        ax.set_ylim(0, 102)
        ax.set_xlim(0, max(days[-1], target_days + 1))
        _percent_axis(ax.yaxis)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Business days since meeting one")
        ax.set_ylabel("Deals still waiting for meeting two")
        ax.grid(True)
        ax.legend(loc="upper right")

    svg = _render("survival", title, description, (WIDTH, 3.4), draw)
    rows = [*range(shown)] + ([len(survival.days) - 1] if shown < len(survival.days) else [])
    table = DataTable.of(
        (
            "Business days since meeting one",
            "Deals at risk",
            "Still waiting",
            "95 % low",
            "95 % high",
        ),
        [
            (
                str(survival.days[i]),
                p.count(survival.at_risk[i]),
                p.percent(survival.not_yet_held[i]),
                p.percent(survival.low[i]),
                p.percent(survival.high[i]),
            )
            for i in rows
        ],
    )
    return Chart("survival", title, description, svg, table)


# ---- before / after ----------------------------------------------------------------------


def compare_chart(compare: Compare) -> Chart | None:
    rows = p.compare_rows(compare)
    if not rows:
        return None
    at = compare.at.isoformat()
    title = f"Before and after {at}"
    description = (
        f"Deals with meeting one before {at} against those from {at} on. "
        + "; ".join(
            f"{r.label}: {r.before} before, {r.after} after ({r.difference}, "
            f"{p.SIGNIFICANCE[r.significant]})"
            for r in rows
        )
        + "."
    )
    kinds = [k for k in ("rate", "days") if any(r.kind == k for r in rows)]

    def draw(figure: Figure) -> None:
        _place(
            figure,
            left=_ticks_left([f"{r.label} *" for r in rows]) + EDGE,
            bottom=TICKS + LABEL + EDGE,
            top=TITLE,
            down=TICKS + LABEL + 0.15,
            rows=len(kinds),
        )
        axes = figure.subplots(
            len(kinds),
            1,
            squeeze=False,
            height_ratios=[sum(r.kind == k for r in rows) + 1 for k in kinds],
        )[:, 0]
        for ax, kind in zip(axes, kinds, strict=True):
            chosen = [r for r in rows if r.kind == kind]
            scale = 100 if kind == "rate" else 1
            for y, row in enumerate(chosen):
                before, after = row.before_value, row.after_value
                if before is not None and after is not None:
                    ax.annotate(
                        "",
                        xy=(after * scale, y),
                        xytext=(before * scale, y),
                        arrowprops={
                            "arrowstyle": "->",
                            "color": BLACK if row.significant else GREY,
                            "linewidth": 1.5,
                        },
                    )
                if before is not None:
                    ax.plot(
                        before * scale,
                        y,
                        "o",
                        color=GREY,
                        markersize=8,
                        label="Before" if y == 0 else None,
                    )
                if after is not None:
                    ax.plot(
                        after * scale,
                        y,
                        "o",
                        color=BLUE,
                        markersize=8,
                        label="After" if y == 0 else None,
                    )
            ax.set_yticks(
                list(range(len(chosen))),
                [f"{r.label}{' *' if r.significant else ''}" for r in chosen],
            )
            ax.set_ylim(len(chosen) - 0.5, -0.8)  # first metric on top, room for the legend
            if kind == "rate":
                ax.set_xlim(-3, 103)
                ax.set_xticks(range(0, 101, 20))
                _percent_axis(ax.xaxis)
                ax.set_xlabel("Share of deals")
            else:
                known = [v for r in chosen for v in (r.before_value, r.after_value)]
                ax.set_xlim(0, max([v for v in known if v is not None] + [1.0]) * 1.1)
                ax.set_xlabel("Days")
            ax.grid(axis="x")
            ax.legend(loc="upper right", ncols=2)
        axes[0].set_title("* significant: the change holds allowing for every figure compared")

    svg = _render(
        "compare", title, description, (WIDTH, 1.4 + 0.45 * len(rows) + 0.6 * len(kinds)), draw
    )
    table = DataTable.of(
        (
            "Metric",
            "Before",
            "After",
            "Change",
            "95 % interval",
            "Significant",
            "n before",
            "n after",
        ),
        [
            (
                r.label,
                r.before,
                r.after,
                r.difference,
                r.interval,
                p.yes_no(r.significant),
                p.count(r.before_n),
                p.count(r.after_n),
            )
            for r in rows
        ],
        open=True,
    )
    return Chart("compare", title, description, svg, table)


def charts(result: AuditResult) -> list[Chart]:
    """The report's charts in reading order, leaving out those with nothing to draw."""
    target = result.options.target_days
    drawn = [
        funnel_chart(result.team),
        gap_chart(result),
        close_rate_chart(result.team),
        reps_chart(result),
        weekly_chart(result.weekly, target),
        survival_chart(result.survival, target),
        compare_chart(result.compare) if result.compare is not None else None,
    ]
    return [chart for chart in drawn if chart is not None]
