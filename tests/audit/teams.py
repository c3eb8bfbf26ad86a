"""Teams with known behaviour, for the tests of what the audit concludes.

- :func:`team_facts`: the per-deal facts of a team (what :func:`momentum.audit.findings.findings`
  reads), drawn from per-rep chances at every step; one rep can be planted weak at one step.
- :func:`steady_team`: canonical CSV files of a team whose behaviour never changes, ending on
  ``as_of`` while recent second meetings are still scheduled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Habits:
    """A rep's chances at each step."""

    booked: float = 0.85
    on_the_spot: float = 0.55
    within_target: float = 0.5
    rescheduled: float = 0.25
    no_show: float = 0.15  # chance the buyer misses meeting two
    held_after_booking: float = 0.9  # meeting two held, when booked and attended
    close_within: float = 0.35  # close rate when meeting two is held within the target
    close_otherwise: float = 0.2


# the habits that make a rep weak at each step of the audit
WEAK = {
    "booked": {"booked": 0.3},
    "on_the_spot": {"on_the_spot": 0.05},
    "within_target": {"within_target": 0.05},
    "rescheduled": {"rescheduled": 0.8},
    "attendance": {"no_show": 0.65},
    "held": {"held_after_booking": 0.3},
    "close": {"close_within": 0.02, "close_otherwise": 0.01},
}


@dataclass(frozen=True)
class Team:
    reps: int = 12
    deals_per_rep: int = 60
    habits: Habits = field(default_factory=Habits)
    weak_rep: str | None = None  # e.g. "r03"
    weak_step: str | None = None  # a key of WEAK


def team_facts(team: Team, rng: np.random.Generator) -> pl.DataFrame:
    rows: dict[str, list[object]] = {name: [] for name in COLUMNS}
    m1 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for r in range(team.reps):
        rep = f"r{r:02d}"
        habits = team.habits
        if rep == team.weak_rep and team.weak_step is not None:
            habits = replace(habits, **WEAK[team.weak_step])  # type: ignore[arg-type]
        n = team.deals_per_rep
        booked = rng.random(n) < habits.booked
        no_show = booked & (rng.random(n) < habits.no_show)
        # a missed meeting two is booked again and held half the time
        held = booked & np.where(
            no_show, rng.random(n) < 0.5, rng.random(n) < habits.held_after_booking
        )
        within = rng.random(n) < habits.within_target
        gap = np.where(within, rng.integers(1, 6, n), rng.integers(6, 30, n))
        spot_known = rng.random(n) < 0.9
        spot = rng.random(n) < habits.on_the_spot
        rescheduled = booked & (rng.random(n) < habits.rescheduled)
        closes = rng.random(n) < 0.8
        win = np.where(held & within, habits.close_within, habits.close_otherwise)
        won = rng.random(n) < win
        for i in range(n):
            rows["deal_id"].append(f"{rep}-d{i:03d}")
            rows["owner_id"].append(rep)
            rows["outcome"].append(("won" if won[i] else "lost") if closes[i] else "open")
            rows["amount"].append(10_000.0)
            rows["currency"].append("EUR")
            rows["m1_start"].append(m1 + timedelta(days=i))
            rows["m2_booked"].append(bool(booked[i]))
            rows["on_the_spot"].append(bool(spot[i]) if booked[i] and spot_known[i] else None)
            rows["m2_held"].append(bool(held[i]))
            rows["gap_business_days"].append(int(gap[i]) if held[i] else None)
            rows["held_attempts"].append(int(held[i]))
            rows["no_show_attempts"].append(int(no_show[i]))
            rows["rescheduled"].append(bool(rescheduled[i]))
            rows["m2_agenda"].append(bool(rng.random() < 0.7) if booked[i] else None)
            rows["m2_homework"].append(bool(rng.random() < 0.5) if booked[i] else None)
    return pl.DataFrame(rows, schema=COLUMNS)


COLUMNS = {
    "deal_id": pl.String,
    "owner_id": pl.String,
    "outcome": pl.String,
    "amount": pl.Float64,
    "currency": pl.String,
    "m1_start": pl.Datetime("us", "UTC"),
    "m2_booked": pl.Boolean,
    "on_the_spot": pl.Boolean,
    "m2_held": pl.Boolean,
    "gap_business_days": pl.Int64,
    "held_attempts": pl.Int64,
    "no_show_attempts": pl.Int64,
    "rescheduled": pl.Boolean,
    "m2_agenda": pl.Boolean,
    "m2_homework": pl.Boolean,
}


def steady_team(folder: Path, *, as_of: date, deals: int = 1500, seed: int = 1) -> Path:
    """Nine months of a team whose habits never change, in canonical CSVs. History ends on
    ``as_of``: later second meetings are still ``scheduled``, bookings made later are not there
    yet, and deals decide some business days after their last meeting, or are still open."""
    rng = np.random.default_rng(seed)
    start = np.busday_offset(np.datetime64(as_of, "D"), -190, roll="backward")
    end = np.datetime64(as_of, "D")
    first = np.busday_offset(start, rng.integers(0, 190, deals), roll="forward")
    reps = [f"r{r}" for r in range(8)]
    deal_rows, meeting_rows = [], []
    cutoff = datetime.combine(as_of, time(18), tzinfo=UTC)

    def at(day: np.datetime64, hour: int) -> datetime:
        return datetime.combine(day.astype(date), time(hour), tzinfo=UTC)

    for i in range(deals):
        deal, owner = f"d{i:05d}", reps[i % len(reps)]
        m1_day = first[i]
        if m1_day > end:
            continue
        m1_start, m1_end = at(m1_day, 10), at(m1_day, 10) + timedelta(minutes=45)
        meeting_rows.append(
            (f"{deal}-1", deal, m1_start, m1_end, m1_start - timedelta(days=5), "held")
        )
        last = m1_day
        held, gap = False, 0
        if rng.random() < 0.85:
            gap = int(min(1 + rng.geometric(0.18), 40))
            m2_day = np.busday_offset(m1_day, gap, roll="forward")
            spot = rng.random() < 0.5
            booked_at = m1_end - timedelta(minutes=10) if spot else m1_end + timedelta(days=1)
            if booked_at <= cutoff:
                m2_start = at(m2_day, 14)
                if m2_start > cutoff:
                    status = "scheduled"
                else:
                    status = "held" if rng.random() < 0.85 else "no_show"
                    held, last = status == "held", m2_day
                meeting_rows.append(
                    (
                        f"{deal}-2",
                        deal,
                        m2_start,
                        m2_start + timedelta(minutes=30),
                        booked_at,
                        status,
                    )
                )
        chance = (0.4 if gap <= 5 else 0.2) if held else 0.05
        decided = np.busday_offset(last, 10 if held else 20, roll="forward")
        if decided <= end:
            outcome = "won" if rng.random() < chance else "lost"
            deal_rows.append((deal, owner, outcome, at(decided, 12).isoformat()))
        else:
            deal_rows.append((deal, owner, "open", ""))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reps.csv").write_text("rep_id,timezone\n" + "".join(f"{rep},UTC\n" for rep in reps))
    (folder / "deals.csv").write_text(
        "deal_id,owner_id,outcome,closed_at\n" + "".join(",".join(row) + "\n" for row in deal_rows)
    )
    (folder / "meetings.csv").write_text(
        "meeting_id,deal_id,start,end,booked_at,status\n"
        + "".join(
            f"{m},{d},{s.isoformat()},{e.isoformat()},{b.isoformat()},{status}\n"
            for m, d, s, e, b, status in meeting_rows
        )
    )
    return folder
