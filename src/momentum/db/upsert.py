"""``INSERT … ON CONFLICT DO NOTHING`` against a partial unique index, on both databases.

Small batches go in with one statement (executemany); large ones (a first evaluation of a
whole pipeline raises hundreds of thousands of flags) are copied into a staging table first
(PostgreSQL ``COPY``) and merged with one ``INSERT … SELECT`` (on PostgreSQL tried without
``ON CONFLICT`` first: see :func:`_inserted_unless_any_open`); a column with one value on
every row (the evaluation's instant, say) is bound once in that statement instead.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Enum, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from momentum.db.base import UTCDateTime
from momentum.db.bulk import Staging, insert_rows
from momentum.db.bulk import dialect as dialect_of

BULK_ROWS = 2_000
CONFLICT_KEY = ("deal_id", "rule")
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def insert_unless_open(session: Session, table: Table, open_when: str) -> Any:
    """An insert into ``table`` that skips rows conflicting on ``(deal_id, rule)`` among the
    rows where ``open_when`` holds (the partial unique index of flags and of tasks)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=list(CONFLICT_KEY), index_where=text(open_when)
    )


def _converter(table: Table, column: str, dialect: str) -> Callable[[Any], Any] | None:
    """How a value of ``column`` goes into a staging table: instants as naive UTC (text for
    SQLite), enums as their values; ``None`` for the columns that go as they are."""
    kind = table.c[column].type
    if isinstance(kind, UTCDateTime):
        if dialect == "postgresql":
            return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None)
        # The text of momentum.db.base.SQLITE_DATETIME_FORMAT, written by isoformat: twice as
        # fast as strftime, and a first evaluation converts a due time per task.
        return lambda v: (
            None
            if v is None
            else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        )
    if isinstance(kind, Enum):
        return lambda v: v.value if isinstance(v, enum.Enum) else v
    return None


@dataclass(frozen=True, slots=True)
class Batch:
    """Rows for :func:`insert_batch_unless_open`, already in the form they go in: made by
    :func:`prepare` without the database, so a caller can make the next batch while another
    thread inserts this one."""

    table: Table
    columns: list[str]  # every column, in INSERT order: the staged ones, then the constants
    plain: list[dict[str, Any]]  # a small batch: the rows as they are bound, one statement
    cells: Sequence[tuple[Any, ...]]  # a large one: the staged rows, converted for the database
    constants: dict[str, Any]  # ... and the values every row has, bound once

    @property
    def staged(self) -> list[str]:
        return self.columns[: len(self.columns) - len(self.constants)]


def prepare(
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    constants: dict[str, Any],
    dialect: str,
) -> Batch:
    """``rows`` (tuples of ``columns``' values, the conflict key among them) and ``constants``
    (the values of the other columns every row shares: the evaluation's instant, say) ready
    to insert into ``table`` on ``dialect``. A large batch's tuples are used as they are
    where no column needs converting."""
    if set(CONFLICT_KEY) - set(columns):
        raise ValueError(f"{table.name}: the conflict key {CONFLICT_KEY} is staged, row by row")
    everything = [*columns, *constants]
    if len(rows) < BULK_ROWS:
        plain = [{**dict(zip(columns, row, strict=True)), **constants} for row in rows]
        return Batch(table, everything, plain, [], {})
    fixed = {}
    for column, value in constants.items():
        convert = _converter(table, column, dialect)
        fixed[column] = value if convert is None else convert(value)
    converters = [_converter(table, column, dialect) for column in columns]
    cells: Sequence[tuple[Any, ...]] = rows
    if any(converters):
        values: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, convert in enumerate(converters):
            if convert is not None:  # once per distinct value: most rows share their instants
                converted = {value: convert(value) for value in set(values[index])}
                values[index] = [converted[value] for value in values[index]]
        cells = list(zip(*values, strict=True))
    return Batch(table, everything, [], cells, fixed)


def insert_batch_unless_open(session: Session, batch: Batch, open_when: str) -> None:
    r"""Insert a :func:`prepare`\ d batch into its table, skipping any row that would be a
    second open one for the same ``(deal_id, rule)`` (where ``open_when`` holds)."""
    table = batch.table
    if batch.plain:  # a small batch
        statement = insert_unless_open(session, table, open_when)
        session.connection().execute(statement, batch.plain)
        return
    if not batch.cells:
        return
    stage = Staging.create(session, table)
    insert_rows(session, stage.name, batch.staged, batch.cells)
    columns, constants = batch.columns, batch.constants
    selected = ", ".join(f":{column}" if column in constants else column for column in columns)
    insert = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {selected} FROM {stage.name}"
    skipping = f" WHERE true ON CONFLICT ({', '.join(CONFLICT_KEY)}) WHERE {open_when} DO NOTHING"
    if dialect_of(session) != "postgresql" or not _inserted_unless_any_open(
        session, text(insert), constants
    ):
        session.execute(text(insert + skipping), constants)
    stage.drop(session)


def _inserted_unless_any_open(session: Session, insert: Any, parameters: dict[str, Any]) -> bool:
    """Run ``insert`` without ON CONFLICT, in a savepoint; ``False`` (and nothing inserted)
    if a row would have been a second open one.

    The callers insert rows for keys that had nothing open when they read the store, so a
    conflict needs a concurrent evaluation that raised the same one meanwhile. ON CONFLICT's
    look into the unique index before every row costs PostgreSQL a sixth of the insert; the
    rare conflict costs a second try that skips the rows already there."""
    try:
        with session.begin_nested():
            session.execute(insert, parameters)
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True
