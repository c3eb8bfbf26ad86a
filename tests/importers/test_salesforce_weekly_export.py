"""Salesforce's weekly Data Export: UTC times without an offset, empty lookups written as
``000000000000000AAA``, User.csv's first and last names, system users, tasks left out."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Deal, Meeting, Rep
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from tests.importers.presets import problems_in, read_format

NOW = datetime(2026, 3, 10, tzinfo=UTC)
LUCIA, JOSE, GRETE = "0055e000001AAAAAA3", "0055e000001AAAAAA4", "0055e000001AAAAAA5"
DEAL1, DEAL2, DEAL3 = "0065e000004DDDDDD1", "0065e000004DDDDDD2", "0065e000004DDDDDD3"


def example(shared: Path) -> Path:
    return shared / "examples" / "salesforce-weekly-export"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_weekly_export_imports_as_its_readme_says(database: Database, shared: Path) -> None:
    folder = example(shared)
    summary = import_files(
        database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
    )
    with database.unit_of_work(write=False) as session:
        reps = {rep.id: rep for rep in session.scalars(select(Rep))}
        deals = {deal.id: deal for deal in session.scalars(select(Deal))}
        meetings = {m.id: m for m in session.scalars(select(Meeting))}
        # Reps from FirstName/LastName; the two system users (rows 2, 3) are not reps.
        assert sorted((r.id, r.name, r.email, r.timezone, r.manager_id) for r in reps.values()) == [
            (LUCIA, "Lucía Peña", "lucia.pena@ejemplo.example", "America/Mexico_City", None),
            (JOSE, "José Muñoz", "jose.munoz@ejemplo.example", "America/Mexico_City", LUCIA),
            (GRETE, "Grete Weiß", "grete.weiss@ejemplo.example", "Europe/Berlin", LUCIA),
        ]
        assert {d: (x.outcome.value, x.amount, x.currency) for d, x in deals.items()} == {
            DEAL1: ("won", Decimal("125000.0000"), "MXN"),
            DEAL2: ("open", Decimal("18000.0000"), "EUR"),
            DEAL3: ("lost", Decimal("64000.0000"), "MXN"),
        }
        # CloseDate is a calendar date: midnight in Mexico City (UTC-6)
        assert deals[DEAL1].closed_at == utc(2023, 2, 20, 6, 0)
        assert deals[DEAL3].closed_at == utc(2023, 2, 10, 6, 0)
        assert deals[DEAL2].closed_at is None
        # CreatedDate has no offset: UTC
        assert deals[DEAL1].opened_at == utc(2023, 1, 9, 16, 0)
        timed = {
            m.id: (m.deal_id, m.start_at, m.end_at, m.booked_at)
            for m in meetings.values()
            if m.id != "00U5e000005EEEEE6"
        }
        assert timed == {  # the README's table, all in UTC
            "00U5e000005EEEEE1": (
                DEAL1,
                utc(2023, 1, 18, 15, 0),
                utc(2023, 1, 18, 16, 0),
                utc(2023, 1, 11, 17, 20),
            ),
            "00U5e000005EEEEE2": (
                DEAL1,
                utc(2023, 1, 24, 16, 30),
                utc(2023, 1, 24, 17, 15),
                utc(2023, 1, 18, 15, 50),
            ),
            "00U5e000005EEEEE3": (
                DEAL2,
                utc(2023, 1, 16, 9, 0),
                utc(2023, 1, 16, 9, 30),
                utc(2023, 1, 12, 9, 30),
            ),
            # no WhatId: its AccountId's only opportunity
            "00U5e000005EEEEE4": (
                DEAL2,
                utc(2023, 2, 6, 13, 0),
                utc(2023, 2, 6, 14, 0),
                utc(2023, 1, 30, 11, 0),
            ),
            "00U5e000005EEEEE5": (
                DEAL3,
                utc(2023, 1, 20, 23, 0),
                utc(2023, 1, 21, 0, 0),
                utc(2023, 1, 17, 0, 21),
            ),
        }
        # the all-day workshop: 1 February from midnight in its owner's zone, for a day
        workshop = meetings["00U5e000005EEEEE6"]
        assert (workshop.deal_id, workshop.start_at, workshop.end_at) == (
            DEAL3,
            utc(2023, 2, 1, 6, 0),
            utc(2023, 2, 2, 6, 0),
        )
        assert {m.status.value for m in meetings.values()} == {"held"}
    notes = "\n".join(summary.notes)
    assert (
        f"{folder}/Task.csv: 3 tasks that are not meetings (calls, e-mails, to-dos) were left "
        "out (rows 2, 3, 4)"
    ) in summary.notes
    assert (
        f"{folder}/User.csv: 2 system users (e-mail at the org's own domain) who own nothing "
        "were left out (rows 2, 3)"
    ) in summary.notes
    assert "a no-show cannot be known from this export" in notes


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "momentum", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=120,
    )


def test_the_audit_of_the_weekly_export(shared: Path, tmp_path: Path) -> None:
    completed = _cli("audit", str(example(shared)), "--json", "-", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    second = report["second_meeting"]
    assert (report["deals"], report["deals_with_first_meeting"]) == (3, 3)
    # Event 2 was booked 10 minutes before event 1 ended; events 4 and 6 days later
    assert second["booked_on_the_spot_rate"] == pytest.approx(1 / 3)
    # local dates: 18 -> 24 January (Mexico City), 16 January -> 6 February (Berlin),
    # 20 January (event 5 at 23:00 UTC is 17:00 in Mexico City) -> 1 February
    assert second["gap_calendar_days"]["median"] == 12


def test_an_event_export_without_its_length_is_a_problem(write_files) -> None:
    opportunity = "Id,StageName,OwnerId,IsClosed,IsWon,CloseDate\n006A,Prospecting,005A,0,0,\n"
    events = "Id,WhatId,ActivityDateTime,IsAllDayEvent\n00U1,006A,2023-01-18 15:00:00,0\n"
    folder = write_files({"Opportunity.csv": opportunity, "Event.csv": events})
    expected = [
        "Event.csv:1:DurationInMinutes: required column is missing: an event ends "
        "DurationInMinutes after its start, or at its EndDateTime (export one of them)"
    ]
    assert problems_in(folder) == expected
    assert problems_in(folder, format="salesforce") == expected


def test_a_length_that_is_not_minutes_is_a_problem(write_files) -> None:
    opportunity = "Id,StageName,OwnerId,IsClosed,IsWon,CloseDate\n006A,Prospecting,005A,0,0,\n"
    events = (
        "Id,WhatId,ActivityDateTime,DurationInMinutes\n"
        "00U1,006A,2023-01-18 15:00:00,60\n"
        "00U2,006A,2023-01-19 15:00:00,an hour\n"
        "00U3,006A,2023-01-20 15:00:00,-30\n"
        "00U4,006A,2023-01-21 15:00:00,99999999999999\n"
    )
    folder = write_files({"Opportunity.csv": opportunity, "Event.csv": events})
    reason = "is not a number of minutes from 0 to 20,160 (Salesforce events last at most 14 days)"
    assert problems_in(folder) == [
        f"Event.csv:3:DurationInMinutes: 'an hour' {reason}",
        f"Event.csv:4:DurationInMinutes: '-30' {reason}",
        f"Event.csv:5:DurationInMinutes: '99999999999999' {reason}",
    ]


USERS = (
    "Id,Username,FirstName,LastName,Email,TimeZoneSidKey,ManagerId\n"
    "005A,ann@x.example,Ann,,ann@x.example,Europe/Berlin,000000000000000AAA\n"
    "005I,integration@00d5e000000abcdeaa,Integration,User,noreply@00d5e000000abcdeaa,"
    "America/New_York,000000000000000AAA\n"
)
EVENTS = (
    "Id,WhoId,WhatId,AccountId,OwnerId,ActivityDateTime,DurationInMinutes,CreatedDate\n"
    "00U1,000000000000000AAA,006A,000000000000000AAA,005A,2023-01-18 15:00:00,30,"
    "2023-01-10 08:00:00\n"
    "00U2,000000000000000AAA,000000000000000AAA,000000000000000AAA,005A,2023-01-19 15:00:00,"
    "30,\n"
)


def test_a_system_user_who_owns_a_deal_stays_a_rep_without_an_address(write_files) -> None:
    opportunity = (
        "Id,StageName,OwnerId,IsClosed,IsWon,CloseDate,AccountId\n"
        "006A,Prospecting,005I,0,0,,000000000000000AAA\n"
    )
    folder = write_files({"Opportunity.csv": opportunity, "User.csv": USERS, "Event.csv": EVENTS})
    data = read_format(folder, now=NOW)
    assert sorted(data.reps.select("rep_id", "name", "email", "manager_id").rows()) == [
        ("005A", "Ann", "ann@x.example", None),
        ("005I", "Integration User", None, None),
    ]
    assert data.deals.select("deal_id", "owner_id", "account").rows() == [("006A", "005I", None)]
    # the empty lookups link nothing: event 2 names no opportunity, account or contact
    assert data.meetings.select("meeting_id", "deal_id").rows() == [("00U1", "006A")]
    assert any("was left out (row 3)" in note for note in data.notes)


def test_naive_times_are_in_the_zone_the_user_names(write_files) -> None:
    opportunity = "Id,StageName,OwnerId,IsClosed,IsWon,CloseDate\n006A,Prospecting,005A,0,0,\n"
    folder = write_files({"Opportunity.csv": opportunity, "Event.csv": EVENTS})
    found = read_format(folder, now=NOW, timezone="Europe/Berlin").meetings.row(0, named=True)
    assert (found["start"], found["end"]) == (
        datetime(2023, 1, 18, 14, 0, tzinfo=UTC),
        datetime(2023, 1, 18, 14, 30, tzinfo=UTC),
    )
    found = read_format(folder, now=NOW).meetings.row(0, named=True)
    assert (found["start"], found["booked_at"]) == (
        datetime(2023, 1, 18, 15, 0, tzinfo=UTC),
        datetime(2023, 1, 10, 8, 0, tzinfo=UTC),
    )
