"""An export's numeric dates written in both orders: every date in the other order than most
is reported in one run, each with its file, row and column, together with whatever else is
wrong with the rows (read in the order most dates show); nothing is imported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentum.cli import app
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import ValidationFailed
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from tests.importers.presets import problems_in
from tests.importers.test_import_store import snapshot

ONE_ORDER = "an export uses one order (choose it with --date-order dmy or mdy)"
HUBSPOT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner\n"
    "9001,Acme,Closed Won,100,25/03/2026,02/02/2026,Ann\n"
    "9002,Birch,Closed Won,12k,03/25/2026,03/02/2026,Ann\n"
    "9001,Acme again,Closed Won,150,03/26/2026,02/02/2026,Ann\n"
    "9003,Cobalt,Closed Won,,27/03/2026,04/02/2026,Bo\n"
)
HUBSPOT_MEETINGS = (
    "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n"
    "501,30/03/2026 10:00,Completed,9001\n"
    "502,03/31/2026 10:00,Completed,9002\n"
    "503,01/04/2026 10:00,Maybe,9003\n"
)


def test_every_date_in_the_other_order_is_reported_with_the_rows_other_problems(
    write_files,
) -> None:
    folder = write_files({"deals.csv": HUBSPOT_DEALS, "meetings.csv": HUBSPOT_MEETINGS})
    day_first = "but row 2 (Close Date '25/03/2026') and 2 other dates can only be day-first"
    assert problems_in(folder) == [
        "deals.csv:3:Amount: '12k' is not a number (expected e.g. 12000.50)",
        f"deals.csv:3:Close Date: '03/25/2026' can only be month-first, {day_first}; {ONE_ORDER}",
        f"deals.csv:4:Close Date: '03/26/2026' can only be month-first, {day_first}; {ONE_ORDER}",
        "deals.csv:4:Record ID: '9001' is already used on row 2",
        f"meetings.csv:3:Meeting start time: '03/31/2026 10:00' can only be month-first, but "
        "row 2 of deals.csv (Close Date '25/03/2026') and 2 other dates can only be day-first; "
        f"{ONE_ORDER}",
        "meetings.csv:4:Meeting outcome: must be one of Scheduled, Completed, Rescheduled, "
        "No show or Canceled (HubSpot's outcomes), not 'Maybe'",
    ]


def test_the_dates_in_the_order_most_dates_show_are_not_the_problem(write_files) -> None:
    deals = (
        "Record ID,Deal Name,Deal Stage,Close Date,Create Date,Deal owner\n"
        "1,A,Closed Won,03/25/2026,,Ann\n"
        "2,B,Closed Won,03/26/2026,,Ann\n"
        "3,C,Closed Won,27/03/2026,,Ann\n"
        "4,D,Closed Won,03/28/2026,03/13/2026,Ann\n"
    )
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [
        "deals.csv:4:Close Date: '27/03/2026' can only be day-first, but row 2 (Close Date "
        f"'03/25/2026') and 3 other dates can only be month-first; {ONE_ORDER}"
    ]


def test_a_stage_history_date_is_reported_once(write_files) -> None:
    """A Date entered column is read for the close date and for the stage history: one date
    in the other order is one problem, not also "not a date-time" for either."""
    deals = (
        'Record ID,Deal Name,Deal Stage,Deal owner,Date entered "Closed Won (Sales Pipeline)",'
        'Date entered "Qualified (Sales Pipeline)"\n'
        "1,A,Closed Won,Ann,25/03/2026,13/03/2026\n"
        "2,B,Closed Won,Ann,03/26/2026,14/03/2026\n"
    )
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [
        "deals.csv:3:Date entered \"Closed Won (Sales Pipeline)\": '03/26/2026' can only be "
        "month-first, but row 2 (Date entered \"Closed Won (Sales Pipeline)\" '25/03/2026') "
        f"and 2 other dates can only be day-first; {ONE_ORDER}"
    ]


def test_pipedrive_dates_in_both_orders_are_all_reported(write_files) -> None:
    deals = (
        "Deal - ID,Deal - Title,Deal - Status,Deal - Owner,Deal - Deal created,Deal - Won time\n"
        "1,Acme,won,Ann,25/03/2026,26/03/2026\n"
        "2,Birch,won,Ann,03/25/2026,03/26/2026\n"
        "3,Cobalt,won,Ann,03/27/2026,28/03/2026\n"
        "4,Dune,maybe,Ann,29/03/2026,\n"
    )
    folder = write_files({"deals.csv": deals})
    day_first = "but row 2 (Deal - Deal created '25/03/2026') and 3 other dates can only be"
    assert problems_in(folder) == [
        f"deals.csv:3:Deal - Deal created: '03/25/2026' can only be month-first, {day_first} "
        f"day-first; {ONE_ORDER}",
        f"deals.csv:3:Deal - Won time: '03/26/2026' can only be month-first, {day_first} "
        f"day-first; {ONE_ORDER}",
        f"deals.csv:4:Deal - Deal created: '03/27/2026' can only be month-first, {day_first} "
        f"day-first; {ONE_ORDER}",
        "deals.csv:5:Deal - Status: must be one of open, won, lost or deleted (Pipedrive's deal "
        "statuses), not 'maybe'",
    ]


def test_salesforce_dates_in_both_orders_are_all_reported(write_files) -> None:
    opportunities = (
        "Id,Name,StageName,OwnerId,CloseDate,IsWon,IsClosed\n"
        "0061,Acme,Closed Won,0051,03/25/2026,true,true\n"
        "0062,Birch,Closed Won,0051,25/03/2026,true,true\n"
        "0063,Cobalt,Closed Won,0051,26/03/2026,true,true\n"
        "0064,Dune,Closed Won,0051,03/27/2026,true,true\n"
        "0065,Elm,Closed Won,0051,03/28/2026,true,true\n"
    )
    folder = write_files({"Opportunity.csv": opportunities})
    month_first = "but row 2 (CloseDate '03/25/2026') and 2 other dates can only be month-first"
    assert problems_in(folder) == [
        f"Opportunity.csv:3:CloseDate: '25/03/2026' can only be day-first, {month_first}; "
        f"{ONE_ORDER}",
        f"Opportunity.csv:4:CloseDate: '26/03/2026' can only be day-first, {month_first}; "
        f"{ONE_ORDER}",
    ]


def test_every_problem_is_reported_at_once_and_nothing_is_imported(
    database: Database, write_files
) -> None:
    folder = write_files({"deals.csv": HUBSPOT_DEALS, "meetings.csv": HUBSPOT_MEETINGS})
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as failure:
        import_files(
            database,
            [folder],
            format="hubspot",
            options=ReadOptions(batch_rows=2),
            clock=FixedClock(datetime(2026, 4, 10, tzinfo=UTC)),
        )
    assert failure.value.total == 6
    assert snapshot(database) == before


def test_the_command_lists_them_all_and_exits_65(write_files, tmp_path: Path, monkeypatch) -> None:
    folder = write_files({"deals.csv": HUBSPOT_DEALS, "meetings.csv": HUBSPOT_MEETINGS})
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 65
    for where in ("deals.csv:3:Close Date", "deals.csv:4:Close Date", "meetings.csv:3:"):
        assert f"{folder}/{where}" in result.output
    assert "error: 6 problems found in the input; nothing was imported" in result.output
    assert "Traceback" not in result.output
