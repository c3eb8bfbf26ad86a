"""A HubSpot-style export as Excel saves it in a day-first locale: semicolons, a UTF-8 BOM,
CRLF, dates like 31/12/2026 14:30, decimal commas. Deals and meetings, deterministic per seed.

Also writes the same data as canonical CSVs, so the two imports can be compared.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

OUTCOMES = (
    "Completed",
    "Completed",
    "Completed",
    "No show",
    "Rescheduled",
    "Canceled",
    "Scheduled",
)
CANONICAL_STATUS = {
    "Completed": "held",
    "No show": "no_show",
    "Rescheduled": "rescheduled",
    "Canceled": "canceled",
    "Scheduled": "scheduled",
}
STAGES = ("Appointment Scheduled", "Qualified To Buy", "Closed Won", "Closed Lost")
OWNERS = [f"Rep {i:02d}" for i in range(40)]
START = datetime(2025, 1, 6, 8, 0)


def _local(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def generate(folder: Path, *, meetings: int, seed: int = 7) -> dict[str, Path]:
    """Write ``hubspot/deals.csv``, ``hubspot/meetings.csv`` and ``canonical/{deals,meetings}.csv``
    under ``folder``; one deal per 20 meetings."""
    rng = random.Random(seed)
    deals = max(1, meetings // 20)
    hubspot, canonical = folder / "hubspot", folder / "canonical"
    hubspot.mkdir(parents=True, exist_ok=True)
    canonical.mkdir(parents=True, exist_ok=True)
    created: list[datetime] = []
    with (
        (hubspot / "deals.csv").open("w", encoding="utf-8-sig", newline="") as hs,
        (canonical / "deals.csv").open("w", encoding="utf-8", newline="") as cs,
    ):
        hs.write(
            "Record ID;Deal Name;Deal Stage;Pipeline;Amount;Close Date;Create Date;Deal owner\r\n"
        )
        cs.write("deal_id,name,owner_id,stage,amount,outcome,created_at,closed_at\n")
        for number in range(deals):
            opened = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
            created.append(opened)
            stage = rng.choice(STAGES)
            closed = (
                opened + timedelta(days=rng.randrange(10, 90))
                if stage.startswith("Closed")
                else None
            )
            cents = rng.randrange(100_000, 20_000_000)
            amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
            owner = rng.choice(OWNERS)
            hs.write(
                f"{number + 1};Deal {number + 1};{stage};Sales Pipeline;{amount};"
                f"{_local(closed) if closed else ''};{_local(opened)};{owner}\r\n"
            )
            outcome = (
                "won" if stage == "Closed Won" else "lost" if stage == "Closed Lost" else "open"
            )
            cs.write(
                f"{number + 1},Deal {number + 1},{owner},{stage},{cents / 100:.2f},{outcome},"
                f"{opened:%Y-%m-%dT%H:%M}," + (f"{closed:%Y-%m-%dT%H:%M}" if closed else "") + "\n"
            )
    with (
        (hubspot / "meetings.csv").open("w", encoding="utf-8-sig", newline="") as hs,
        (canonical / "meetings.csv").open("w", encoding="utf-8", newline="") as cs,
    ):
        hs.write(
            "Record ID;Meeting name;Meeting start time;Meeting end time;Meeting outcome;"
            "Activity date;Create date;Activity assigned to;Associated Deal IDs\r\n"
        )
        cs.write("meeting_id,deal_id,start,end,booked_at,status,agenda\n")
        for number in range(meetings):
            deal = rng.randrange(deals)
            day = created[deal].replace(hour=8, minute=0) + timedelta(days=rng.randrange(0, 60))
            start = day + timedelta(minutes=15 * rng.randrange(0, 36))  # 08:00 to 16:45
            end = start + timedelta(minutes=rng.choice((30, 45, 60)))
            booked = start - timedelta(days=rng.randrange(0, 14), minutes=rng.randrange(0, 600))
            outcome = rng.choice(OUTCOMES)
            hs.write(
                f"{10_000_000 + number};Meeting {number};{_local(start)};{_local(end)};{outcome};"
                f"{_local(start)};{_local(booked)};{OWNERS[deal % len(OWNERS)]};{deal + 1}\r\n"
            )
            cs.write(
                f"{10_000_000 + number},{deal + 1},{start:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M},"
                f"{booked:%Y-%m-%dT%H:%M},{CANONICAL_STATUS[outcome]},Meeting {number}\n"
            )
    return {"hubspot": hubspot, "canonical": canonical}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000, help="meetings to write")
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    generate(arguments.folder, meetings=arguments.rows, seed=arguments.seed)


if __name__ == "__main__":
    main()
