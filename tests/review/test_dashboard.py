"""The dashboard is `momentum audit` on the store: for the same scope and period the figures
are identical to `momentum audit --json`. It marks the weeks whose outcomes are pending and
opens the deals behind each figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.serialize import to_json
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal
from momentum.demo.generator import generate
from momentum.errors import InputError, NotFound
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from momentum.meeting.models import MeetingStatus
from momentum.rep.repository import RepRepository
from momentum.review.dashboard import DashboardService
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.factories import make_meeting
from tests.review.outcomes import PENDING_BY_WEEK, add_pending_in_other_weeks
from tests.review.team import NOW, Team, at, make_team

AS_OF = datetime(2026, 11, 26, tzinfo=UTC)


def _json(result: AuditResult) -> Any:
    """The audit's JSON, written by the command line's own serialiser."""
    return json.loads(to_json(result))


def _cli_json(database: Database, tmp_path: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "momentum", "audit", "--json", "-", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MOMENTUM_DATABASE_URL": database.url},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_dashboard_equals_momentum_audit_json(database: Database, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    generate(demo, deals=120, seed=7, as_of=AS_OF.date())
    import_files(
        database, [demo], format="momentum", options=ReadOptions(), clock=FixedClock(AS_OF)
    )
    with database.unit_of_work(write=False) as session:
        reps = RepRepository(session).all()
    cases: list[tuple[dict[str, str], dict[str, str]]] = [
        ({}, {}),
        (
            {"team": sorted({r.team for r in reps if r.team})[0]},
            {"since": "2026-06-01", "until": "2026-09-30"},
        ),
        ({"rep": reps[2].id}, {"since": "2026-05-01"}),
    ]
    for scope, period in cases:
        with database.unit_of_work(write=False) as session:
            dashboard = DashboardService(
                session, clock=FixedClock(AS_OF), defaults=AuditOptions()
            ).dashboard(
                Actor.system(),
                **scope,
                **{key: date.fromisoformat(value) for key, value in period.items()},
            )
        args = [arg for key, value in {**scope, **period}.items() for arg in (f"--{key}", value)]
        printed = _cli_json(database, tmp_path, "--as-of", AS_OF.isoformat(), *args)
        assert _json(dashboard.result) == printed, (scope, period)
        assert dashboard.result.facts.height > 0


@pytest.fixture
def team(database: Database) -> Team:
    with database.unit_of_work() as session:
        return make_team(session)


def test_pending_weeks_and_the_deals_behind_a_figure(database: Database, team: Team) -> None:
    with database.unit_of_work() as session:  # D5's buyer missed meeting two, then came
        deal = session.get(Deal, "D5")
        make_meeting(
            session, deal=deal, start=at(3, 10), status=MeetingStatus.HELD, booked_at=at(3, 6)
        )
    with database.unit_of_work(write=False) as session:
        service = DashboardService(session, clock=FixedClock(NOW), defaults=AuditOptions())
        dashboard = service.dashboard(team.maya, team="north")
        weeks = {
            w.week: (w.figures.deals_with_first_meeting, w.pending) for w in dashboard.result.weekly
        }
        assert weeks == {"2026-W06": (1, 0), "2026-W09": (1, 0), "2026-W10": (4, 3)}
        assert dashboard.pending_weeks == {"2026-W10"}
        spot = "second_meeting.booked_on_the_spot_rate"
        links, total = service.deals_behind(dashboard, figure=spot, part="numerator")
        assert sorted(link.deal_id for link in links) == ["D1", "D5"] and total == 2
        later, _ = service.deals_behind(dashboard, figure=spot, part="rest", week="2026-W10")
        assert [link.deal_id for link in later] == ["D2"]
        booked, _ = service.deals_behind(
            dashboard, figure="second_meeting.booked_rate", part="rest", rep="bo"
        )
        assert [(link.deal_id, link.label) for link in booked] == [("B1", "Bo's deal")]
        # attendance counts meetings: "missed" opens the deals with a no-show at meeting two
        attendance = dashboard.result.team.attendance
        facts = dashboard.result.facts.filter(pl.col("no_show_attempts") > 0)
        assert attendance.denominator - attendance.numerator == facts["no_show_attempts"].sum()
        missed, count = service.deals_behind(
            dashboard, figure="second_meeting.attendance_rate", part="rest"
        )
        assert count >= 1 and sorted(link.deal_id for link in missed) == sorted(
            facts["deal_id"].to_list()
        )
        with pytest.raises(NotFound):
            service.deals_behind(dashboard, figure="nonsense")
        with pytest.raises(NotFound):
            service.dashboard(team.maya, team="south")
        with pytest.raises(NotFound):
            service.dashboard(Actor(role=Role.REP, rep_id="cy"), rep="ana")
        with pytest.raises(InputError):
            service.dashboard(team.maya, since=date(2026, 3, 9), until=date(2026, 3, 1))


def test_the_pending_weeks_are_the_audit_s_own(
    database: Database, team: Team, tmp_path: Path
) -> None:
    """The weeks marked pending are those of ``momentum audit --json``'s ``pending_by_week``:
    a deal whose meeting two is still scheduled months on, a window lengthened by the rep's
    holiday, and one not yet over in the rep's own time zone are pending there, so here."""
    with database.unit_of_work() as session:
        add_pending_in_other_weeks(session)
    with database.unit_of_work(write=False) as session:
        service = DashboardService(session, clock=FixedClock(NOW), defaults=AuditOptions())
        dashboard = service.dashboard(Actor.system())
    printed = _cli_json(database, tmp_path, "--as-of", NOW.isoformat())
    by_week = {w["week"]: w["pending"] for w in printed["pending_by_week"] if w["pending"]}
    assert by_week == PENDING_BY_WEEK
    assert dashboard.pending_weeks == set(by_week)
    assert {w.week: w.pending for w in dashboard.result.weekly if w.pending} == by_week


def test_what_the_sources_cannot_tell_is_told_of_the_whole_store(
    database: Database, team: Team, tmp_path: Path
) -> None:
    """Bo has no no-show, but the store records them (D5's): Bo's attendance is 100 %, not
    unknown, on the dashboard (the store's frames) and in ``momentum audit --rep`` (the
    scope's rows only)."""
    with database.unit_of_work() as session:
        make_meeting(
            session,
            deal=session.get(Deal, "B1"),
            start=at(3, 5),
            status=MeetingStatus.HELD,
            booked_at=at(3, 3, 12),
        )
    with database.unit_of_work(write=False) as session:
        service = DashboardService(session, clock=FixedClock(NOW), defaults=AuditOptions())
        attendance = service.dashboard(Actor.system(), rep="bo").result.team.attendance
    assert attendance.unknown is None and attendance.value == 1.0
    printed = _cli_json(database, tmp_path, "--as-of", NOW.isoformat(), "--rep", "bo")
    assert printed["second_meeting"]["attendance_rate"] == 1.0
    assert "attendance" not in printed["unknown"]
