"""Unknown is not zero, per deal: a store that mixes deals from a source that records
no-shows with deals from one that cannot (Salesforce, whose past events are taken as held)
measures attendance on the former, and says how many deals it left out and why, in the
terminal, the HTML and the JSON.

The hand-made store, figures worked out by hand (attendance = meeting-two attempts held /
attempts held or missed):

    canonical file, rep r1:  d1  M1 held, M2 held                 held 1
                             d2  M1 held, M2 no-show, then held   held 1, missed 1
                             d3  M1 held, M2 no-show              missed 1
                             d4  M1 held, no M2                   (no attempt)
    Salesforce, rep 005U1:   006X1  two past events (M1, M2)      "held" 1
                             006X2  two past events (M1, M2)      "held" 1

Attendance: (1 + 1) / (1 + 2 + 1) = 50 %, with 006X1 and 006X2 left out. Counting them would
read (1 + 1 + 1 + 1) / 6 = 67 %: no-shows Salesforce cannot record, counted as attendance.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from momentum.audit.html import render_html
from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.service import audit, read_store
from momentum.audit.terminal import render_terminal
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files

CANONICAL = {
    "reps.csv": "rep_id,name,timezone\nr1,Ann,UTC\n",
    "deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\nd2,r1,open\nd3,r1,open\nd4,r1,open\n",
    "meetings.csv": (
        "meeting_id,deal_id,start,status\n"
        "d1-1,d1,2026-03-02T10:00:00Z,held\nd1-2,d1,2026-03-04T10:00:00Z,held\n"
        "d2-1,d2,2026-03-02T11:00:00Z,held\nd2-2,d2,2026-03-04T11:00:00Z,no_show\n"
        "d2-3,d2,2026-03-06T11:00:00Z,held\n"
        "d3-1,d3,2026-03-02T12:00:00Z,held\nd3-2,d3,2026-03-04T12:00:00Z,no_show\n"
        "d4-1,d4,2026-03-02T13:00:00Z,held\n"
    ),
}
SALESFORCE = {
    "Opportunity.csv": (
        "Id,IsDeleted,AccountId,Name,StageName,Amount,CloseDate,IsClosed,IsWon,OwnerId,"
        "CreatedDate\n"
        "006X1,false,001A,Acme,Qualification,,2026-06-30,false,false,005U1,"
        "2026-02-01T09:00:00.000+0000\n"
        "006X2,false,001B,Birch,Qualification,,2026-06-30,false,false,005U1,"
        "2026-02-01T09:00:00.000+0000\n"
    ),
    "Event.csv": (
        "Id,WhatId,OwnerId,StartDateTime,EndDateTime,DurationInMinutes,IsAllDayEvent,"
        "ActivityDate,EventSubtype,IsRecurrence\n"
        "00U1,006X1,005U1,2026-03-02T15:00:00.000+0000,,30,false,2026-03-02,Event,false\n"
        "00U2,006X1,005U1,2026-03-05T15:00:00.000+0000,,30,false,2026-03-05,Event,false\n"
        "00U3,006X2,005U1,2026-03-02T16:00:00.000+0000,,30,false,2026-03-02,Event,false\n"
        "00U4,006X2,005U1,2026-03-05T16:00:00.000+0000,,30,false,2026-03-05,Event,false\n"
    ),
    "User.csv": "Id,Name,Email,TimeZoneSidKey\n005U1,Bo Chen,bo@x.example,UTC\n",
}
NOW = datetime(2026, 4, 1, tzinfo=UTC)
REASON = (
    "their meetings came from salesforce, which cannot record a no-show "
    "(past meetings are taken as held)"
)


def load(database: Database, folder: Path) -> None:
    import_files(database, [folder], format=None, options=ReadOptions(), clock=FixedClock(NOW))


def audited(database: Database) -> AuditResult:
    return audit(read_store(database), AuditOptions(as_of=NOW))


@pytest.fixture
def mixed(database: Database, write_files) -> Database:  # type: ignore[no-untyped-def]
    load(database, write_files(CANONICAL, "canonical"))
    load(database, write_files(SALESFORCE, "salesforce"))
    return database


def test_attendance_is_measured_on_the_deals_whose_source_records_no_shows(
    mixed: Database,
) -> None:
    result = audited(mixed)
    attendance = result.team.attendance
    assert (attendance.numerator, attendance.denominator, attendance.left_out) == (2, 4, 2)
    assert attendance.value == 0.5
    assert "attendance" not in result.unknown
    assert result.left_out == {"attendance": REASON}
    by_rep = {rep.rep_id: rep.figures.attendance for rep in result.by_rep}
    assert (by_rep["r1"].value, by_rep["r1"].left_out) == (0.5, 0)
    # the Salesforce rep's every attempt is left out: nothing to measure, not 100 %
    assert (by_rep["005U1"].denominator, by_rep["005U1"].left_out) == (0, 2)
    assert by_rep["005U1"].value is None


def test_the_json_gives_the_rate_the_count_left_out_and_why(mixed: Database) -> None:
    report = audited(mixed).report
    assert report["second_meeting"]["attendance_rate"] == 0.5
    assert report["second_meeting"]["attendance_left_out_deals"] == 2
    assert report["left_out"] == {"attendance": {"deals": 2, "reason": REASON}}
    assert "attendance" not in report["unknown"]
    reps = {rep["rep_id"]: rep["second_meeting"] for rep in report["by_rep"]}
    assert "attendance_left_out_deals" not in reps["r1"]
    assert reps["005U1"]["attendance_left_out_deals"] == 2


NOTE = (
    "Attendance is measured on the deals whose source can tell it: 2 deals left out, as their "
    "meetings came from salesforce, which cannot record a no-show (past meetings are taken as "
    "held)."
)


def test_the_terminal_and_html_reports_say_it(mixed: Database) -> None:
    result = audited(mixed)
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=400, color_system=None))
    terminal = out.getvalue().replace("\xa0", " ")  # percentages keep their sign on the line
    assert "attendance 50 % (2 deals left out)" in terminal
    assert NOTE in terminal
    html = render_html(result).replace("\xa0", " ")
    assert "attendance 50 % (2 deals left out)" in html
    assert NOTE in html
    assert "attendance 67 %" not in terminal + html


def test_one_source_that_cannot_record_no_shows_is_still_unknown_for_all(
    database: Database, write_files
) -> None:  # type: ignore[no-untyped-def]
    load(database, write_files(SALESFORCE, "salesforce"))
    result = audited(database)
    assert result.team.attendance.unknown is not None
    assert result.team.attendance.value is None
    assert result.left_out == {}
