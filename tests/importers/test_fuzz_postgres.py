"""The fuzzed imports of ``test_fuzz`` on PostgreSQL as well: the same files, imported into a
SQLite store and a PostgreSQL store, give the same outcome on both. Either both refuse them
with the same problems and stay as they were, or both take them and hold the same rows (their
``momentum export`` files are equal byte for byte). PostgreSQL refuses what SQLite stores (a NUL
character in text, an over-long value in a bounded column); such a difference must surface as
a problem before the store is touched, never as a database error on one of the two."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import event, given, settings

from momentum.db.engine import Database
from momentum.errors import MomentumError
from momentum.export.service import export_store
from momentum.importers.service import import_files
from tests.conftest import _empty_postgres
from tests.importers.test_fuzz import (
    CLOCK,
    DEAL_COLUMNS,
    FUZZ,
    HUBSPOT_DEALS,
    HUBSPOT_MEETINGS,
    MEETING_COLUMNS,
    OPTIONS,
    REPS,
    VALUE,
    csv_text,
    store,
    tables,
)

# two stores per example: fewer examples than test_fuzz, the same every run
BOTH = settings(FUZZ, max_examples=30)


@pytest.fixture(scope="module")
def postgres(postgres_url: str | None) -> Iterator[Database]:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable (set MOMENTUM_TEST_POSTGRES)")
    database = Database(postgres_url, migrate=False)
    _empty_postgres(database)
    yield database
    _empty_postgres(database)
    database.dispose()


def outcome(database: Database, paths: list[Path], format: str | None, out: Path) -> object:
    """What importing ``paths`` did: the problems' text when refused (the store still empty,
    its export the headers alone), else the store's export, file by file."""
    try:
        import_files(database, paths, format=format, options=OPTIONS, clock=CLOCK)
    except MomentumError as error:
        refused = [str(p) for p in getattr(error, "problems", [])] or [str(error)]
        export_store(database, out)
        assert all(len(f.read_text(encoding="utf-8").splitlines()) == 1 for f in out.iterdir())
        return ("refused", refused)
    export_store(database, out)
    return ("imported", {f.name: f.read_bytes() for f in sorted(out.iterdir())})


@contextmanager
def emptied(database: Database) -> Iterator[Database]:
    try:
        yield database
    finally:
        _empty_postgres(database)


def same_on_both(
    sqlite_template: Path, postgres: Database, files: dict[str, bytes], format: str | None
) -> None:
    with store(sqlite_template) as (sqlite, folder), emptied(postgres):
        inputs = folder / "in"
        inputs.mkdir()
        for name, content in files.items():
            (inputs / name).write_bytes(content)
        paths = [inputs / name for name in files]
        with tempfile.TemporaryDirectory(prefix="momentum-fuzz-out-") as out:
            on_sqlite = outcome(sqlite, paths, format, Path(out) / "sqlite")
            on_postgres = outcome(postgres, paths, format, Path(out) / "postgres")
        event(str(on_sqlite[0]))  # type: ignore[index]
        assert on_postgres == on_sqlite


@BOTH
@given(
    deals=tables(DEAL_COLUMNS, ["deal_id", "owner_id", "outcome"]),
    meetings=tables(MEETING_COLUMNS, ["meeting_id", "deal_id", "start", "status"]),
)
def test_canonical_rows_import_the_same_on_postgres_and_sqlite(
    sqlite_template: Path, postgres: Database, deals: str, meetings: str
) -> None:
    files = {"reps.csv": REPS, "deals.csv": deals.encode(), "meetings.csv": meetings.encode()}
    same_on_both(sqlite_template, postgres, files, None)


@BOTH
@given(
    deals=tables(HUBSPOT_DEALS, ["Record ID", "Deal Name", "Deal Stage", "Deal owner"]),
    meetings=tables(HUBSPOT_MEETINGS, ["Record ID", "Meeting start time", "Meeting outcome"]),
)
def test_hubspot_rows_import_the_same_on_postgres_and_sqlite(
    sqlite_template: Path, postgres: Database, deals: str, meetings: str
) -> None:
    files = {"deals.csv": deals.encode(), "meetings.csv": meetings.encode()}
    same_on_both(sqlite_template, postgres, files, "hubspot")


# Rows that are valid but for their text: every text column takes the values PostgreSQL is
# strictest about (NUL, lone surrogates cannot be written as UTF-8 and are left out).
TEXT = st.one_of(VALUE, st.text(st.characters(exclude_categories=["Cs"]), max_size=40))


@BOTH
@given(
    names=st.lists(TEXT, min_size=1, max_size=6),
    agendas=st.lists(TEXT, min_size=1, max_size=6),
    currency=st.sampled_from(["EUR", "usd", "", "EURO", "€"]),
)
def test_any_text_in_valid_rows_imports_the_same_on_postgres_and_sqlite(
    sqlite_template: Path, postgres: Database, names: list[str], agendas: list[str], currency: str
) -> None:
    deals = csv_text(
        ["deal_id", "name", "account", "owner_id", "outcome", "amount", "currency"],
        [[f"d{i}", name, name[::-1], "r1", "open", "10", currency] for i, name in enumerate(names)],
        separator=",",
        line_end="\n",
    )
    meetings = csv_text(
        ["meeting_id", "deal_id", "start", "status", "agenda", "homework"],
        [
            [f"m{i}", "d0", f"2026-03-{i + 2:02d}T10:00:00Z", "held", agenda, agenda.upper()]
            for i, agenda in enumerate(agendas)
        ],
        separator=",",
        line_end="\n",
    )
    files = {"reps.csv": REPS, "deals.csv": deals.encode(), "meetings.csv": meetings.encode()}
    same_on_both(sqlite_template, postgres, files, "momentum")
