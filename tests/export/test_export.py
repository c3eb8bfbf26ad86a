"""``momentum export``: the store as canonical CSVs that import back unchanged, and safe to open
in a spreadsheet."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from momentum.cells import neutralise, neutralised
from momentum.cli import app
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Deal
from momentum.deal.models import Outcome
from momentum.errors import InputError
from momentum.export.service import cell, export_store
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files

T1 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
HOSTILE_REPS = (
    "rep_id,name,email,timezone\n=cmd|' /C calc'!A0,@Ann,ann@x.example,America/New_York\n"
)
HOSTILE_DEALS = (
    "deal_id,name,account,owner_id,outcome,closed_at,amount,currency,stage\n"
    'd1,"=HYPERLINK(""http://evil.example"",""x"")",+Acme,=cmd|\' /C calc\'!A0,won,'
    "2026-03-20T10:00:00-05:00,-1500.25,USD,-5 stage\n"
    'd2,\'=already quoted,"Birch, Inc.",=cmd|\' /C calc\'!A0,open,,0,,"line one\nline two"\n'
    "d3,<script>alert(1)</script>,\u202eRTL\u200b,=cmd|' /C calc'!A0,lost,2026-01-05,,,'@x\n"
)
HOSTILE_MEETINGS = (
    "meeting_id,deal_id,start,end,booked_at,status,agenda,homework\n"
    "-m1,d1,2026-03-02T10:00:00-05:00,2026-03-02T10:45:00.250-05:00,2026-02-25,held,"
    '"@SUM(A1:A9)","1;DROP TABLE users"\n'
    "m2,d1,2026-03-05 10:00,,,no_show,Zero\u200bwidth 👩🏽,\n"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-5 apples", "'-5 apples"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("'=1", "''=1"),  # an apostrophe the user typed is kept: one more is added
        ("a=b", "a=b"),
        ("Acme", "Acme"),
        ("", ""),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(
    value: str | None, expected: str | None
) -> None:
    assert neutralise(value) == expected
    column = pl.DataFrame({"cell": [value]}, schema={"cell": pl.String})
    assert column.select(neutralised("cell"))["cell"].to_list() == [expected]  # for frames


def test_numbers_and_times_are_written_as_values_not_text() -> None:
    assert cell(Decimal("-1500.2500")) == "-1500.25"
    assert cell(Decimal("12000.0000")) == "12000"
    assert cell(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)) == "2026-03-02T15:00:00Z"
    assert (
        cell(datetime(2026, 3, 2, 15, 45, 0, 250000, tzinfo=UTC)) == "2026-03-02T15:45:00.250000Z"
    )
    assert cell(Outcome.WON) == "won"


def load(database: Database, folder: Path, at: datetime = T1):  # type: ignore[no-untyped-def]
    return import_files(
        database, [folder], format=None, options=ReadOptions(), clock=FixedClock(at)
    )


def empty(database: Database) -> None:
    with database.unit_of_work() as session:
        for table in ("meeting_status_change", "meeting", "contact", "deal", "rep", "import_run"):
            session.execute(text(f"DELETE FROM {table}"))


def rows(database: Database) -> dict[str, list[tuple[object, ...]]]:
    with database.engine.connect() as connection:
        return {
            "rep": connection.execute(
                text("SELECT id, name, email, timezone FROM rep ORDER BY id")
            ).all(),
            "deal": connection.execute(
                text(
                    "SELECT id, name, account, owner_id, opened_at, stage, amount, currency, outcome, closed_at FROM deal ORDER BY id"
                )
            ).all(),
            "meeting": connection.execute(
                text(
                    "SELECT id, deal_id, start_at, end_at, booked_at, status, agenda, homework FROM meeting ORDER BY id"
                )
            ).all(),
        }


def test_an_export_imports_back_unchanged(database: Database, write_files, tmp_path: Path) -> None:
    source = write_files(
        {"reps.csv": HOSTILE_REPS, "deals.csv": HOSTILE_DEALS, "meetings.csv": HOSTILE_MEETINGS}
    )
    load(database, source)
    stored = rows(database)
    first = export_store(database, tmp_path / "first")
    assert first.rows == {
        "reps.csv": 1,
        "deals.csv": 3,
        "meetings.csv": 2,
        "deal_stages.csv": 0,  # no stage history: the header only
    }
    # importing the export over the same store changes nothing
    again = load(database, tmp_path / "first", at=datetime(2026, 3, 11, tzinfo=UTC))
    assert {t: (c["inserted"], c["updated"]) for t, c in again.counts.items()} == {
        "reps": (0, 0),
        "deals": (0, 0),
        "meetings": (0, 0),
        "stage_entries": (0, 0),  # deal_stages.csv, with only its header
    }
    # and into an empty store it gives the same rows, and the same files byte for byte
    empty(database)
    load(database, tmp_path / "first")
    assert rows(database) == stored
    export_store(database, tmp_path / "second")
    for name in ("reps.csv", "deals.csv", "meetings.csv", "deal_stages.csv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    with database.unit_of_work(write=False) as session:
        d1 = session.get(Deal, "d1")
        assert d1 is not None
        assert (d1.name, d1.account, d1.amount) == (
            '=HYPERLINK("http://evil.example","x")',
            "+Acme",
            Decimal("-1500.25"),
        )
        # the user's own apostrophe before a formula is read as the spreadsheet does
        assert session.scalars(select(Deal.name).where(Deal.id == "d2")).one() == "=already quoted"


def test_the_files_neutralise_formulas_but_not_numbers(
    database: Database, write_files, tmp_path: Path
) -> None:
    load(
        database,
        write_files(
            {"reps.csv": HOSTILE_REPS, "deals.csv": HOSTILE_DEALS, "meetings.csv": HOSTILE_MEETINGS}
        ),
    )
    export_store(database, tmp_path / "out")
    with (tmp_path / "out" / "deals.csv").open(encoding="utf-8", newline="") as handle:
        deals = list(csv.DictReader(handle))
    d1 = deals[0]
    assert (d1["name"], d1["account"], d1["owner_id"], d1["stage"]) == (
        '\'=HYPERLINK("http://evil.example","x")',
        "'+Acme",
        "'=cmd|' /C calc'!A0",
        "'-5 stage",
    )
    assert (d1["amount"], d1["closed_at"]) == ("-1500.25", "2026-03-20T15:00:00Z")
    assert deals[1]["name"] == "'=already quoted"  # read as "=already quoted"
    assert deals[1]["stage"] == "line one\nline two"
    meetings = pl.read_csv(tmp_path / "out" / "meetings.csv", infer_schema=False)
    assert meetings.row(0) == (
        "'-m1",
        "d1",
        "2026-03-02T15:00:00Z",
        "2026-03-02T15:45:00.250000Z",
        "2026-02-25T05:00:00Z",
        "held",
        "'@SUM(A1:A9)",
        "1;DROP TABLE users",
    )


def test_the_real_naughty_strings_survive_a_round_trip(
    database: Database, shared: Path, tmp_path: Path
) -> None:
    raw = shared / "data/real/crm/salesforce-apex-recipes/Opportunities.csv"
    mapping = tmp_path / "apex.toml"
    mapping.write_text(
        '[deals.columns]\ndeal_id = ["name", "closedate"]\nname = "description"\n'
        'stage = "StageName"\noutcome = "StageName"\namount = "amount"\nclosed_at = "closedate"\n'
        'account = "accountId"\n[deals.values.outcome]\n"Closed/Won" = "won"\n'
        '"Closed Lost" = "lost"\n"*" = "open"\n[deals.fixed]\nowner_id = "apex"\n',
        encoding="utf-8",
    )
    import_files(
        database, [raw], format=None, options=ReadOptions(mapping=mapping), clock=FixedClock(T1)
    )
    stored = rows(database)
    export_store(database, tmp_path / "first")
    empty(database)
    load(database, tmp_path / "first")
    assert rows(database) == stored
    export_store(database, tmp_path / "second")
    assert (tmp_path / "first/deals.csv").read_bytes() == (
        tmp_path / "second/deals.csv"
    ).read_bytes()
    # Every description is stored as written, but for surrounding spaces, which every import
    # trims (two descriptions end in spaces): XSS, SQL, RTL marks, zero-width characters, emoji
    with raw.open(encoding="utf-8", newline="") as handle:
        written = sorted({row["description"].strip() for row in csv.DictReader(handle)})
    names = sorted({row[1] for row in rows(database)["deal"]})
    assert names == written
    assert {
        "\u200b",
        "\u180e",
        "\u202a\u202atest\u202a",
        "<img src=x onerror=alert('hi') />",
        "1;DROP TABLE users",
        "-1E+02",
    } <= set(names)


def test_export_refuses_a_file_for_a_folder(database: Database, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as failure:
        export_store(database, target)
    assert failure.value.message == f"{target}: is a file; expected a folder to write the CSVs into"


def test_the_export_command(write_files, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    source = write_files({"deals.csv": "deal_id,owner_id,outcome\nd1,ann,open\n"})
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(source)]).exit_code == 0
    result = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"wrote 1 rows to {tmp_path / 'out' / 'deals.csv'}" in result.output
    assert (tmp_path / "out/deals.csv").read_text(encoding="utf-8") == (
        "deal_id,name,account,owner_id,created_at,stage,amount,currency,outcome,closed_at\n"
        "d1,,,ann,,,,,open,\n"
    )
