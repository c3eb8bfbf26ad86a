"""HubSpot exports as HubSpot writes them (label headers), and as Excel re-saves them in a
day-first locale (semicolons, a BOM, decimal commas)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Deal, Meeting, MeetingStatus
from tests.importers.presets import problems_in, read_format

DEALS = (
    "Record ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal owner,"
    "Next step,Next Activity Date,Associated Company,"
    'Date entered "Closed Won (Sales Pipeline)",Date entered "Closed Lost (Sales Pipeline)"\n'
    "9001,Acme expansion,Closed Won,Sales Pipeline,12500,2026-03-20 16:00,2026-02-02 09:15,"
    "Ann Lee,,,Acme,2026-03-20 16:00,\n"
    "9002,Birch pilot,Closed Lost,Sales Pipeline,800,,2026-02-03 10:00,Bo Chen,,,Birch,,"
    "2026-03-11 08:30\n"
    "9003,Cobalt renewal,Presentation Scheduled,Sales Pipeline,,2026-05-01,2026-02-04 11:00,"
    "Ann Lee,Send ROI model,2026-03-09,Cobalt,,\n"
)
MEETINGS = (
    "Record ID,Meeting name,Meeting start time,Meeting end time,Meeting outcome,"
    "Activity date,Create date,Activity assigned to,Associated Deal IDs\n"
    "501,Discovery,2026-03-02 10:00,2026-03-02 10:45,Completed,2026-03-02 10:00,"
    "2026-02-25 09:00,Ann Lee,9001\n"
    "502,Demo,2026-03-05 10:00,,No show,2026-03-05 10:00,2026-03-02 11:05,Ann Lee,9001;9003\n"
    "503,Demo again,2026-03-09 14:00,2026-03-09 15:00,Rescheduled,,2026-03-05 12:00,Ann Lee,9001\n"
    "504,Kickoff,2026-03-04 09:00,,Canceled,,,Bo Chen,9002\n"
    "505,Intro,2026-03-06 09:00,,,,,Ann Lee,9003\n"
)


def test_deals_and_meetings_map_onto_the_canonical_model(write_files) -> None:
    folder = write_files({"deals.csv": DEALS, "meetings.csv": MEETINGS})
    data = read_format(folder, timezone="America/New_York")
    assert data.notes[0] == "detected format: hubspot (deals.csv, meetings.csv)"
    assert data.deals.select("deal_id", "outcome", "closed_at", "owner_id", "account").rows() == [
        # won: closed at its Close Date, 16:00 in New York (EDT, UTC-4) = 20:00 UTC
        ("9001", "won", datetime(2026, 3, 20, 20, 0, tzinfo=UTC), "Ann Lee", "Acme"),
        # lost with no Close Date: the date it entered Closed Lost
        ("9002", "lost", datetime(2026, 3, 11, 12, 30, tzinfo=UTC), "Bo Chen", "Birch"),
        # open: its Close Date is only expected, so it is not a closed_at
        ("9003", "open", None, "Ann Lee", "Cobalt"),
    ]
    assert data.meetings.select("meeting_id", "deal_id", "status").rows() == [
        ("501", "9001", "held"),
        ("502", "9001", "no_show"),  # the first associated deal
        ("503", "9001", "rescheduled"),
        ("504", "9002", "canceled"),
        ("505", "9003", "scheduled"),  # no outcome yet
    ]
    first = data.meetings.row(0, named=True)
    # 10:00 EST (UTC-5) on 2 March; booked 25 February 09:00 EST
    assert (first["start"], first["end"], first["booked_at"]) == (
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 15, 45, tzinfo=UTC),
        datetime(2026, 2, 25, 14, 0, tzinfo=UTC),
    )
    assert data.meetings["booked_at"][3] is None  # no Create date: not known, not guessed


def test_an_excel_day_first_export_with_semicolons_and_a_bom(write_files) -> None:
    deals = (
        "\ufeffRecord ID;Deal Name;Deal Stage;Amount;Close Date;Create Date;Deal owner\r\n"
        "1;Acme;Closed Won;1.234,50;20/03/2026 16:00;02/02/2026;Ann\r\n"
        "2;Birch;Appointment Scheduled;€ 800;;03/02/2026;Ann\r\n"
        ";;;;;;\r\n"
    )
    meetings = (
        "\ufeffRecord ID;Meeting start time;Meeting outcome;Associated Deal IDs\r\n"
        "7;02/03/2026 10:00;Completed;1\r\n"
    )
    folder = write_files({"deals.csv": deals, "meetings.csv": meetings})
    data = read_format(folder)
    assert data.deals.select("deal_id", "amount", "closed_at").rows() == [
        ("1", 1234.5, datetime(2026, 3, 20, 16, 0, tzinfo=UTC)),
        ("2", 800.0, None),
    ]
    assert data.meetings["start"].to_list() == [datetime(2026, 3, 2, 10, 0, tzinfo=UTC)]
    assert data.notes[1] == (
        f"dates are read day-first: {folder}/deals.csv row 2, Close Date '20/03/2026 16:00' "
        "can only be read that way"
    )


def test_meetings_may_name_their_deal_instead_of_its_id(write_files) -> None:
    meetings = (
        "Record ID,Meeting start time,Meeting outcome,Associated Deal\n"
        "501,2026-03-02 10:00,Completed,Acme expansion\n"
        "502,2026-03-03 10:00,Completed,Nobody's deal\n"
    )
    folder = write_files({"deals.csv": DEALS, "meetings.csv": meetings})
    assert problems_in(folder) == [
        'meetings.csv:3:Associated Deal: "Nobody\'s deal" is not a Record ID in deals.csv'
    ]


@pytest.mark.parametrize(
    ("meetings", "expected"),
    [
        (
            "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n"
            "501,2026-03-02 10:00,Maybe,9001\n",
            "meetings.csv:2:Meeting outcome: must be one of Scheduled, Completed, Rescheduled, "
            "No show or Canceled (HubSpot's outcomes), not 'Maybe'",
        ),
        (
            "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n"
            "501,next week,Completed,9001\n",
            "meetings.csv:2:Meeting start time: 'next week' is not a date-time: expected an ISO "
            "8601 date-time such as 2026-03-02T10:00:00-05:00, a month-first date such as "
            "12/31/2026 2:30 PM, or an Excel date number",
        ),
        (
            "Record ID,Meeting start time,Meeting outcome\n501,2026-03-02 10:00,Completed\n",
            "meetings.csv:1:Associated Deal IDs: required column is missing",
        ),
        (
            "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n"
            "501,2026-03-02 10:00,Completed,\n",
            "meetings.csv:2:Associated Deal IDs: is required",
        ),
    ],
)
def test_meeting_problems_name_the_export_s_own_columns(
    write_files, meetings: str, expected: str
) -> None:
    folder = write_files({"deals.csv": DEALS, "meetings.csv": meetings})
    assert problems_in(folder) == [expected]


def test_deal_problems_name_the_export_s_own_columns(write_files) -> None:
    deals = (
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner\n"
        "1,Acme,Closed Won,12k,2026-03-20,Ann\n"
        "2,Birch,Closed Won,,,Ann\n"
        "1,Cobalt,Qualified,,,\n"
    )
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [
        "deals.csv:2:Amount: '12k' is not a number (expected e.g. 12000.50)",
        "deals.csv:3:Close Date: is required when outcome is won",
        "deals.csv:4:Deal owner: is required",
        "deals.csv:4:Record ID: '1' is already used on row 2",
    ]


def test_a_hubspot_export_goes_into_the_store(database: Database, write_files) -> None:
    from momentum.importers.canonical import ReadOptions
    from momentum.importers.service import import_files

    folder = write_files({"deals.csv": DEALS, "meetings.csv": MEETINGS})
    summary = import_files(
        database,
        [folder],
        format="hubspot",
        options=ReadOptions(timezone="America/New_York"),
        clock=FixedClock(datetime(2026, 3, 10, tzinfo=UTC)),
    )
    assert summary.format == "hubspot"
    assert summary.counts["meetings"]["inserted"] == 5
    with database.unit_of_work(write=False) as session:
        held = session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.HELD)).all()
        assert [m.id for m in held] == ["501"]
        deal = session.get(Deal, "9001")
        assert deal is not None and deal.owner_id == "Ann Lee"


def test_files_of_one_export_may_be_given_one_by_one(write_files) -> None:
    folder = write_files({"d.csv": DEALS, "m.csv": MEETINGS})
    data = read_format([folder / "d.csv", folder / "m.csv"], format="hubspot")
    assert data.meetings.height == 5


def test_a_file_that_is_not_a_hubspot_export(write_files) -> None:
    folder = write_files({"x.csv": "a,b\n1,2\n"})
    assert problems_in([folder / "x.csv"], format="hubspot") == [
        "x.csv:1: is not a deals or meetings export with HubSpot's column labels (hubspot)"
    ]


def test_a_zone_given_holds_for_the_export_and_its_new_owners_not_for_calendars(
    write_files,
) -> None:
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:c1\r\n"
        "DTSTAMP:20260201T120000Z\r\nDTSTART:20260310T150000Z\r\n"
        "ORGANIZER:mailto:ann@seller.example\r\nATTENDEE:mailto:kim@acme.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    folder = write_files({"deals.csv": DEALS, "meetings.csv": MEETINGS, "ann.ics": calendar})
    data = read_format(folder, timezone="America/New_York")
    won = data.deals.filter(data.deals["deal_id"] == "9001")["closed_at"].item()
    assert won == datetime(2026, 3, 20, 20, 0, tzinfo=UTC)  # 16:00 in New York
    zones = dict(data.reps.select("rep_id", "timezone").iter_rows())
    assert zones["Ann Lee"] == zones["Bo Chen"] == "America/New_York"
    assert any(
        note.startswith("--timezone America/New_York is used for the export's files only")
        for note in data.notes
    )
