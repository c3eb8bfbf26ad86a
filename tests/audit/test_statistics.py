"""The statistics behind compare, findings and the survival curve, against published values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from momentum.audit.outcomes import observe
from momentum.audit.stats import newcombe, welch, wilson
from momentum.audit.survival import time_to_second_meeting
from tests.audit.helpers import REPS, report


def test_wilson_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662
    low, high = wilson(81, 263)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize("trials", [*range(1, 41), 263, 1_000, 4_000_000])
def test_wilson_equals_scipys(trials: int) -> None:
    # scipy has the interval only behind a binomial test; ours is the same closed form
    for successes in sorted({*range(min(trials, 40) + 1), trials // 3, trials - 1, trials}):
        expected = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
        low, high = wilson(successes, trials)  # type: ignore[misc]
        assert low == pytest.approx(expected.low, abs=1e-12)
        assert high == pytest.approx(expected.high, abs=1e-12)
    assert wilson(0, 0) is None


def test_newcombe_hybrid_score_matches_the_paper() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80,
    # method 10: 0.0524 to 0.3339
    low, high = newcombe((48, 80), (56, 70))  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_welch_interval_and_the_degenerate_cases() -> None:
    low, high = welch(np.array([5.0, 7, 9, 11]), np.array([2.0, 3, 4, 3]))  # type: ignore[misc]
    assert low < -2.0 < high < 0  # the mean fell by 4 days
    assert welch(np.array([1.0]), np.array([2.0, 3.0])) is None
    assert welch(np.array([2.0, 2.0]), np.array([5.0, 5.0])) == (3.0, 3.0)


def _facts(rows: list[tuple[bool, int | None, date]]) -> pl.DataFrame:
    """Facts with only what the survival curve reads: held?, gap, M1 date (UTC rep)."""
    return pl.DataFrame(
        {
            "m1_start": [datetime(2026, 1, 5, tzinfo=UTC)] * len(rows),
            "m2_held": [held for held, _, _ in rows],
            "gap_business_days": [gap for _, gap, _ in rows],
            "m1_date": [day for _, _, day in rows],
            "timezone": ["UTC"] * len(rows),
            "country": pl.Series([None] * len(rows), dtype=pl.String),
            "scheduled_until": pl.Series([None] * len(rows), dtype=pl.Datetime("us", "UTC")),
        }
    )


def test_kaplan_meier_by_hand() -> None:
    # Events at 1, 2, 2 business days; two deals censored at as-of (Fri 9 Jan,
    # 4 business days after Mon 5 Jan). At risk 5: S(1) = 4/5; at 2: 4 at risk, 2 events:
    # S(2) = 4/5 * 2/4 = 0.4; then flat.
    monday = date(2026, 1, 5)
    facts = _facts(
        [
            (True, 1, monday),
            (True, 2, monday),
            (True, 2, monday),
            (False, None, monday),
            (False, None, monday),
        ]
    )
    observed = observe(facts, as_of=datetime(2026, 1, 9, 12, tzinfo=UTC), window=15)
    assert observed["days_observed"].to_list() == [4] * 5
    assert observed["pending"].to_list() == [False] * 3 + [True] * 2  # window still open
    curve = time_to_second_meeting(observed)
    assert curve is not None
    assert curve.days == [0, 1, 2, 3, 4]
    assert curve.not_yet_held == pytest.approx([1.0, 0.8, 0.4, 0.4, 0.4])
    assert curve.at_risk == [5, 5, 4, 2, 2]
    assert (curve.deals, curve.events) == (5, 3)
    assert all(
        lo <= s <= hi for lo, s, hi in zip(curve.low, curve.not_yet_held, curve.high, strict=True)
    )


def test_compare_splits_on_m1_local_date_and_flags_real_changes(write_files) -> None:
    """Attendance goes from 1 of 4 (no-shows) to 4 of 4 after the change date."""
    deals, meetings = [], []
    start = datetime(2026, 3, 2, 15, tzinfo=UTC)
    for i in range(40):
        m1 = start + timedelta(days=7 * (i % 20))
        after = i >= 20
        status = "held" if after or i % 4 == 0 else "no_show"
        deals.append(f"d{i},utc,open,")
        meetings.append(f"a{i},d{i},{m1.isoformat()},held")
        meetings.append(f"b{i},d{i},{(m1 + timedelta(days=2)).isoformat()},{status}")
        if after:  # the later deals start after the change: shift them a year on
            meetings[-2:] = [m.replace("2026-", "2027-") for m in meetings[-2:]]
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": "deal_id,owner_id,outcome,closed_at\n" + "\n".join(deals) + "\n",
            "meetings.csv": "meeting_id,deal_id,start,status\n" + "\n".join(meetings) + "\n",
        }
    )
    compared = report(folder, compare_at=date(2027, 1, 1), as_of=datetime(2028, 1, 1, tzinfo=UTC))[
        "compare"
    ]
    attendance = next(
        d for d in compared["differences"] if d["metric"] == "second_meeting.attendance_rate"
    )
    assert (attendance["before"], attendance["after"]) == (0.25, 1.0)
    assert attendance["difference"] == 0.75
    assert attendance["significant"] is True
    assert attendance["ci95"][0] > 0.4
    assert (compared["before"]["deals"], compared["after"]["deals"]) == (20, 20)
