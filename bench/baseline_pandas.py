"""The baseline: a straightforward pandas implementation of PRODUCT.md's audit definitions.

What a capable analyst would write in a notebook: read the three CSVs, parse the times
(absolute ones with ``utc=True``, wall-clock ones localized per rep zone), sort, group, merge,
and aggregate per team, rep and ISO week with numpy's mean and quantiles. No validation
beyond what parsing needs. ``bench/bench_audit.py`` times it against ``momentum audit`` and
checks that both give identical figures.

    python -m bench.baseline_pandas FOLDER [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import holidays
import numpy as np
import pandas as pd

GRACE = pd.Timedelta(minutes=60)
TARGET = 5
BUCKETS = ["0-5", "6-10", "11-20", "21+", "none"]


def _times(values: pd.Series, zones: pd.Series) -> pd.Series:
    absolute = values.str.contains(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", na=False)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    if absolute.any():
        out[absolute] = pd.to_datetime(values[absolute], format="ISO8601", utc=True)
    naive = ~absolute & values.notna()
    for zone in zones[naive].unique():
        rows = naive & (zones == zone)
        local = pd.to_datetime(values[rows], format="ISO8601")
        out[rows] = local.dt.tz_localize(
            zone, ambiguous=np.ones(int(rows.sum()), dtype=bool), nonexistent=pd.Timedelta(hours=1)
        ).dt.tz_convert("UTC")
    return out


def deal_facts(folder: Path) -> pd.DataFrame:
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    deals = pd.read_csv(folder / "deals.csv", dtype=str, usecols=["deal_id", "owner_id", "outcome"])
    meetings = pd.read_csv(
        folder / "meetings.csv", dtype=str,
        usecols=["meeting_id", "deal_id", "start", "end", "booked_at", "status", "agenda", "homework"],
    )  # fmt: skip
    reps["country"] = reps["country"].fillna("")
    deals = deals.merge(
        reps[["rep_id", "timezone", "country"]], left_on="owner_id", right_on="rep_id", how="left"
    )
    zone_of_deal = deals.set_index("deal_id")["timezone"]
    zones = meetings["deal_id"].map(zone_of_deal)
    for column in ("start", "end", "booked_at"):
        meetings[column] = _times(meetings[column], zones)
    meetings["end"] = meetings["end"].fillna(meetings["start"] + pd.Timedelta(minutes=30))
    meetings = meetings.sort_values(["deal_id", "start", "end", "meeting_id"])

    held = meetings[meetings["status"] == "held"]
    m1 = held.groupby("deal_id", sort=False).first()[["start", "end"]]
    m1.columns = ["m1_start", "m1_end"]
    after = meetings.merge(m1, left_on="deal_id", right_index=True)
    after = after[after["start"] > after["m1_end"]]
    is_held = (after["status"] == "held").astype(int)
    after = after[(is_held.groupby(after["deal_id"]).cumsum() - is_held) == 0].assign(
        is_rescheduled=lambda f: f["status"] == "rescheduled",
        is_held=lambda f: (f["status"] == "held").astype(int),
        is_no_show=lambda f: (f["status"] == "no_show").astype(int),
    )
    per_deal = after.groupby("deal_id").agg(
        attempts=("meeting_id", "size"),
        first_booked_at=("booked_at", "min"),
        rescheduled=("is_rescheduled", "any"),
        held_attempts=("is_held", "sum"),
        no_show_attempts=("is_no_show", "sum"),
    )
    m2 = after[after["status"] == "held"].groupby("deal_id")["start"].first().rename("m2_start")

    facts = deals.set_index("deal_id").join(m1).join(per_deal).join(m2)
    facts["attempts"] = facts["attempts"].fillna(0)
    facts["held_attempts"] = facts["held_attempts"].fillna(0)
    facts["no_show_attempts"] = facts["no_show_attempts"].fillna(0)
    facts["rescheduled"] = facts["rescheduled"].astype("boolean").fillna(False).astype(bool)
    facts["m2_booked"] = facts["attempts"] > 0
    facts["m2_held"] = facts["m2_start"].notna()
    known = facts["first_booked_at"].notna()
    facts["on_the_spot"] = np.where(
        known, facts["first_booked_at"] <= facts["m1_end"] + GRACE, np.nan
    )

    facts["m1_date"] = pd.Series(pd.NaT, index=facts.index, dtype="datetime64[us]")
    facts["m2_date"] = pd.Series(pd.NaT, index=facts.index, dtype="datetime64[us]")
    for zone, rows in facts.groupby("timezone").groups.items():
        for moment, day in (("m1_start", "m1_date"), ("m2_start", "m2_date")):
            local = facts.loc[rows, moment].dt.tz_convert(zone).dt.tz_localize(None)
            facts.loc[rows, day] = local.dt.normalize()
    facts["gap_calendar_days"] = (facts["m2_date"] - facts["m1_date"]).dt.days
    facts["gap_business_days"] = np.nan
    both = facts["m2_held"]
    for country, rows in facts[both].groupby("country").groups.items():
        first = facts.loc[rows, "m1_date"].to_numpy().astype("datetime64[D]")
        second = facts.loc[rows, "m2_date"].to_numpy().astype("datetime64[D]")
        years = range(first.min().astype(object).year, second.max().astype(object).year + 1)
        days = sorted(holidays.country_holidays(country, years=years)) if country else []
        facts.loc[rows, "gap_business_days"] = np.busday_count(
            first, second, holidays=np.array(days, dtype="datetime64[D]")
        )

    gap = facts["gap_business_days"]
    facts["bucket"] = np.select(
        [facts["m1_start"].isna(), ~facts["m2_held"], gap <= 5, gap <= 10, gap <= 20],
        [None, "none", "0-5", "6-10", "11-20"],
        default="21+",
    )
    iso = facts["m1_date"].dt.isocalendar()
    facts["week"] = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    return facts.reset_index()


def _rate(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def _gaps(values: pd.Series) -> dict[str, float] | None:
    array = values.to_numpy(dtype=np.int64) if len(values) else np.array([], dtype=np.int64)
    if array.size == 0:
        return None
    return {
        "mean": float(np.mean(array)),
        "median": float(np.quantile(array, 0.5)),
        "p90": float(np.quantile(array, 0.9)),
    }


def figures(facts: pd.DataFrame) -> dict[str, Any]:
    funnel = facts[facts["m1_start"].notna()]
    held = funnel[funnel["m2_held"]]
    known = funnel["on_the_spot"].notna()
    closed = funnel["outcome"].isin(["won", "lost"])
    by_gap = []
    for name in BUCKETS:
        part = funnel[funnel["bucket"] == name]
        won, lost = int((part["outcome"] == "won").sum()), int((part["outcome"] == "lost").sum())
        by_gap.append(
            {
                "bucket": name,
                "deals": len(part),
                "won": won,
                "lost": lost,
                "close_rate": _rate(won, won + lost),
            }
        )
    return {
        "deals": len(facts),
        "deals_with_first_meeting": len(funnel),
        "second_meeting": {
            "booked_rate": _rate(funnel["m2_booked"].sum(), len(funnel)),
            "booked_on_the_spot_rate": _rate(
                (funnel.loc[known, "on_the_spot"] == 1).sum(), known.sum()
            ),
            "held_rate": _rate(funnel["m2_held"].sum(), len(funnel)),
            "reschedule_rate": _rate(
                (funnel["m2_booked"] & funnel["rescheduled"]).sum(), funnel["m2_booked"].sum()
            ),
            "attendance_rate": _rate(
                funnel["held_attempts"].sum(),
                funnel["held_attempts"].sum() + funnel["no_show_attempts"].sum(),
            ),
            "gap_calendar_days": _gaps(held["gap_calendar_days"]),
            "gap_business_days": _gaps(held["gap_business_days"]),
            "within_target_rate": _rate((held["gap_business_days"] <= TARGET).sum(), len(held)),
        },
        "close_rate_after_first_meeting": _rate((funnel["outcome"] == "won").sum(), closed.sum()),
        "close_rate_by_gap": by_gap,
    }


def audit(folder: Path) -> dict[str, Any]:
    facts = deal_facts(folder)
    report = figures(facts)
    funnel = facts[facts["m1_start"].notna()]
    report["by_rep"] = []
    for rep, part in funnel.groupby("owner_id", sort=True):
        block = figures(part)
        del block["deals"]
        report["by_rep"].append({"rep_id": rep, **block})
    report["weekly"] = []
    for week, part in funnel.groupby("week", sort=True):
        block = figures(part)
        del block["deals"]
        report["weekly"].append({"week": week, **block})
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = audit(args.folder)
    text = json.dumps(report, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
