"""What validation accepts, the store keeps and hands back as it was, on SQLite and PostgreSQL;
what it cannot keep is a ``file:row:column`` problem and nothing is written."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Contact, Deal, Meeting, Rep
from momentum.errors import ValidationFailed
from momentum.export.service import export_store
from momentum.importers.canonical import (
    EMAIL_LENGTH,
    ID_LENGTH,
    LONG_TEXT_LENGTH,
    TEXT_LENGTH,
    ReadOptions,
)
from momentum.importers.csvfile import MAX_ROW_BYTES, too_long_row
from momentum.importers.service import import_files
from tests.cli_process import momentum
from tests.importers.helpers import problems_of, read
from tests.importers.presets import NOW
from tests.importers.test_ics import calendar, event
from tests.importers.test_import_store import load, snapshot

REPS = "rep_id,timezone,country\nr1,America/New_York,US\n"
DEALS = "deal_id,owner_id,outcome\nd1,r1,open\n"
MEETING_HEADER = "meeting_id,deal_id,start,end,booked_at,status,agenda,homework\n"
RANGE = "from 1900-01-01T00:00Z up to, not including, 2200-01-01T00:00Z"
VALIDATION = 65


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def folder_with(write_files, **files: str) -> Path:  # type: ignore[no-untyped-def]
    contents = {"reps.csv": REPS, "deals.csv": DEALS}
    contents.update({f"{name}.csv": text for name, text in files.items()})
    return write_files(contents)  # type: ignore[no-any-return]


def refused(database: Database, folder: Path) -> list[str]:
    """The problems of importing ``folder``, checking that nothing was written."""
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as failure:
        load(database, [folder])
    assert snapshot(database) == before
    return [str(problem).removeprefix(f"{folder}/") for problem in failure.value.problems]


# ---------------------------------------------------------------- the range of instants
@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("m1,d1,9999-12-31T23:59:59,,,held,,", "start"),  # year 10000 in UTC
        ("m1,d1,9999-12-31T23:59:59Z,,,held,,", "start"),
        ("m1,d1,2200-01-01T00:00:00Z,,,held,,", "start"),  # the end is exclusive
        ("m1,d1,2199-12-31T19:00,,,held,,", "start"),  # 2200-01-01T00:00Z in New York
        ("m1,d1,1899-12-31T23:59:59.999999Z,,,held,,", "start"),
        ("m1,d1,0001-01-01,,,held,,", "start"),
        ("m1,d1,2026-03-02T10:00Z,2200-06-01T00:00Z,,held,,", "end"),
        ("m1,d1,2026-03-02T10:00Z,,1899-06-01,held,,", "booked_at"),
    ],
)
def test_an_instant_outside_the_range_is_refused(
    database: Database, write_files, row: str, column: str
) -> None:
    folder = folder_with(write_files, meetings=MEETING_HEADER + row + "\n")
    value = row.split(",")[("start", "end", "booked_at").index(column) + 2]
    assert refused(database, folder) == [
        f"meetings.csv:2:{column}: {value!r} is outside the accepted range of instants ({RANGE})"
    ]


def test_a_default_end_past_the_range_is_refused(database: Database, write_files) -> None:
    folder = folder_with(
        write_files, meetings=MEETING_HEADER + "m1,d1,2199-12-31T23:45:00Z,,,held,,\n"
    )
    assert refused(database, folder) == [
        "meetings.csv:2:end: is empty, and the end it defaults to, 30 minutes after the start "
        f"'2199-12-31T23:45:00Z', is outside the accepted range of instants ({RANGE})"
    ]


@pytest.mark.parametrize("column", ["created_at", "closed_at"])
def test_a_deal_time_outside_the_range_is_refused(
    database: Database, write_files, column: str
) -> None:
    deals = f"deal_id,owner_id,outcome,{column}\nd1,r1,won,1812-06-24\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    assert refused(database, folder)[-1] == (
        f"deals.csv:2:{column}: '1812-06-24' is outside the accepted range of instants ({RANGE})"
    )


EDGES = (
    "deal_id,owner_id,outcome,created_at,closed_at\n"
    "d1,r1,open,1900-01-01T00:00:00Z,\n"
    "d2,r1,won,1899-12-31T19:00,2199-12-31T23:59:59.999999Z\n"  # naive: New York, UTC-5
)
EDGE_MEETINGS = (
    MEETING_HEADER + "m1,d1,1900-01-01T00:00:00Z,,1900-01-01T00:00:00Z,held,,\n"
    "m2,d1,2199-12-31T23:29:59.999999Z,,2199-12-31T22:00:00Z,scheduled,,\n"
    "m3,d2,2199-12-31T18:00,2199-12-31T18:59:59,,scheduled,,\n"
)
FIRST = datetime(1900, 1, 1, tzinfo=UTC)
LAST = datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_the_first_and_last_instants_are_kept_and_read_back(
    database: Database, write_files, tmp_path: Path
) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": EDGES, "meetings.csv": EDGE_MEETINGS})
    load(database, [folder])
    with database.unit_of_work(write=False) as session:
        deals = {d.id: d for d in session.scalars(select(Deal))}
        meetings = {m.id: m for m in session.scalars(select(Meeting))}
    assert (deals["d1"].opened_at, deals["d2"].opened_at, deals["d2"].closed_at) == (
        FIRST,
        FIRST,
        LAST,
    )
    assert (meetings["m1"].start_at, meetings["m1"].booked_at) == (FIRST, FIRST)
    assert meetings["m2"].end_at == LAST
    assert meetings["m3"].end_at == datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
    export_store(database, tmp_path / "out")
    rows = _csv_rows(tmp_path / "out" / "deals.csv")
    assert [(r["created_at"], r["closed_at"]) for r in rows] == [
        ("1900-01-01T00:00:00Z", ""),
        ("1900-01-01T00:00:00Z", "2199-12-31T23:59:59.999999Z"),
    ]


def test_the_cli_refuses_year_9999_and_the_store_stays_readable(
    database_url: str, tmp_path: Path
) -> None:
    env = {"MOMENTUM_DATABASE_URL": database_url}
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "reps.csv").write_text(REPS)
    (tmp_path / "bad" / "deals.csv").write_text(DEALS)
    (tmp_path / "bad" / "meetings.csv").write_text(
        MEETING_HEADER + "m1,d1,9999-12-31T23:59:59,,,held,,\n"
    )
    run = momentum("import", "bad", cwd=tmp_path, env=env)
    assert run.code == VALIDATION, run.stderr
    assert run.error_lines[0] == (
        "bad/meetings.csv:2:start: '9999-12-31T23:59:59' is outside the accepted range of instants "
        f"({RANGE})"
    )
    assert "Traceback" not in run.stderr
    (tmp_path / "edges").mkdir()
    (tmp_path / "edges" / "reps.csv").write_text(REPS)
    (tmp_path / "edges" / "deals.csv").write_text(EDGES)
    (tmp_path / "edges" / "meetings.csv").write_text(EDGE_MEETINGS)
    imported = momentum("import", "edges", cwd=tmp_path, env=env)
    assert imported.code == 0, imported.stderr
    exported = momentum("export", "out", cwd=tmp_path, env=env)
    assert exported.code == 0, exported.stderr
    assert "2199-12-31T23:59:59.999999Z" in (tmp_path / "out" / "deals.csv").read_text()
    for command in (("rules", "evaluate"), ("worker", "--once"), ("audit", "--json", "-")):
        run = momentum(*command, cwd=tmp_path, env=env)
        assert run.code == 0, (command, run.stderr)
    again = momentum("import", "out", cwd=tmp_path, env=env)  # what export wrote reads back
    assert again.code == 0, again.stderr


# ---------------------------------------------------------------- text
def test_the_limits_are_the_store_columns() -> None:
    assert ID_LENGTH == 200
    for column in (Rep.id, Deal.id, Deal.owner_id, Meeting.id, Meeting.deal_id, Rep.manager_id):
        assert column.type.length == ID_LENGTH  # type: ignore[attr-defined]
    assert EMAIL_LENGTH == Rep.email.type.length == 320  # type: ignore[attr-defined]
    for column in (Rep.name, Rep.team, Deal.name, Deal.account, Deal.stage):
        assert column.type.length is None  # type: ignore[attr-defined]
    assert (TEXT_LENGTH, LONG_TEXT_LENGTH) == (1_000, 100_000)


def _long(length: int) -> str:
    """``length`` characters, most of them two bytes in UTF-8: limits count characters."""
    return ("é" * length)[: length - 1] + "x"


def test_the_longest_values_are_kept_exactly(database: Database, write_files) -> None:
    rep_id, deal_id, meeting_id = _long(ID_LENGTH), "d" * ID_LENGTH, "m" * ID_LENGTH
    email = "a" * (EMAIL_LENGTH - len("@example.com")) + "@example.com"
    name = _long(TEXT_LENGTH)
    agenda = _long(LONG_TEXT_LENGTH)
    folder = write_files(
        {
            "reps.csv": f"rep_id,email,team,timezone\n{rep_id},{email},{name},UTC\n",
            "deals.csv": f"deal_id,name,account,stage,owner_id,outcome\n"
            f"{deal_id},{name},{name},{name},{rep_id},open\n",
            "meetings.csv": "meeting_id,deal_id,start,status,agenda,homework\n"
            f"{meeting_id},{deal_id},2026-03-02T10:00Z,held,{agenda},{agenda}\n",
        }
    )
    load(database, [folder])
    with database.unit_of_work(write=False) as session:
        rep, deal, meeting = session.get(Rep, rep_id), session.get(Deal, deal_id), None
        meeting = session.get(Meeting, meeting_id)
        assert rep is not None and deal is not None and meeting is not None
        assert (rep.email, rep.team) == (email, name)
        assert (deal.name, deal.account, deal.stage, deal.owner_id) == (name, name, name, rep_id)
        assert (meeting.agenda, meeting.homework) == (agenda, agenda)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"reps.csv": f"rep_id,timezone\n{_long(ID_LENGTH + 1)},UTC\n"},
            "reps.csv:2:rep_id: is 201 characters long; an id may have at most 200",
        ),
        (
            {"reps.csv": f"rep_id,manager_id\nr1,{'m' * 201}\n"},
            "reps.csv:2:manager_id: is 201 characters long; an id may have at most 200",
        ),
        (
            {"reps.csv": f"rep_id,email\nr1,{'a' * 309}@example.com\n"},
            "reps.csv:2:email: is 321 characters long; an e-mail address may have at most 320",
        ),
        (
            {"reps.csv": f"rep_id,team\nr1,{_long(1001)}\n"},
            "reps.csv:2:team: is 1,001 characters long; a team may have at most 1,000",
        ),
        (
            {"deals.csv": f"deal_id,owner_id,outcome\n{'d' * 201},r1,open\n"},
            "deals.csv:2:deal_id: is 201 characters long; an id may have at most 200",
        ),
        (
            {"deals.csv": f"deal_id,owner_id,outcome,account\nd1,r1,open,{'a' * 1001}\n"},
            "deals.csv:2:account: is 1,001 characters long; an account may have at most 1,000",
        ),
        (
            {"deals.csv": f"deal_id,owner_id,outcome,stage\nd1,r1,open,{'a' * 1001}\n"},
            "deals.csv:2:stage: is 1,001 characters long; a stage may have at most 1,000",
        ),
        (
            {
                "meetings.csv": "meeting_id,deal_id,start,status,homework\n"
                f"m1,d1,2026-03-02T10:00Z,held,{_long(100_001)}\n"
            },
            "meetings.csv:2:homework: is 100,001 characters long; homework may have at most "
            "100,000",
        ),
        (
            {"deals.csv": "deal_id,owner_id,outcome,name\nd1,r1,open,Ac\x00me\n"},
            "deals.csv:2:name: contains a NUL character (code 0), which cannot be stored",
        ),
        (
            {"reps.csv": "rep_id,timezone\nr\x001,UTC\n"},
            "reps.csv:2:rep_id: contains a NUL character (code 0), which cannot be stored",
        ),
        (
            {
                "meetings.csv": "meeting_id,deal_id,start,status,agenda\n"
                "m1,d1,2026-03-02T10:00Z,held,\x00\n"
            },
            "meetings.csv:2:agenda: contains a NUL character (code 0), which cannot be stored",
        ),
    ],
)
def test_what_no_store_can_keep_is_refused(
    database: Database, write_files, files: dict[str, str], expected: str
) -> None:
    meetings = "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00Z,held\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings, **files})
    assert expected in refused(database, folder)


def test_the_audit_on_files_refuses_the_same_values(write_files) -> None:
    folder = folder_with(
        write_files,
        meetings="meeting_id,deal_id,start,status,agenda\n"
        f"m1,d1,2026-03-02T10:00Z,held,{'a' * 100_001}\n",
    )
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder, text_presence_only=True)] == [
        "meetings.csv:2:agenda: is 100,001 characters long; an agenda may have at most 100,000"
    ]


# ---------------------------------------------------------------- amounts
KEPT = ["12000.50", "0.0001", "99999999999.9999", "-999999999999999", "1.5E+3", "007.10", "-0"]


def test_amounts_are_kept_exactly(database: Database, write_files, tmp_path: Path) -> None:
    deals = "deal_id,owner_id,outcome,amount\n" + "".join(
        f"d{i},r1,open,{amount}\n" for i, amount in enumerate(KEPT)
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    load(database, [folder])
    with database.unit_of_work(write=False) as session:
        stored = {d.id: d.amount for d in session.scalars(select(Deal))}
    assert [stored[f"d{i}"] for i in range(len(KEPT))] == [Decimal(a) for a in KEPT]
    export_store(database, tmp_path / "out")
    rows = _csv_rows(tmp_path / "out" / "deals.csv")
    assert [r["amount"] for r in rows] == [
        "12000.5",
        "0.0001",
        "99999999999.9999",
        "-999999999999999",
        "1500",
        "7.1",
        "0",
    ]


def test_the_audit_reads_amounts_as_numbers(write_files) -> None:
    deals = "deal_id,owner_id,outcome,amount\nd1,r1,open,12000.50\nd2,r1,open,\n"
    data = read(write_files({"reps.csv": REPS, "deals.csv": deals}))
    assert data.deals["amount"].to_list() == [12000.5, None]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("0.00001", "'0.00001' has more than 4 digits after the decimal point"),
        ("12345678901234.5678", "'12345678901234.5678' has more than 15 digits"),
        ("1000000000000000", "'1000000000000000' has more than 15 digits"),
        ("1e20", "'1e20' has more than 15 digits"),
        ("1e-9", "'1e-9' has more than 4 digits after the decimal point"),
        ("1e999999999", "'1e999999999' has more than 15 digits"),
        ("NaN", "'NaN' is not a number (expected e.g. 12000.50)"),
        ("inf", "'inf' is not a number (expected e.g. 12000.50)"),
        ("\u0661\u0662\u0663", "'\u0661\u0662\u0663' is not a number (expected e.g. 12000.50)"),
    ],
)
def test_an_amount_the_store_cannot_keep_is_refused(
    database: Database, write_files, amount: str, reason: str
) -> None:
    deals = f"deal_id,owner_id,outcome,amount\nd1,r1,open,{amount}\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    (problem,) = refused(database, folder)
    assert problem.startswith(f"deals.csv:2:amount: {reason}")


# ---------------------------------------------------------------- rows
def test_a_row_over_the_limit_is_refused_before_it_is_read(database: Database, write_files) -> None:
    deals = DEALS + "d2,r1,open\n" + "d3,r1,open," + "x" * MAX_ROW_BYTES + "\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    assert refused(database, folder) == [
        "deals.csv:4: is longer than 1 MiB; a row may have at most 1,048,576 bytes (is a quote "
        "missing, or a whole document in one cell?)"
    ]


def test_a_long_row_is_numbered_as_a_row(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text('deal_id,name\nd1,"two\nlines"\nd2,' + "x" * 100 + "\n")
    problem = too_long_row(path, "deals.csv", limit=64)
    assert problem is not None and (problem.row, problem.column) == (3, None)
    path.write_text('deal_id,name\nd1,"' + "x\n" * 40 + '"\nd2,y\n')  # a quoted field, 80 bytes
    problem = too_long_row(path, "deals.csv", limit=64)
    assert problem is None  # lines are checked; the field limits catch the rest


@pytest.mark.parametrize("extra", [0, 1])
def test_the_row_limit_is_exact(tmp_path: Path, extra: int) -> None:
    for lead in ("", "a,b\n", "a,b\n" * 20):  # the long line at every place in a block
        path = tmp_path / "file.csv"
        path.write_bytes((lead + "x" * (64 + extra) + "\r\nz\n").encode())
        problem = too_long_row(path, "file.csv", limit=65)
        assert (problem is not None) == bool(extra), lead
        if problem is not None:
            assert problem.row == lead.count("\n") + 1


def test_a_calendar_leaves_out_what_the_store_cannot_keep(database: Database, write_files) -> None:
    kept = event("a", ":20260302T100000Z", "CREATED:16010101T000000Z", end=":20260302T110000Z")
    placeholder = event("b", ":99991231T100000Z", end=":99991231T110000Z")
    folder = write_files({"ann.ics": calendar(kept, placeholder)})
    summary = import_files(
        database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
    )
    assert summary.counts["meetings"]["inserted"] == 1
    assert any("ann.ics:14:DTSTART: is outside the accepted range" in n for n in summary.notes)
    assert any(
        "ann.ics:5:CREATED: is outside the accepted range of instants" in n for n in summary.notes
    )
    with database.unit_of_work(write=False) as session:
        (meeting,) = session.scalars(select(Meeting))
    assert (meeting.start_at, meeting.booked_at) == (datetime(2026, 3, 2, 10, tzinfo=UTC), None)


def test_calendar_contacts_the_store_cannot_keep_are_left_out(
    database: Database, write_files
) -> None:
    long_name = "N" * (TEXT_LENGTH + 1)
    long_address = "a" * (EMAIL_LENGTH - len("@acme.example") + 1) + "@acme.example"
    meeting = event(
        "a",
        ":20260302T100000Z",
        "ORGANIZER;CN=Ann Lee:mailto:ann@seller.example",
        f"ATTENDEE;CN={long_name}:mailto:kim@acme.example",
        f"ATTENDEE;CN=Lee:mailto:{long_address}",
        end=":20260302T110000Z",
        people=False,
    )
    folder = write_files({"ann.ics": calendar(meeting)})
    summary = import_files(
        database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
    )
    assert (
        "1 contact left out: an e-mail address over 320 characters or with a NUL character"
        in summary.notes
    )
    with database.unit_of_work(write=False) as session:
        stored = [(c.name, c.email) for c in session.scalars(select(Contact))]
    assert stored == [(None, "kim@acme.example")]
