"""``momentum export``, then ``momentum import`` of its files into a fresh store of the other
database, gives the same store: reps (team, manager, zone, country), deals, meetings, their
status history, and the deals' stage history; and the audit of both stores says the same.
Both directions are run: SQLite to PostgreSQL and PostgreSQL to SQLite."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from momentum.db.engine import Database
from momentum.db.models import Base
from momentum.demo.generator import generate
from tests.cli_process import momentum
from tests.conftest import _empty_postgres

AS_OF = date(2026, 3, 2)
# what the canonical files carry, table by table (the store's own stamps, such as created_at
# or the rules' bookkeeping, are the import's, not the data's)
COLUMNS = {
    "rep": ("id", "name", "email", "team", "manager_id", "timezone", "country"),
    "deal": (
        "id", "name", "account", "owner_id", "opened_at", "stage", "amount", "currency",
        "outcome", "closed_at",
    ),
    "meeting": (
        "id", "deal_id", "start_at", "end_at", "booked_at", "status", "agenda", "homework",
    ),
    "meeting_status_change": ("meeting_id", "from_status", "to_status", "source"),
    "deal_stage_entry": ("deal_id", "stage", "entered_at"),
}  # fmt: skip


def plain(value: Any) -> Any:
    """One stored value in a form both databases give alike."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, Decimal):
        return value.normalize()
    return getattr(value, "value", value)  # enumerations


def contents(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    tables = Base.metadata.tables
    with database.engine.connect() as connection:
        return {
            name: sorted(
                tuple(plain(v) for v in row)
                for row in connection.execute(select(*(tables[name].c[c] for c in columns)))
            )
            for name, columns in COLUMNS.items()
        }


def source_files(folder: Path) -> Path:
    """The demo team (reps with teams and managers, deals, meetings) and a stage history for
    every deal: created, then the stage it is in (when it closed, for closed deals)."""
    generate(folder, deals=150, seed=11, as_of=AS_OF)
    with (folder / "deals.csv").open(encoding="utf-8", newline="") as handle:
        deals = list(csv.DictReader(handle))
    with (folder / "deal_stages.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["deal_id", "stage", "entered_at"])
        for deal in deals:
            writer.writerow([deal["deal_id"], "Discovery", deal["created_at"]])
            if deal["closed_at"]:
                writer.writerow([deal["deal_id"], deal["stage"], deal["closed_at"]])
    return folder


def run(url: str, *args: str) -> None:
    """``momentum ARGS`` on the store at ``url``, as its own process (as a user runs it)."""
    done = momentum(*args, cwd=Path.cwd(), env={"MOMENTUM_DATABASE_URL": url})
    assert done.code == 0, done.stderr


def audit_json(url: str, out: Path) -> dict[str, Any]:
    run(url, "audit", "--as-of", f"{AS_OF}T00:00:00Z", "--json", str(out))
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture
def stores(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> Iterator[tuple[str, str]]:
    """The URLs of an empty SQLite store and an empty PostgreSQL store, in the order asked."""
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable (set MOMENTUM_TEST_POSTGRES)")
    shutil.copyfile(sqlite_template, tmp_path / "momentum.db")
    sqlite = f"sqlite:///{tmp_path / 'momentum.db'}"
    yield (sqlite, postgres_url) if request.param == "sqlite" else (postgres_url, sqlite)
    database = Database(postgres_url, migrate=False)
    _empty_postgres(database)
    database.dispose()


@pytest.mark.parametrize("stores", ["sqlite", "postgresql"], indirect=True)
def test_an_export_imported_into_a_fresh_store_gives_the_same_store(
    stores: tuple[str, str], tmp_path: Path
) -> None:
    first, fresh = stores
    run(first, "import", str(source_files(tmp_path / "demo")))
    run(first, "export", str(tmp_path / "export"))
    run(fresh, "import", str(tmp_path / "export"))

    def opened(url: str) -> dict[str, list[tuple[Any, ...]]]:
        database = Database(url, migrate=False)
        try:
            return contents(database)
        finally:
            database.dispose()

    original, copied = opened(first), opened(fresh)
    assert {name: len(rows) for name, rows in original.items()} == {
        "rep": 12,
        "deal": 150,
        "meeting": len(original["meeting"]),
        "meeting_status_change": len(original["meeting"]),  # one per imported meeting
        "deal_stage_entry": 150 + sum(1 for d in original["deal"] if d[9] is not None),
    }
    assert len(original["meeting"]) > 150
    assert None not in {row[3] for row in original["rep"]}  # every rep's team is carried
    for name in COLUMNS:
        assert copied[name] == original[name], name
    # the fresh store's own export is the first export, byte for byte
    run(fresh, "export", str(tmp_path / "again"))
    for file in sorted((tmp_path / "export").iterdir()):
        assert (tmp_path / "again" / file.name).read_bytes() == file.read_bytes(), file.name
    assert audit_json(fresh, tmp_path / "fresh.json") == audit_json(first, tmp_path / "first.json")
