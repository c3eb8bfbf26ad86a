"""Importing again: a field left empty clears what the store held; a column the file does not
have, and a row it does not have, leave the store as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from momentum.db.engine import Database
from momentum.db.models import Deal, Meeting, MeetingStatus, Outcome, Rep
from momentum.errors import ValidationFailed
from tests.importers.test_import_store import T1, T2, load

REPS = (
    "rep_id,name,email,team,manager_id,timezone,country\n"
    "boss,Bea,bea@example.com,Leads,,Europe/Berlin,DE\n"
    "r1,Ann,ann@example.com,East,boss,America/New_York,US\n"
)
DEALS = (
    "deal_id,name,account,owner_id,created_at,stage,amount,currency,outcome,closed_at\n"
    "d1,Acme,Acme Inc,r1,2026-01-05,Closed Won,12000.50,USD,won,2026-03-20\n"
    "d2,Birch,Birch Ltd,r1,2026-01-06,Proposal,800,EUR,open,\n"
)
MEETINGS = (
    "meeting_id,deal_id,start,end,booked_at,status,agenda,homework\n"
    "m1,d1,2026-03-02T10:00Z,2026-03-02T11:00Z,2026-02-25T09:00Z,held,ROI model,Send volumes\n"
    "m2,d2,2026-03-04T09:00Z,,,scheduled,Demo,\n"
)
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def first_import(database: Database, write_files) -> None:  # type: ignore[no-untyped-def]
    load(
        database,
        [write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS}, "first")],
        T1,
    )


def again(database: Database, write_files, files: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    load(database, [write_files(files, "again")], T2)


def deal(database: Database, deal_id: str) -> Deal:
    with database.unit_of_work(write=False) as session:
        found = session.get(Deal, deal_id)
        assert found is not None
        return found


def meeting(database: Database, meeting_id: str) -> Meeting:
    with database.unit_of_work(write=False) as session:
        found = session.get(Meeting, meeting_id)
        assert found is not None
        return found


def rep(database: Database, rep_id: str) -> Rep:
    with database.unit_of_work(write=False) as session:
        found = session.get(Rep, rep_id)
        assert found is not None
        return found


def test_a_reopened_deal_loses_its_close_and_its_emptied_fields(
    database: Database, write_files
) -> None:
    first_import(database, write_files)
    assert deal(database, "d1").closed_at is not None
    again(
        database,
        write_files,
        {
            "deals.csv": "deal_id,name,account,owner_id,created_at,stage,amount,currency,"
            "outcome,closed_at\nd1,,,r1,,,,,open,\n"
        },
    )
    reopened = deal(database, "d1")
    assert reopened.outcome == Outcome.OPEN
    assert (
        reopened.closed_at,
        reopened.name,
        reopened.account,
        reopened.opened_at,
        reopened.stage,
        reopened.amount,
        reopened.currency,
    ) == (None, None, None, None, None, None, None)
    assert reopened.updated_at == T2


def test_a_deal_reopened_by_a_file_without_closed_at_loses_its_close(
    database: Database, write_files
) -> None:
    first_import(database, write_files)
    again(database, write_files, {"deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\n"})
    reopened = deal(database, "d1")
    assert (reopened.outcome, reopened.closed_at) == (Outcome.OPEN, None)
    # the columns the file does not have are left as they were
    assert (reopened.name, reopened.stage, reopened.amount, reopened.currency) == (
        "Acme",
        "Closed Won",
        Decimal("12000.5"),
        "USD",
    )


def test_emptied_meeting_fields_are_cleared(database: Database, write_files) -> None:
    first_import(database, write_files)
    again(
        database,
        write_files,
        {
            "meetings.csv": "meeting_id,deal_id,start,end,booked_at,status,agenda,homework\n"
            "m1,d1,2026-03-02T10:00Z,,,held,,\n"
        },
    )
    m1 = meeting(database, "m1")
    assert (m1.booked_at, m1.agenda, m1.homework) == (None, None, None)
    assert m1.end_at == START + timedelta(minutes=30)  # an empty end is the default end
    assert m1.status == MeetingStatus.HELD


def test_emptied_rep_fields_are_cleared(database: Database, write_files) -> None:
    first_import(database, write_files)
    again(
        database,
        write_files,
        {"reps.csv": "rep_id,name,email,team,manager_id,timezone,country\nr1,,,,,,\n"},
    )
    r1 = rep(database, "r1")
    assert (r1.name, r1.email, r1.team, r1.manager_id) == (None, None, None, None)
    # an empty zone or country is the default (UTC and none here), as on a first import
    assert (r1.timezone, r1.country) == ("UTC", None)


def test_a_reps_file_without_zone_columns_keeps_the_stored_zone(
    database: Database, write_files
) -> None:
    first_import(database, write_files)
    again(database, write_files, {"reps.csv": "rep_id,name\nr1,Ann B.\n"})
    r1 = rep(database, "r1")
    assert (r1.name, r1.timezone, r1.country, r1.email) == (
        "Ann B.",
        "America/New_York",
        "US",
        "ann@example.com",
    )


def test_rows_absent_from_the_file_stay_as_they_are(database: Database, write_files) -> None:
    first_import(database, write_files)
    before = (deal(database, "d2"), meeting(database, "m2"), rep(database, "boss"))
    again(
        database,
        write_files,
        {
            "reps.csv": "rep_id,name,timezone\nr1,Ann,America/New_York\n",
            "deals.csv": "deal_id,owner_id,outcome,closed_at\nd1,r1,lost,2026-03-21\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00Z,no_show\n",
        },
    )
    after = (deal(database, "d2"), meeting(database, "m2"), rep(database, "boss"))
    for old, new in zip(before, after, strict=True):
        columns = [c.key for c in type(old).__table__.columns]  # type: ignore[attr-defined]
        assert {c: getattr(new, c) for c in columns} == {c: getattr(old, c) for c in columns}
    assert deal(database, "d1").outcome == Outcome.LOST


def test_a_loop_of_managers_through_a_stored_rep_is_refused(
    database: Database, write_files
) -> None:  # type: ignore[no-untyped-def]
    load(database, [write_files({"reps.csv": "rep_id,manager_id\nr1,\nr2,r1\n"}, "first")], T1)
    with pytest.raises(ValidationFailed) as refused:
        load(database, [write_files({"reps.csv": "rep_id,manager_id\nr1,r2\n"}, "again")], T2)
    assert [p.reason for p in refused.value.problems] == [
        "'r2' makes a loop of managers (r1 → r2 → r1)"
    ]
    # a file without the column keeps each stored manager: no loop
    load(database, [write_files({"reps.csv": "rep_id,name\nr1,Ann\n"}, "names")], T2)
    with database.unit_of_work(write=False) as session:
        assert [(r.id, r.manager_id) for r in session.query(Rep).order_by(Rep.id)] == [
            ("r1", None),
            ("r2", "r1"),
        ]
