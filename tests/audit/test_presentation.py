"""What both reports show the same way: number formats, histogram bins, worst weeks."""

from __future__ import annotations

import polars as pl
import pytest

from momentum.audit import presentation as p
from momentum.audit.result import Figures, Finding, Group, Money, Rate, WeekFigures


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (None, "—"),
        (0.0, "0 %"),
        (0.875, "88 %"),
        (0.625, "62 %"),
        (0.635, "64 %"),
        (1 / 6, "17 %"),
        (1.0, "100 %"),
    ],
)
def test_percent(rate: float | None, text: str) -> None:
    assert p.percent(rate) == text


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (None, "rate", "—"),
        (1 / 3, "rate", "+33 points"),
        (-0.25, "rate", "-25 points"),
        (-0.004, "rate", "0 points"),
        (1.0, "days", "+1.0 days"),
        (-0.04, "days", "0.0 days"),
        (-2.25, "days", "-2.2 days"),  # halves to even, as round() does
    ],
)
def test_difference(value: float | None, kind: str, text: str) -> None:
    assert p.difference(value, kind) == text


def test_interval() -> None:
    assert p.interval([-0.47, 0.27], "rate") == "[-47, +27] points"
    # an interval that excludes zero never shows a bound of 0 (it would read as "maybe none")
    assert p.interval([0.003, 0.12], "rate") == "[+0.3, +12.0] points"
    assert p.interval([-0.12, -0.0004], "rate") == "[-12.00, -0.04] points"
    assert p.interval([-0.004, 0.12], "rate") == "[0, +12] points"
    assert p.interval([0.5, 2.0], "days") == "[+0.5, +2.0] days"
    assert p.interval(None, "rate") == "—"


def test_gap_histogram_runs_past_the_target_and_gathers_the_open_bucket() -> None:
    bins = p.gap_histogram([0, 2, 2, 9, 21, 40], target_days=5)
    assert [(b.label, b.deals, b.within_target) for b in bins] == [
        ("0", 1, True),
        ("1", 0, True),
        ("2", 2, True),
        ("3", 0, True),
        ("4", 0, True),
        ("5", 0, True),
        ("6", 0, False),
        ("7", 0, False),
        ("8", 0, False),
        ("9", 1, False),
        ("10", 0, False),
        *((str(day), 0, False) for day in range(11, 21)),
        ("21+", 2, False),
    ]
    assert [b.label for b in p.gap_histogram([1, 2], target_days=5)] == [str(d) for d in range(7)]
    assert p.gap_histogram([], target_days=5) == []


def test_wilson_interval() -> None:
    low, high = p.wilson_interval(4, 5) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.3755, 0.9638)
    assert p.wilson_interval(0, 0) is None


def week(name: str, deals: int, spot: float | None, attendance: float | None) -> WeekFigures:
    """A week with ``deals`` deals with meeting one and the given rates (in tenths)."""

    def share(value: float | None) -> Rate:
        return Rate(0, 0) if value is None else Rate(round(value * 20), 20)

    nothing = Rate(0, 0)
    figures = Figures(
        deals=deals,
        deals_with_first_meeting=deals,
        booked=nothing,
        booked_on_the_spot=share(spot),
        held=nothing,
        rescheduled=nothing,
        attendance=share(attendance),
        within_target=nothing,
        close=nothing,
        gap_calendar_days=None,
        gap_business_days=None,
        by_gap=(),
    )
    return WeekFigures(name, figures)


def test_worst_weeks() -> None:
    weeks = [
        week("2026-W01", 5, 0.9, 0.5),
        week("2026-W02", 2, 0.0, 0.0),  # too few deals to rank
        week("2026-W03", 5, 0.2, 0.9),
        week("2026-W04", 5, 0.5, 0.6),
        week("2026-W05", 5, 0.6, None),
        week("2026-W06", 5, 0.8, 0.95),
    ]
    worst = p.worst_weeks(weeks, limit=2)
    assert [(w.week, w.reasons) for w in worst] == [
        ("2026-W01", ("attendance",)),
        ("2026-W03", ("on the spot",)),
        ("2026-W04", ("attendance", "on the spot")),
    ]


def finding(**changes: object) -> Finding:
    from dataclasses import replace

    base = Finding(
        id="rep_booked:r2",
        rank=1,
        text="Bo Krause (r2): meeting two booked 40 %, against 80 % for the rest of the team",
        kind="rep",
        step="booked",
        metric="meeting two booked",
        practice="booking a meeting two at all",
        playbook="book_on_the_spot",
        group=Group("Bo Krause (r2)", Rate(8, 20)),
        reference=Group("the rest of the team", Rate(160, 200)),
        left_out="deals whose outcome is not known yet",
        ci95=(-0.6, -0.18),
        higher_is_better=True,
        p_value=0.0002,
        adjusted_p_value=0.004,
        established=True,
        impact=8.0,
        impact_unit="more deals with meeting two booked",
        money=(Money("EUR", 12000.0), Money("USD", 3000.0)),
        deal_ids=pl.Series([f"d{i}" for i in range(12)]),
        rep_id="r2",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_evidence_is_on_one_metric_with_its_counts() -> None:
    assert p.evidence(finding()) == [
        ("The practice", "Booking a meeting two at all"),
        ("Measured on", "meeting two booked"),
        ("Bo Krause (r2)", "40 % (8 of 20 deals)"),
        ("The rest of the team", "80 % (160 of 200 deals)"),
        ("Difference", "-40 points (95 % interval [-60, -18] points)"),
        (
            "Established",
            "yes: it holds after allowing for every comparison made (adjusted p-value 0.004)",
        ),
        ("Left out", "deals whose outcome is not known yet"),
        ("Deals behind it", "12 (momentum audit --finding rep_booked:r2)"),
    ]
    assert p.impact_text(finding()) == (
        "about 8.0 more deals with meeting two booked at the rate of the rest of the team "
        "(worth EUR 12,000, USD 3,000)"
    )


def test_a_finding_not_established_has_no_impact_and_says_why() -> None:
    weak = finding(established=False, rank=None, adjusted_p_value=0.2)
    assert p.impact_text(weak) is None
    assert dict(p.evidence(weak))["Established"].startswith("no: the difference could be chance")


def test_a_rate_over_closed_deals_says_so() -> None:
    closed = finding(group=Group("Bo Krause (r2)", Rate(2, 10), "closed deals", 25))
    assert (
        dict(p.evidence(closed))["Bo Krause (r2)"] == "20 % (2 of 10 closed deals; 25 deals in all)"
    )
