"""The demo team: deterministic for (seed, as-of), and realistic enough to audit."""

from __future__ import annotations

import filecmp
from datetime import UTC, date, datetime, time
from pathlib import Path

import polars as pl
import pytest

from momentum.audit.result import AuditOptions
from momentum.audit.service import audit, data_end, read_files
from momentum.demo.generator import REPS, generate
from momentum.importers.canonical import ReadOptions

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, deals=800, seed=7, as_of=AS_OF)
    return folder


def test_the_same_seed_and_date_write_the_same_bytes(demo: Path, tmp_path: Path) -> None:
    generate(tmp_path, deals=800, seed=7, as_of=AS_OF)
    for name in ("reps.csv", "deals.csv", "meetings.csv"):
        assert filecmp.cmp(demo / name, tmp_path / name, shallow=False), name


def test_another_seed_writes_another_history(demo: Path, tmp_path: Path) -> None:
    generate(tmp_path, deals=800, seed=8, as_of=AS_OF)
    assert (demo / "meetings.csv").read_bytes() != (tmp_path / "meetings.csv").read_bytes()


def test_the_team_spans_zones_countries_and_managers(demo: Path) -> None:
    reps = pl.read_csv(demo / "reps.csv")
    assert reps.height == 12
    assert reps["timezone"].n_unique() >= 8
    assert reps["country"].n_unique() >= 8
    assert reps["manager_id"].drop_nulls().n_unique() == 3


def test_the_history_has_every_kind_of_meeting(demo: Path) -> None:
    data = read_files([demo], format=None, read=ReadOptions())
    statuses = set(data.meetings["status"].unique().to_list())
    assert statuses == {"scheduled", "held", "no_show", "canceled", "rescheduled"}
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    upcoming = data.meetings.filter(pl.col("start") > now)
    assert upcoming.height > 20, "open deals have upcoming meetings"
    open_deals = data.deals.filter(pl.col("outcome") == "open")["deal_id"]
    assert upcoming["deal_id"].is_in(open_deals.implode()).all()
    span = data.deals["created_at"].max() - data.deals["created_at"].min()  # type: ignore[operator]
    assert span.days >= 170, "six months of deals"
    assert data.meetings["booked_at"].null_count() > 0, "some bookings are unknown"


def test_the_audit_finds_what_the_team_does(demo: Path) -> None:
    result = audit(read_files([demo], format=None, read=ReadOptions()), AuditOptions())
    report = result.report
    facts = result.facts
    assert facts["attempts"].max() >= 2, "reschedules and no-shows make several attempts"
    # meetings three and beyond exist: more meetings than M1 plus attempts
    assert result.report["deals_with_first_meeting"] > 500
    spot = {
        row["rep_id"]: row["second_meeting"]["booked_on_the_spot_rate"] for row in report["by_rep"]
    }
    assert max(spot.values()) - min(spot.values()) > 0.3, "reps differ in booking on the spot"
    gaps = {
        row["rep_id"]: row["second_meeting"]["gap_business_days"]["median"]
        for row in report["by_rep"]
    }
    assert max(gaps.values()) >= 2 * min(gaps.values()), "gaps differ by rep"
    by_gap = {row["bucket"]: row["close_rate"] for row in report["close_rate_by_gap"]}
    assert by_gap["0-5"] > by_gap["6-10"] > by_gap["none"], "outcomes get worse as the gap grows"
    assert {f["playbook"] for f in report["findings"]} >= {"book_on_the_spot", "shorten_the_gap"}


def test_coaching_findings_name_the_rep(demo: Path) -> None:
    report = audit(read_files([demo], format=None, read=ReadOptions()), AuditOptions()).report
    coaching = [f for f in report["findings"] if f["kind"] == "rep" and f["established"]]
    assert coaching, "the demo has reps who are off on some step"
    liam = [f for f in coaching if f["rep_id"] == "r11"]
    assert liam and all(f["text"].startswith("Liam O'Connor (r11): ") for f in liam)


@pytest.mark.parametrize(
    ("seed", "as_of"),
    [
        (7, date(2026, 6, 30)),
        (7, AS_OF),
        (3, date(2026, 6, 30)),
        (11, AS_OF),
        (5, date(2026, 12, 6)),
        (42, date(2027, 4, 30)),
    ],
)
def test_nothing_is_booked_after_it_starts_or_happens_after_the_demo_s_today(
    seed: int, as_of: date, tmp_path: Path
) -> None:
    """Every rep profile's deals: a meeting is booked before it starts, and the history (a
    booking, a meeting's outcome, a deal's creation or closing) ends at the demo's now, noon
    UTC on --as-of; only meetings still to come (``scheduled``) run past it."""
    generate(tmp_path, deals=800, seed=seed, as_of=as_of)
    data = read_files([tmp_path], format=None, read=ReadOptions())
    now = datetime.combine(as_of, time(12), UTC)
    assert data.deals["owner_id"].n_unique() == len(REPS)
    meetings = data.meetings
    assert meetings.filter(pl.col("booked_at") > pl.col("start")).height == 0, "booked late"
    assert meetings.filter(pl.col("booked_at") > now).height == 0, "booked after today"
    past = meetings.filter(pl.col("status") != "scheduled")
    assert past.filter(pl.col("end") > now).height == 0, "an outcome known before it ended"
    assert meetings.filter(pl.col("status") == "scheduled")["end"].min() > now  # type: ignore[operator]
    for column in ("created_at", "closed_at"):
        assert data.deals.filter(pl.col(column) > now).height == 0, column
    end = data_end(data)
    assert end is not None and end <= now, "the audit would infer a later as-of"
