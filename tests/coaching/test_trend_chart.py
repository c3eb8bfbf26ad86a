"""The coaching page's trend chart: the rep's line and the rest of the team's, one panel per
rate, with the weeks whose outcomes are pending shaded; the points drawn are the figures'."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from momentum.audit.charts import TrendPanel, trend_chart
from momentum.audit.result import AuditOptions
from momentum.clock import FixedClock
from momentum.coaching.service import CoachingService
from momentum.db.engine import Database
from momentum.rep.models import Rep
from momentum.web.pages.coaching import trend_of
from tests.factories import make_deal, make_meeting
from tests.review.team import HELD, NOW, Team, at, make_team

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = ["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W05"]


def points(svg: str, gid: str) -> list[tuple[float, float]]:
    """The markers of the line named ``gid``, as SVG (x, y)."""
    root = ElementTree.fromstring(svg)
    [line] = [g for g in root.iter(f"{SVG}g") if g.get("id") == f"chart-trend-{gid}"]
    return [(float(use.get("x", "")), float(use.get("y", ""))) for use in line.iter(f"{SVG}use")]


def assert_drawn(drawn: list[tuple[float, float]], expected: list[tuple[int, float]]) -> None:
    """The SVG points are the (week index, rate) points under one linear map per axis, the
    higher rate drawn higher."""
    assert len(drawn) == len(expected)
    (x0, y0), (x1, y1) = drawn[0], drawn[-1]
    (i0, v0), (i1, v1) = expected[0], expected[-1]
    per_week = (x1 - x0) / (i1 - i0)
    per_point = (y1 - y0) / (v1 - v0)
    assert per_week > 0 and per_point < 0
    for (x, y), (i, v) in zip(drawn, expected, strict=True):
        assert x == pytest.approx(x0 + (i - i0) * per_week, abs=0.01)
        assert y == pytest.approx(y0 + (v - v0) * per_point, abs=0.01)


def test_the_chart_draws_each_known_rate_and_shades_the_pending_weeks() -> None:
    chart = trend_chart(
        "trend",
        "Ana's twelve weeks",
        WEEKS,
        [
            TrendPanel("spot", "Booked on the spot", [0.5, None, 1.0, 0.0, 0.25], [0.2] * 5),
            TrendPanel("held", "Meeting two held", [None] * 5, [0.6, 0.4, None, None, 0.9]),
        ],
        [0, 0, 0, 2, 1],
        mine="Ana",
        others="Rest of the team",
    )
    assert chart is not None
    svg = str(chart.svg)
    # the rep's spot rates and the team's line on the same axes: one map for both
    mine, team = points(svg, "spot-mine"), points(svg, "spot-others")
    assert_drawn(
        mine + team,
        [(0, 50), (2, 100), (3, 0), (4, 25), *((i, 20) for i in range(5))],
    )
    assert points(svg, "held-mine") == []  # nothing known: nothing drawn
    assert_drawn(points(svg, "held-others"), [(0, 60), (1, 40), (4, 90)])
    shaded = re.findall(r'id="chart-trend-spot-pending-([^"]+)"', svg)
    assert shaded == ["2026-W04", "2026-W05"]
    assert "shaded weeks (2026-W04, 2026-W05) have deals too recent to compare" in chart.description
    assert [cell.text for cell in chart.table.rows[3][:3]] == ["2026-W04", "2", "0 %"]


@pytest.fixture
def team(database: Database) -> Team:
    with database.unit_of_work() as session:
        team = make_team(session)
        bo = session.get(Rep, "bo")
        assert bo is not None
        for day in (5, 6, 7, 8):  # 2026-W02: four of Bo's deals booked on the spot
            deal = make_deal(session, owner=bo, id=f"B-{day}")
            make_meeting(session, deal=deal, start=at(1, day), status=HELD)
            make_meeting(
                session, deal=deal, start=at(1, day + 2), status=HELD, booked_at=at(1, day, 10, 35)
            )
        return team


def test_the_coaching_chart_shows_the_rep_against_the_team(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        profile = CoachingService(session, clock=FixedClock(NOW), defaults=AuditOptions()).profile(
            team.maya, "ana"
        )
    weeks = [week.week for week in profile.trend]
    assert weeks[0] == "2025-W52" and weeks[-1] == "2026-W11"
    chart = trend_of(profile)
    assert chart is not None
    svg = str(chart.svg)
    # compared as the funnel compares, on deals at least 15 business days old: Ana's D4
    # (2026-W06, booked later); the rest of the team's: Bo's four deals of 2026-W02, all on
    # the spot
    assert_drawn(
        points(svg, "booked-on-the-spot-mine") + points(svg, "booked-on-the-spot-others"),
        [(weeks.index("2026-W06"), 0), (weeks.index("2026-W02"), 100)],
    )
    # pending, younger than that: D5 (2026-W09), D1, D2 and D3 (2026-W10), D1 although its
    # meeting two was already held (counting it, but not D3, would favour fast deals)
    assert re.findall(r'id="chart-trend-held-pending-([^"]+)"', svg) == ["2026-W09", "2026-W10"]
    w10 = profile.trend[weeks.index("2026-W10")]
    assert (w10.deals_with_first_meeting, w10.recent, w10.booked_on_the_spot_rate) == (3, 3, None)
