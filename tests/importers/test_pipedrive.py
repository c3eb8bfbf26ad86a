"""Pipedrive exports: ``Deal - …`` and ``Activity - …`` headers; only meetings are meetings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.importers.presets import problems_in, read_format

DEALS = (
    "\ufeffDeal - ID;Deal - Title;Deal - Value;Deal - Currency;Deal - Stage;Deal - Status;"
    "Deal - Owner;Deal - Deal created;Deal - Won time;Deal - Lost time;Deal - Organization\n"
    "11;Acme;12.500,00;EUR;Negotiation;Won;Anna Berg;02.02.2026 09:15;20.03.2026 16:00;;Acme\n"
    "12;Birch;800;EUR;Qualified;Lost;Ben Olsen;03.02.2026 10:00;;11.03.2026 08:30;Birch\n"
    "13;Cobalt;;EUR;Qualified;Open;Anna Berg;04.02.2026 11:00;;;Cobalt\n"
    "14;Dune;;EUR;Qualified;Deleted;Anna Berg;05.02.2026 11:00;;;Dune\n"
)
ACTIVITIES = (
    "\ufeffActivity - ID;Activity - Type;Activity - Subject;Activity - Due date;"
    "Activity - Due time;Activity - Duration;Activity - Done;Activity - Marked as done time;"
    "Activity - Add time;Activity - Assigned to user;Deal - ID\n"
    "101;Meeting;Discovery;02.03.2026;10:00;00:45;Done;02.03.2026 10:50;25.02.2026 09:00;"
    "Anna Berg;11\n"
    "102;Call;Follow-up call;03.03.2026;09:00;00:15;Done;;26.02.2026 09:00;Anna Berg;11\n"
    "103;Meeting;Demo;13.03.2026;14:30;01:00;To do;;02.03.2026 11:00;Anna Berg;11\n"
    "104;Meeting;Lunch;04.03.2026;;;Done;;;Ben Olsen;\n"
    "105;Meeting;Kickoff;05.03.2026;9:00;;To do;;;Ben Olsen;12\n"
)


def test_deals_and_meetings_map_onto_the_canonical_model(write_files) -> None:
    folder = write_files({"deals.csv": DEALS, "activities.csv": ACTIVITIES})
    data = read_format(folder, timezone="Europe/Berlin")
    assert data.notes[0] == "detected format: pipedrive (activities.csv, deals.csv)"
    assert data.deals.select("deal_id", "outcome", "amount", "closed_at").rows() == [
        # won at its Won time, 16:00 in Berlin (CET, UTC+1)
        ("11", "won", 12500.0, datetime(2026, 3, 20, 15, 0, tzinfo=UTC)),
        ("12", "lost", 800.0, datetime(2026, 3, 11, 7, 30, tzinfo=UTC)),
        ("13", "open", None, None),
    ]
    assert data.meetings.select("meeting_id", "deal_id", "status", "start", "end").rows() == [
        (
            "101",
            "11",
            "held",
            datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 9, 45, tzinfo=UTC),
        ),
        (
            "103",
            "11",
            "scheduled",
            datetime(2026, 3, 13, 13, 30, tzinfo=UTC),
            datetime(2026, 3, 13, 14, 30, tzinfo=UTC),
        ),
        (  # no duration: the canonical default of 30 minutes
            "105",
            "12",
            "scheduled",
            datetime(2026, 3, 5, 8, 0, tzinfo=UTC),
            datetime(2026, 3, 5, 8, 30, tzinfo=UTC),
        ),
    ]
    assert data.meetings["booked_at"][0] == datetime(2026, 2, 25, 8, 0, tzinfo=UTC)
    assert f"{folder}/deals.csv: 1 deleted deal was left out (row 5)" in data.notes
    assert (
        f"{folder}/activities.csv: 1 of the activities that are not meetings was left out "
        "(row 3); 1 of the meetings on no deal was left out (row 5)"
    ) in data.notes


def test_activities_may_name_their_deal_by_title(write_files) -> None:
    activities = (
        "Activity - ID,Activity - Type,Activity - Due date,Activity - Done,Activity - Deal\n"
        "201,meeting,2026-03-02,Done,Cobalt\n"
        "202,meeting,2026-03-03,Done,Unknown deal\n"
    )
    folder = write_files({"deals.csv": DEALS, "activities.csv": activities})
    assert problems_in(folder) == [
        "activities.csv:3:Activity - Deal: 'Unknown deal' is not a Deal - ID in deals.csv"
    ]


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        (
            "Deal - ID,Deal - Title,Deal - Status,Deal - Owner\n1,A,Pending,Ann\n",
            "deals.csv:2:Deal - Status: must be one of open, won, lost or deleted (Pipedrive's deal "
            "statuses), not 'Pending'",
        ),
        (
            "Deal - ID,Deal - Title,Deal - Status,Deal - Owner\n1,A,Won,Ann\n",
            "deals.csv:2:Deal - Won time: is required when outcome is won",
        ),
        (
            "Deal - ID,Deal - Title,Deal - Status\n1,A,Won\n",
            "deals.csv:1:Deal - Owner: required column is missing",
        ),
    ],
)
def test_deal_problems_name_the_export_s_own_columns(
    write_files, deals: str, expected: str
) -> None:
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [expected]
