"""Whatever bytes a file holds, reading and importing it ends in a clean import or in problems
(a ``MomentumError``), never in another exception; and problems leave the store as it was."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, given, settings

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import MomentumError
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # the same examples every run: a failure here is one to reproduce, not luck
    derandomize=True,
)
REPS = b"rep_id,name,timezone\nr1,Ann,Europe/Berlin\nr2,Bo,America/New_York\n"
OPTIONS = ReadOptions(batch_rows=7)  # several batches from a few rows
CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))

# Pieces that make values look real, or almost: ids, times in and out of range and around
# clock changes, numbers as locales write them, quotes, separators and line ends in values.
VALUE = st.one_of(
    st.sampled_from(
        [
            "",
            "r1",
            "r2",
            "d1",
            "d2",
            "m1",
            "open",
            "won",
            "lost",
            "held",
            "no_show",
            "Completed",
            "2026-03-02",
            "2026-03-02T10:00:00Z",
            "2026-03-29T02:30",
            "2026-10-25T02:30",
            "0001-01-01",
            "9999-12-31T23:59:59",
            "31/12/2026 14:30",
            "12/31/2026 2:30 PM",
            "46083.75",
            "1.234,56",
            "1e308",
            "-0",
            "NaN",
            "'=SUM(A1)",
            'a "quoted" value',
            "comma, inside",
            "line\nbreak",
            "cr\ronly",
            "tab\there",
            "Müller",
            "\u202e",
            "\x00",
            "x" * 300,
        ]
    ),
    st.text(max_size=20),
)


def csv_text(header: list[str], rows: list[list[str]], separator: str, line_end: str) -> str:
    def field(value: str) -> str:
        if any(c in value for c in (separator, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [separator.join(field(v) for v in row) for row in [header, *rows]]
    return line_end.join(lines) + line_end


@st.composite
def tables(draw: st.DrawFn, columns: list[str], required: list[str]) -> str:
    """A table whose header holds the required columns and some others, in any order (once
    in a while one too many or too few), and rows of values that look real, or almost."""
    optional = draw(st.lists(st.sampled_from(columns), unique=True))
    header = draw(st.permutations(list(dict.fromkeys([*required, *optional]))))
    width = len(header) + draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
    rows = draw(st.lists(st.lists(VALUE, min_size=width, max_size=width), max_size=12))
    return csv_text(
        header,
        rows,
        separator=draw(st.sampled_from([",", ",", ";", "\t"])),
        line_end=draw(st.sampled_from(["\n", "\r\n", "\r"])),
    )


DEAL_COLUMNS = ["deal_id", "name", "account", "owner_id", "created_at", "stage", "amount"]
DEAL_COLUMNS += ["currency", "outcome", "closed_at"]
MEETING_COLUMNS = ["meeting_id", "deal_id", "start", "end", "booked_at", "status", "agenda"]
HUBSPOT_DEALS = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Deal owner"]
HUBSPOT_DEALS += ["Create Date", "Is Closed Won", "Currency"]
HUBSPOT_MEETINGS = ["Record ID", "Meeting start time", "Meeting end time", "Meeting outcome"]
HUBSPOT_MEETINGS += ["Associated Deal IDs", "Create date"]


@contextmanager
def store(template: Path) -> Iterator[tuple[Database, Path]]:
    """A fresh migrated SQLite store and a folder for the files, for one example."""
    with tempfile.TemporaryDirectory(prefix="momentum-fuzz-") as name:
        folder = Path(name)
        shutil.copyfile(template, folder / "momentum.db")
        database = Database(f"sqlite:///{folder / 'momentum.db'}", migrate=False)
        try:
            yield database, folder
        finally:
            database.dispose()


def deal_count(database: Database) -> int:
    from sqlalchemy import text

    with database.engine.connect() as connection:
        return int(connection.execute(text("select count(*) from deal")).scalar_one())


def import_or_problems(database: Database, paths: list[Path], format: str | None) -> None:
    """Import ``paths``: a clean import, or a MomentumError that left the store untouched and
    names a file in each problem."""
    before = deal_count(database)
    refused: MomentumError | None = None
    try:
        import_files(database, paths, format=format, options=OPTIONS, clock=CLOCK)
    except MomentumError as error:
        refused = error
    event("problems" if refused else "imported")
    if refused is not None:
        assert str(refused)
        assert all(problem.file for problem in getattr(refused, "problems", []))
        assert deal_count(database) == before


@FUZZ
@given(
    content=st.binary(max_size=2048),
    name=st.sampled_from(["deals.csv", "export.txt", "cal.ics", "meetings.tsv"]),
)
def test_any_bytes_give_an_import_or_problems(
    sqlite_template: Path, content: bytes, name: str
) -> None:
    with store(sqlite_template) as (database, folder):
        (folder / "reps.csv").write_bytes(REPS)
        (folder / name).write_bytes(content)
        import_or_problems(database, [folder / "reps.csv", folder / name], None)


@FUZZ
@given(
    content=st.binary(max_size=512),
    header=st.sampled_from(
        [b"deal_id,owner_id,outcome,closed_at\n", b"meeting_id,deal_id,start,status\n"]
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_a_known_header_with_any_bytes_after_it(
    sqlite_template: Path, content: bytes, header: bytes, encoding: str
) -> None:
    with store(sqlite_template) as (database, folder):
        (folder / "reps.csv").write_bytes(REPS)
        (folder / "data.csv").write_bytes(header.decode().encode(encoding) + content)
        import_or_problems(database, [folder], "momentum")


@FUZZ
@given(
    deals=tables(DEAL_COLUMNS, ["deal_id", "owner_id", "outcome"]),
    meetings=tables(MEETING_COLUMNS, ["meeting_id", "deal_id", "start", "status"]),
)
def test_canonical_rows_that_look_real_give_an_import_or_problems(
    sqlite_template: Path, deals: str, meetings: str
) -> None:
    with store(sqlite_template) as (database, folder):
        (folder / "reps.csv").write_bytes(REPS)
        (folder / "deals.csv").write_text(deals, encoding="utf-8", newline="")
        (folder / "meetings.csv").write_text(meetings, encoding="utf-8", newline="")
        import_or_problems(database, [folder], None)


@FUZZ
@given(
    deals=tables(HUBSPOT_DEALS, ["Record ID", "Deal Name", "Deal Stage", "Deal owner"]),
    meetings=tables(HUBSPOT_MEETINGS, ["Record ID", "Meeting start time", "Meeting outcome"]),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_hubspot_rows_that_look_real_give_an_import_or_problems(
    sqlite_template: Path, deals: str, meetings: str, encoding: str
) -> None:
    with store(sqlite_template) as (database, folder):
        for name, text in (("deals.csv", deals), ("meetings.csv", meetings)):
            (folder / name).write_bytes(text.encode(encoding, errors="replace"))
        import_or_problems(database, [folder], "hubspot")
