"""Canonical folders at benchmark scale (1M and 10M meetings), generated vectorized.

Not a demo: the point is volume with the variety the reader and the audit must handle —
times with offsets, with ``Z`` and naive local times; reps in a dozen zones and holiday
countries; held, no-show, rescheduled, canceled and scheduled meetings; bookings on the spot
and later, some unknown; meeting three and beyond. Deterministic for (meetings, seed); cached
under bench/data/.

    python -m bench.generate --meetings 1000000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).parent / "data"
ZONES = (
    ("America/New_York", "US"), ("America/Chicago", "US"), ("America/Los_Angeles", "US"),
    ("America/Sao_Paulo", "BR"), ("Europe/London", "GB"), ("Europe/Berlin", "DE"),
    ("Europe/Paris", "FR"), ("Europe/Madrid", "ES"), ("Asia/Tokyo", "JP"),
    ("Asia/Singapore", "SG"), ("Australia/Sydney", "AU"), ("Asia/Kolkata", "IN"),
)  # fmt: skip
NO_DST = ("Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata")
MEETINGS_PER_DEAL = 2.5
AGENDAS = [
    "Discovery",
    "ROI model with your volumes",
    "Live demo on your data",
    "Security review",
    "Proposal walkthrough",
]


LAYOUT = "by-time"  # meetings.csv in start order (changed from grouped by deal: see docs)


def folder_for(meetings: int, seed: int, root: Path = DATA) -> Path:
    return root / f"canonical-{meetings}-s{seed}-{LAYOUT}"


def generate(meetings: int, *, seed: int = 1, force: bool = False, root: Path = DATA) -> Path:
    folder = folder_for(meetings, seed, root)
    if (folder / "meetings.csv").exists() and not force:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    # meetings per deal, cut so that they add up to exactly `meetings`
    per_deal = rng.choice(
        [1, 2, 3, 4, 5],
        size=int(meetings / MEETINGS_PER_DEAL * 1.3) + 10,
        p=[0.3, 0.25, 0.2, 0.15, 0.1],
    )  # 2.5 on average
    cumulative = np.cumsum(per_deal)
    last = int(np.searchsorted(cumulative, meetings))
    per_deal = per_deal[: last + 1]
    per_deal[-1] -= int(cumulative[last]) - meetings
    deals = len(per_deal)
    reps = max(12, deals // 200)

    zone_index = np.arange(reps) % len(ZONES)
    pl.DataFrame(
        {
            "rep_id": [f"r{i:05d}" for i in range(reps)],
            "name": [f"Rep {i}" for i in range(reps)],
            "timezone": [ZONES[z][0] for z in zone_index],
            "country": [ZONES[z][1] for z in zone_index],
        }
    ).write_csv(folder / "reps.csv")

    # Deals: an owner, a creation instant over two years, how many meetings, an outcome.
    owner = rng.integers(0, reps, deals)
    epoch = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    created = epoch + rng.uniform(0, 700 * 86400, deals)
    outcome = rng.choice(["won", "lost", "open"], size=deals, p=[0.3, 0.45, 0.25])
    closed = np.where(outcome == "open", np.nan, created + rng.uniform(20, 120, deals) * 86400)
    deal_ids = np.char.add("d", np.arange(deals).astype(str))
    pl.DataFrame(
        {
            "deal_id": deal_ids,
            "owner_id": np.char.add("r", np.char.zfill(owner.astype(str), 5)),
            "created_at": _iso_z(created),
            "outcome": outcome,
            "closed_at": _iso_z(closed),
            "amount": np.round(rng.lognormal(9.5, 0.8, deals), 2),
            "currency": "USD",
        }
    ).write_csv(folder / "deals.csv")

    # Meetings: per deal, one after another a few business-ish days apart.
    total = int(per_deal.sum())
    deal_of = np.repeat(np.arange(deals), per_deal)
    nth = np.arange(total) - np.repeat(np.cumsum(per_deal) - per_deal, per_deal)
    step_days = rng.gamma(2.0, 3.0, total).round() + 1
    first_of_deal = np.repeat(np.cumsum(per_deal) - per_deal, per_deal)
    offsets = np.cumsum(step_days) - np.cumsum(step_days)[first_of_deal] + step_days[first_of_deal]
    start = created[deal_of] + offsets * 86400 + rng.integers(9, 17, total) * 3600
    start = np.floor(start / 900) * 900  # on the quarter hour
    end = start + rng.choice([30, 45, 60], total) * 60
    first = nth == 0
    status = np.where(
        first,
        rng.choice(["held", "no_show", "canceled"], total, p=[0.86, 0.1, 0.04]),
        rng.choice(
            ["held", "no_show", "rescheduled", "canceled", "scheduled"],
            total,
            p=[0.6, 0.12, 0.16, 0.04, 0.08],
        ),
    )
    booked = np.where(
        rng.random(total) < 0.45,
        start - rng.uniform(1, 6, total) * 86400,  # booked well ahead (often during M1)
        start - rng.uniform(0.2, 12, total) * 86400,
    )
    booked = np.where(rng.random(total) < 0.06, np.nan, booked)
    zones = np.array([ZONES[z][0] for z in zone_index])[owner[deal_of]]
    style = rng.choice(["offset", "z", "naive"], total, p=[0.6, 0.25, 0.15])
    # Naive local times only where clocks never change: elsewhere an hour repeats each
    # autumn, and a naive end in it can fall before its start (rightly an error).
    style = np.where((style == "naive") & ~np.isin(zones, NO_DST), "offset", style)
    frame = pl.DataFrame(
        {
            "meeting_id": np.char.add("m", np.arange(total).astype(str)),
            "deal_id": deal_ids[deal_of],
            "start": _instants(start),
            "end": _instants(end),
            "booked_at": _instants(booked),
            "status": status,
            "agenda": np.where(
                rng.random(total) < 0.6, np.array(AGENDAS)[rng.integers(0, 5, total)], ""
            ),
            "homework": np.where(rng.random(total) < 0.3, "Send last quarter's volumes", ""),
            "_style": style,
            "_zone": zones,
        }
    ).with_columns(pl.col("start").alias("_when"))
    text = [_formatted(part) for part in frame.partition_by(["_style", "_zone"])]
    # in time order, as a CRM's activity export lists them: a deal's meetings are scattered
    # through the file, not written together
    meetings_csv = pl.concat(text).sort("_when", "_order").drop("_when", "_order")
    meetings_csv.write_csv(folder / "meetings.csv")
    return folder


def _iso_z(seconds: np.ndarray) -> pl.Series:
    return pl.Series(_instants(seconds)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _instants(seconds: np.ndarray) -> pl.Series:
    micros = pl.Series(np.where(np.isnan(seconds), 0, seconds * 1e6).astype(np.int64))
    known = pl.Series(~np.isnan(seconds))
    return pl.select(pl.when(known).then(micros.cast(pl.Datetime("us", "UTC")))).to_series()


def _formatted(part: pl.DataFrame) -> pl.DataFrame:
    style, zone = part["_style"][0], part["_zone"][0]
    columns = []
    for name in ("start", "end", "booked_at"):
        value = pl.col(name)
        if style == "z":
            text = value.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif style == "offset":
            text = value.dt.convert_time_zone(zone).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
        else:
            text = value.dt.convert_time_zone(zone).dt.strftime("%Y-%m-%d %H:%M")
        columns.append(text.alias(name))
    return (
        part.with_row_index("_order")
        .with_columns(columns)
        .drop("_style", "_zone")
        .with_columns((pl.col("meeting_id").str.slice(1).cast(pl.Int64)).alias("_order"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    folder = generate(args.meetings, seed=args.seed, force=args.force)
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"{folder}: {size / 1e6:,.0f} MB in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
