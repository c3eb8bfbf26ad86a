"""`momentum demo` as a user runs it: --out somewhere that cannot hold its folder is one line
and exit 73, not a traceback, and the store is left alone; --as-of is the audit's today; it
ends with a command that serves its store from any folder."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from momentum.cli import app
from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.demo.generator import REPS
from momentum.demo.today import meeting_one_end
from momentum.next_step.schemas import LockIn
from momentum.next_step.service import NextStepService
from momentum.reminder.models import ReminderKind
from momentum.schedule.repository import ScheduleRepository
from momentum.user.models import Role, User
from momentum.user.schemas import Actor
from momentum.value_asset.service import ValueAssetService

OUTPUT = 73


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_the_demo_into_a_place_that_is_not_a_folder_is_refused(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    out = blocker if where == "a file" else blocker / "demo"
    store = tmp_path / "store.db"
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30", "--out", str(out)],
        env={"MOMENTUM_DATABASE_URL": f"sqlite:///{store}"},
    )
    assert result.exit_code == OUTPUT, result.output
    assert result.output.startswith(f"error: cannot write to {out}: ")
    assert "Traceback" not in result.output
    assert blocker.read_text() == "mine"
    assert not store.exists()


def test_the_demo_s_audit_is_as_of_its_today(tmp_path: Path) -> None:
    """The store's audit took the wall clock's today, the files' audit the demo's: they
    disagreed on which deals were still pending."""
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "60", "--as-of", "2026-06-30", "--out", str(tmp_path / "demo")],
        env={"MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"},
    )
    assert result.exit_code == 0, result.output
    assert "outcomes as of 2026-06-30" in result.output


def test_the_demo_says_how_to_serve_its_store_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a relative store URL (sqlite:///store.db), the command it printed served another,
    empty store from any other folder: it names the store and this momentum absolutely."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30"],
        env={"MOMENTUM_DATABASE_URL": "sqlite:///store.db"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("The web app: start it with")
    setting, *command = shlex.split(lines[start + 1])
    name, _, url = setting.partition("=")
    assert (name, url) == ("MOMENTUM_DATABASE_URL", f"sqlite:///{here.resolve() / 'store.db'}")
    assert Path(command[0]).is_absolute() and Path(command[0]).is_file()
    assert command[-1] == "serve"
    assert lines[start + 2].startswith("open http://127.0.0.1:8000/ and sign in")
    # from another folder, the printed URL is the demo's store, with its logins
    monkeypatch.chdir(tmp_path)
    database = Database(url)
    try:
        with database.unit_of_work(write=False) as session:
            emails = {user.email for user in session.scalars(select(User))}
    finally:
        database.dispose()
    assert "admin@momentum-demo.example" in emails


def test_the_demo_leaves_meetings_one_awaiting_an_outcome_and_a_value_asset_library(
    tmp_path: Path, database: Database
) -> None:
    """A trial found nothing to mark on Today and an empty library: "How did it go?", booking
    meeting two from meeting one and "Confirm with value" could not be tried. Every demo rep
    now has a meeting one that has just ended, with a buyer to invite, and meeting two booked
    from it plans a value reminder; the files the audit reads are left as they were."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30", "--out", str(out)],
        env={"MOMENTUM_DATABASE_URL": database.url},
    )
    assert result.exit_code == 0, result.output
    assert "12 meetings one that have just ended" in result.output
    assert "mnow-" not in (out / "meetings.csv").read_text(), "the audit's history is unchanged"
    now = SystemClock().now()
    with database.unit_of_work(write=False) as session:
        schedule = ScheduleRepository(session)
        for rep in REPS:
            awaiting = schedule.awaiting_outcome({rep.rep_id}, now, limit=50, offset=0)
            ends = [meeting.end_at for meeting in awaiting if meeting.id.startswith("mnow-")]
            assert len(ends) == 1, rep.rep_id
            assert now - timedelta(days=6) < ends[0] <= now, rep.rep_id  # it has just ended
        library = ValueAssetService(session, clock=SystemClock()).library()
        assert len(library) >= 2
        hosts = {urlsplit(asset.url or "").hostname for asset in library}
        assert hosts <= {"example.com", "example.test"} and all(a.title for a in library)
    day = now.date() + timedelta(days=8)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    lock_in = LockIn(start=datetime.combine(day, time(10)), minutes=45)
    with database.unit_of_work() as session:
        avery = Actor(role=Role.REP, rep_id="r01")
        booked = NextStepService(session, clock=SystemClock()).lock_in_next_meeting(
            avery, "dnow-r01", lock_in
        )
    assert ReminderKind.VALUE in {reminder.kind for reminder in booked.reminders}
    # a second run keeps one meeting per rep and one library
    again = CliRunner().invoke(
        app,
        ["demo", "--deals", "20", "--as-of", "2026-06-30", "--out", str(out)],
        env={"MOMENTUM_DATABASE_URL": database.url},
    )
    assert again.exit_code == 0, again.output
    with database.unit_of_work(write=False) as session:
        assert len(ValueAssetService(session, clock=SystemClock()).library()) == len(library)


@pytest.mark.parametrize(
    ("now", "ended"),
    [
        # Wednesday 14:37 in Berlin: a quarter of an hour ago, on the quarter hour
        (datetime(2026, 12, 2, 13, 37, tzinfo=UTC), datetime(2026, 12, 2, 13, 15, tzinfo=UTC)),
        # Sunday evening: Friday at 17:00
        (datetime(2026, 12, 6, 19, 0, tzinfo=UTC), datetime(2026, 12, 4, 16, 0, tzinfo=UTC)),
        # Monday 07:00: the last business day, Friday, at 17:00
        (datetime(2026, 12, 7, 6, 0, tzinfo=UTC), datetime(2026, 12, 4, 16, 0, tzinfo=UTC)),
        # Tuesday 19:30: that day at 17:00
        (datetime(2026, 12, 8, 18, 30, tzinfo=UTC), datetime(2026, 12, 8, 16, 0, tzinfo=UTC)),
        # Saturday 26 December, after Christmas Day (a holiday) on Friday: Thursday at 17:00
        (datetime(2026, 12, 26, 11, 0, tzinfo=UTC), datetime(2026, 12, 24, 16, 0, tzinfo=UTC)),
    ],
)
def test_a_meeting_one_that_just_ended_ends_in_the_rep_s_business_hours(
    now: datetime, ended: datetime
) -> None:
    hannah = next(rep for rep in REPS if rep.rep_id == "r05")  # Berlin, Germany's holidays
    assert meeting_one_end(hannah, now) == ended
