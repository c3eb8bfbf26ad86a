"""The charts' fixed margins: every text a chart draws (rep names cut short, week labels turned,
headings, legends) lies inside its figure, for the demo team, for the worked example with the
longest names, and for the coaching page's trend chart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from momentum.audit.charts import TrendPanel, charts, trend_chart
from tests.audit.report_results import demo_result, hostile_copy, worked_result

SLACK = 0.02  # inches: antialiasing at the edge, not a clipped letter


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each chart saved draws outside its figure, in inches (checked as it is saved)."""
    found: list[str] = []
    save = Figure.savefig

    def checked(figure: Figure, *args: Any, **kwargs: Any) -> None:
        drawn = figure.get_tightbbox()
        width, height = figure.get_size_inches()
        if (
            drawn.x0 < -SLACK
            or drawn.y0 < -SLACK
            or drawn.x1 > width + SLACK
            or drawn.y1 > height + SLACK
        ):
            extents = [round(v, 2) for v in drawn.extents]
            found.append(f"{figure.axes[0].get_title()!r}: {extents} in {width:.2f}×{height:.2f}")
        save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", checked)
    return found


def test_the_demo_team_charts_fit(outside: list[str]) -> None:
    assert len(charts(demo_result())) == 6
    assert outside == []


def test_the_longest_names_fit(outside: list[str], shared: Path, tmp_path: Path) -> None:
    result = worked_result(hostile_copy(shared / "examples" / "worked", tmp_path))
    assert len(charts(result)) == 7
    assert outside == []


@pytest.mark.parametrize("panels", [1, 2, 3, 4])
def test_trend_charts_fit(outside: list[str], panels: int) -> None:
    weeks = [f"2026-W{week:02d}" for week in range(1, 53)]  # a year: the first label near the edge
    rates = [0.1 * (week % 10) for week in range(52)]
    chart = trend_chart(
        "trend",
        "A year",
        weeks,
        [TrendPanel(f"p{i}", f"Rate number {i}", rates, rates[::-1]) for i in range(panels)],
        [0] * 50 + [1, 2],
        mine="Ana",
        others="Rest of the team",
    )
    assert chart is not None
    assert outside == []


def test_one_rep_has_no_chart_of_reps_against_the_team() -> None:
    """One rep's bars would all sit on the team's line: the chart is left out, and comes back
    for two reps."""
    result = demo_result()
    keys = [chart.key for chart in charts(replace(result, by_rep=result.by_rep[:1]))]
    assert "reps" not in keys and "funnel" in keys
    assert "reps" in [chart.key for chart in charts(replace(result, by_rep=result.by_rep[:2]))]


def test_a_rep_at_zero_shows_a_value_where_there_is_no_bar(shared: Path) -> None:
    """Kei Ito closed none of his two closed deals: a bar of 0 % has no length, so the value is
    written where the bar would start."""
    from momentum.audit.charts import reps_chart
    from momentum.audit.result import CLOSE

    result = worked_result(shared / "examples" / "worked")
    chart = reps_chart(result)
    assert chart is not None
    rows = [row for row in chart.table.rows if row[1].text]
    index = [row[0].text for row in rows].index("Kei Ito")
    assert rows[index][-2].text == "0 %"  # the close rate, before the findings column
    value = f'id="chart-reps-{CLOSE.key}-value-{index}"'
    assert value in chart.svg
    drawn = chart.svg[chart.svg.index(value) :]
    assert "0 %" in drawn[: drawn.index("</g>")]
