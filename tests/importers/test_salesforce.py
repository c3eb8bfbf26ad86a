"""Salesforce API-name exports: Opportunity, Event and Task, linked through account or contact."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from momentum.importers.linking import deals_for_accounts
from tests.importers.presets import problems_in, read_format

OPPORTUNITIES = (
    "Id,IsDeleted,AccountId,Name,StageName,Amount,CloseDate,IsClosed,IsWon,OwnerId,CreatedDate,NextStep\n"
    "006A1,false,001A,Acme - Loans,Closed Won,1000.50,2026-03-20,true,true,005U1,2026-01-10T09:00:00.000+0000,\n"
    "006A2,false,001A,Acme - Cards,Negotiation,,2026-06-30,false,false,005U1,2026-02-01T09:00:00.000+0000,Call CFO\n"
    "006A3,false,001A,Acme - Old,Closed Lost,,2026-01-15,true,false,005U1,2025-11-01T09:00:00.000+0000,\n"
    "006B1,false,001B,Birch - Loans,Qualification,,2026-05-01,false,false,005U2,2026-02-01T09:00:00.000+0000,\n"
    "006C1,true,001C,Deleted one,Qualification,,2026-05-01,false,false,005U2,2026-02-01T09:00:00.000+0000,\n"
)
EVENTS = (
    "Id,WhatId,WhoId,AccountId,OwnerId,StartDateTime,EndDateTime,DurationInMinutes,IsAllDayEvent,"
    "ActivityDate,EventSubtype,CreatedDate,Description,IsRecurrence\n"
    "00U1,006A2,,001A,005U1,2026-03-02T15:00:00.000+0000,2026-03-02T15:45:00.000+0000,45,false,"
    "2026-03-02,Event,2026-02-25T14:00:00.000+0000,Discovery,false\n"
    "00U2,001B,,001B,005U2,2026-03-12T15:00:00.000+0000,,60,false,2026-03-12,Event,"
    "2026-03-03T10:00:00.000+0000,,false\n"
    "00U3,,003C1,,005U1,,,1440,true,2026-03-04,Event,,,false\n"
    "00U4,,00Q9,,005U1,2026-03-05T15:00:00.000+0000,,30,false,2026-03-05,Event,,,false\n"
    "00U5,006A2,,001A,005U1,2026-03-06T15:00:00.000+0000,,30,false,2026-03-06,Event,,,true\n"
)
TASKS = (
    "Id,WhoId,WhatId,Subject,ActivityDate,Status,OwnerId,AccountId,IsClosed,CreatedDate,TaskSubtype,Type\n"
    "00T1,003C1,,Meeting,2026-03-03,Completed,005U1,,true,2026-02-20T10:00:00.000+0000,Task,Meeting\n"
    "00T2,003C1,001A,Call,2026-03-03,Completed,005U1,001A,true,,Call,Call\n"
    "00T3,,001A,Meeting,2026-03-09,Deferred,005U1,001A,false,,Task,Meeting\n"
)
CONTACTS = "Id,AccountId,LastName,Email\n003C1,001A,Ng,ng@acme.example\n"
USERS = "Id,Name,Email,TimeZoneSidKey,ManagerId,Username\n005U1,Ann Lee,ann@us.example,America/New_York,,ann\n005U2,Bo Chen,bo@us.example,Europe/Berlin,005U1,bo\n"


def test_opportunities_events_and_tasks_become_deals_and_meetings(write_files) -> None:
    folder = write_files(
        {
            "Opportunity.csv": OPPORTUNITIES,
            "Event.csv": EVENTS,
            "Task.csv": TASKS,
            "Contact.csv": CONTACTS,
            "User.csv": USERS,
        }
    )
    data = read_format(folder)
    assert data.notes[0] == (
        "detected format: salesforce (Contact.csv, Event.csv, Opportunity.csv, Task.csv, User.csv)"
    )
    assert data.reps.select("rep_id", "name", "timezone", "manager_id").rows() == [
        ("005U1", "Ann Lee", "America/New_York", None),
        ("005U2", "Bo Chen", "Europe/Berlin", "005U1"),
    ]
    assert data.deals.select("deal_id", "outcome", "closed_at").rows() == [
        # CloseDate is a date: midnight in the owner's zone (New York, EDT from 8 March)
        ("006A1", "won", datetime(2026, 3, 20, 4, 0, tzinfo=UTC)),
        ("006A2", "open", None),  # an open deal's CloseDate is only expected
        ("006A3", "lost", datetime(2026, 1, 15, 5, 0, tzinfo=UTC)),
        ("006B1", "open", None),
    ]  # 006C1 has IsDeleted = true
    meetings = {row["meeting_id"]: row for row in data.meetings.iter_rows(named=True)}
    assert sorted(meetings) == ["00T1", "00T3", "00U1", "00U2", "00U3"]
    # WhatId names the opportunity
    assert meetings["00U1"]["deal_id"] == "006A2"
    assert meetings["00U1"]["status"] == "held"  # it ended before "now" (10 March)
    assert meetings["00U1"]["agenda"] == "Discovery"
    # WhatId names the account; Birch has one deal; it has not happened yet
    assert (meetings["00U2"]["deal_id"], meetings["00U2"]["status"]) == ("006B1", "scheduled")
    assert meetings["00U2"]["end"] == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)  # + 60 minutes
    # only WhoId: the contact's account (Acme) on 4 March: A2 is open then, A1 closes 20 March
    # -> both open on the day; A1 closes soonest
    assert meetings["00U3"]["deal_id"] == "006A1"
    assert meetings["00U3"]["start"] == datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # all day
    # tasks: only those of type Meeting; Completed is held, Deferred rescheduled
    assert (meetings["00T1"]["deal_id"], meetings["00T1"]["status"]) == ("006A1", "held")
    assert (meetings["00T3"]["deal_id"], meetings["00T3"]["status"]) == ("006A1", "rescheduled")
    assert meetings["00T1"]["booked_at"] == datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    assert meetings["00T3"]["booked_at"] is None  # no CreatedDate: not known
    assert data.notes[1:] == [
        f"{folder}/Opportunity.csv: 1 of the deleted rows (IsDeleted) was left out (row 6)",
        f"{folder}/Event.csv: 3 meetings linked to deals: 1 to their opportunity (WhatId), 1 "
        "through their account (WhatId or AccountId), 1 through their contact's account (WhoId, "
        "Contact.csv); 1 linked to no opportunity, account or contact with a deal was left out "
        "(row 5); 1 recurring-event master was skipped (its occurrences are rows); 2 past "
        "events were taken as held: Salesforce records no attendance, so a no-show cannot be "
        "known from this export",
        f"{folder}/Task.csv: 2 meetings linked to deals: 0 to their opportunity (WhatId), 1 "
        "through their account (WhatId or AccountId), 1 through their contact's account (WhoId, "
        "Contact.csv); 1 of the tasks that are not meetings (calls, e-mails, to-dos) was left "
        "out (row 3)",
    ]


def test_an_activity_naming_an_unknown_opportunity_is_a_problem(write_files) -> None:
    events = (
        "Id,WhatId,StartDateTime,DurationInMinutes\n00U1,006ZZ,2026-03-02T15:00:00.000+0000,30\n"
    )
    folder = write_files({"Opportunity.csv": OPPORTUNITIES, "Event.csv": events})
    assert problems_in(folder) == ["Event.csv:2:WhatId: '006ZZ' is not an Id in Opportunity.csv"]


def test_owners_missing_from_the_user_export(write_files) -> None:
    users = "Id,Name,Username\n005U1,Ann,ann\n"
    folder = write_files({"Opportunity.csv": OPPORTUNITIES, "User.csv": users})
    assert problems_in(folder) == ["Opportunity.csv:5:OwnerId: '005U2' is not an Id in User.csv"]


def deal_for(day: date, deals: list[tuple[str, str, date | None]]) -> str | None:
    directory = pl.DataFrame(
        [(deal, "001A", outcome, close) for deal, outcome, close in deals],
        schema={
            "deal_id": pl.String,
            "account_key": pl.String,
            "outcome": pl.String,
            "close_day": pl.Date,
        },
        orient="row",
    )
    meetings = pl.DataFrame({"_i": [0], "account_key": ["001A"], "day": [day]})
    chosen = deals_for_accounts(meetings, directory)
    return chosen["deal_id"][0] if chosen.height else None


@pytest.mark.parametrize(
    ("day", "deals", "expected"),
    [
        # open on the day, closing soonest after it
        (date(2026, 3, 1), [("a", "open", date(2026, 6, 1)), ("b", "open", date(2026, 4, 1))], "b"),
        # a deal closed before the meeting is not open on its day
        (date(2026, 3, 1), [("a", "won", date(2026, 2, 1)), ("b", "open", date(2026, 9, 1))], "b"),
        # closed on the meeting's own day still counts as open then
        (date(2026, 3, 1), [("a", "lost", date(2026, 3, 1)), ("b", "open", date(2026, 9, 1))], "a"),
        # no close date sorts after those with one; equal dates by id
        (
            date(2026, 3, 1),
            [("c", "open", None), ("b", "open", date(2026, 5, 1)), ("a", "open", date(2026, 5, 1))],
            "a",
        ),
        # every deal closed before: the one that closed last
        (date(2026, 3, 1), [("a", "won", date(2025, 1, 1)), ("b", "lost", date(2025, 6, 1))], "b"),
        # no deal for the account
        (date(2026, 3, 1), [], None),
    ],
)
def test_the_deal_of_an_account_linked_meeting(
    day: date, deals: list[tuple[str, str, date | None]], expected: str | None
) -> None:
    assert deal_for(day, deals) == expected


def test_the_real_data_cloud_workshop_export(shared) -> None:
    folder = shared / "data/real/crm/salesforce-data-cloud-workshop"
    data = read_format(folder, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert (data.deals.height, data.meetings.height, data.reps.height) == (50, 5, 1)
    # By hand from Opportunity.csv, row 2: 006Ec00000AieKGIAZ, "Hill Group - Business Loans -
    # June 2023", Closed Won, IsWon 1, Amount 1651993.36, CloseDate 2023-06-17 (midnight UTC: the
    # implied owner 005Ec000004oBPNIA2 has the default zone), CreatedDate
    # 2024-01-22T16:14:25.000+0000.
    hill = data.deals.filter(pl.col("deal_id") == "006Ec00000AieKGIAZ").row(0, named=True)
    assert (hill["outcome"], hill["amount"], hill["stage"]) == ("won", 1651993.36, "Closed Won")
    assert hill["closed_at"] == datetime(2023, 6, 17, tzinfo=UTC)
    assert hill["created_at"] == datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)
    # AccountId 001Ec00000GGw3sIAD is named "Hill Group" in Account.csv
    assert hill["account"] == "Hill Group"
    # Row 45: 006Ec00000AieKwIAJ, Closed Lost, IsClosed 1, IsWon empty -> lost on 2023-10-20.
    lost = data.deals.filter(pl.col("deal_id") == "006Ec00000AieKwIAJ").row(0, named=True)
    assert (lost["outcome"], lost["closed_at"]) == ("lost", datetime(2023, 10, 20, tzinfo=UTC))
    # Task.csv has 12 tasks of Type__c Meeting; 5 name an account (WhatId 001…); 7 name only a
    # contact or lead that no Contact.csv resolves. Each account-linked one by hand:
    #   row 52 00TEc00000Co1XVMAZ 2023-11-09, account GGw3q: open then KK (closes 2024-06-24),
    #     Kf (2024-07-23), Kr (2024-10-13); Kw was lost 2023-10-20 -> KK
    #   row 59 00TEc00000Co1XcMAJ 2023-11-19, GGw3n: Kv (2024-04-03), Kn (2024-08-13) -> Kv
    #   row 60 00TEc00000Co1XdMAJ 2023-11-22, GGw3h: KS (2024-04-30), L0 (2024-05-21) -> KS
    #   row 66 00TEc00000Co1XjMAJ 2023-11-09, GGw3q -> KK, as row 52
    #   row 67 00TEc00000Co1XkMAJ 2023-11-20, GGw40: Ku open (2023-12-22); Ke lost 2023-04-26
    #     and Kh won 2023-03-17 closed before -> Ku
    assert sorted(data.meetings.select("meeting_id", "deal_id").rows()) == [
        ("00TEc00000Co1XVMAZ", "006Ec00000AieKKIAZ"),
        ("00TEc00000Co1XcMAJ", "006Ec00000AieKvIAJ"),
        ("00TEc00000Co1XdMAJ", "006Ec00000AieKSIAZ"),
        ("00TEc00000Co1XjMAJ", "006Ec00000AieKKIAZ"),
        ("00TEc00000Co1XkMAJ", "006Ec00000AieKuIAJ"),
    ]
    # every task is Not Started: nothing says these meetings happened
    assert set(data.meetings["status"]) == {"scheduled"}
    assert data.meetings["start"].min() == datetime(2023, 11, 9, tzinfo=UTC)
    assert data.notes[-1] == (
        f"{folder}/Task.csv: 5 meetings linked to deals: 0 to their opportunity (WhatId), 5 "
        "through their account (WhatId or AccountId), 0 through their contact's account (WhoId, "
        "Contact.csv); 7 linked to no opportunity, account or contact with a deal were left "
        "out (rows 3, 8, 13, 24, 30, 34, 41); 63 tasks that are not meetings (calls, e-mails, "
        "to-dos) were left out (rows 2, 4, 5, 6, 7, 9, 10, 11, 12, 14, …)"
    )  # 75 tasks: 12 of Type__c Meeting


def test_the_real_export_goes_into_the_store(database, shared) -> None:  # type: ignore[no-untyped-def]
    from momentum.clock import FixedClock
    from momentum.importers.canonical import ReadOptions
    from momentum.importers.service import import_files

    folder = shared / "data/real/crm/salesforce-data-cloud-workshop"
    at = datetime(2026, 3, 10, tzinfo=UTC)
    summary = import_files(
        database, [folder], format="salesforce", options=ReadOptions(now=at), clock=FixedClock(at)
    )
    assert {t: c["inserted"] for t, c in summary.counts.items()} == {
        "reps": 1,
        "deals": 50,
        "meetings": 5,
    }
    again = import_files(
        database, [folder], format=None, options=ReadOptions(now=at), clock=FixedClock(at)
    )
    assert {t: c["inserted"] + c["updated"] for t, c in again.counts.items()} == {
        "reps": 0,
        "deals": 0,
        "meetings": 0,
    }
