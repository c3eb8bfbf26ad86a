"""What both reports show the same way: number formats, histogram bins, worst weeks."""

from __future__ import annotations

import pytest

from momentum.audit import presentation as p
from momentum.audit.result import Detail, Figures, Finding, Practice, Rate, WeekFigures


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
        (1 / 3, "rate", "+33 pp"),
        (-0.25, "rate", "-25 pp"),
        (-0.004, "rate", "0 pp"),
        (1.0, "days", "+1.0 days"),
        (-0.04, "days", "0.0 days"),
        (-2.25, "days", "-2.2 days"),  # halves to even, as round() does
    ],
)
def test_difference(value: float | None, kind: str, text: str) -> None:
    assert p.difference(value, kind) == text


def test_interval() -> None:
    assert p.interval([-0.47, 0.27], "rate") == "[-47, +27] pp"
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


def finding(details: dict[str, Detail], practice: Practice | None = None) -> Finding:
    return Finding("f", 1, "text", "book_on_the_spot", None, practice, tuple(details.items()))


def test_evidence_reads_like_numbers() -> None:
    evidence = p.evidence(
        finding({"close_rate_later": 0.114, "deals": 1234, "median_gap": 3.25, "rep_id": "r2"}),
        {"r2": "Bo Krause"},
    )
    assert evidence.figures == [
        ("Close rate later", "11 %"),
        ("Deals", "1,234"),
        ("Median gap", "3.2"),
        ("Rep", "Bo Krause (r2)"),
    ]
    assert evidence.close_rates == []


def test_evidence_compares_deals_with_and_without_the_practice() -> None:
    practice = Practice(
        deals_with=30,
        deals_without=1,
        with_=Rate(10, 20),
        without=Rate(0, 0),
        with_ci95=(0.3, 0.7),
        without_ci95=None,
        difference_ci95=None,
    )
    evidence = p.evidence(finding({"share": 0.4}, practice), {})
    assert evidence.items == [
        ("Share", "40 %"),
        ("Close rate with the practice", "50 % (30 deals; 95 % interval 30 % – 70 %)"),
        ("Close rate without the practice", "— (1 deal; 95 % interval —)"),
        ("Difference", "— (95 % interval —, not tested)"),
    ]
