"""Inserting many flags or tasks at once, skipping any that would be a second open one.

Flags and tasks are unique per ``(deal_id, rule)`` among the open ones (a partial unique
index): a concurrent evaluation may have raised the same one meanwhile, and that is not an
error. Rows go in with one ``executemany``; a large batch on PostgreSQL (a first evaluation
raises hundreds of thousands) is copied into a staging table (``COPY``) and merged with one
``INSERT … SELECT``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Enum, Table, text
from sqlalchemy.orm import Session

from momentum.db.base import UTCDateTime
from momentum.db.bulk import Staging, dialect, insert_rows

BULK_ROWS = 2_000  # from here on PostgreSQL copies the rows into a staging table


def _converter(table: Table, column: str, dialect: str) -> Callable[[Any], Any] | None:
    """How a value of ``column`` goes to the driver: instants as naive UTC (SQLite: the text
    of ``momentum.db.base.SQLITE_DATETIME_FORMAT``), enums as their values; ``None`` for the
    columns that go as they are."""
    kind = table.c[column].type
    if isinstance(kind, UTCDateTime):
        if dialect == "postgresql":
            return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None)
        return lambda v: (
            None
            if v is None
            else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        )
    if isinstance(kind, Enum):
        return lambda v: v.value if isinstance(v, enum.Enum) else v
    return None


def insert_unless_open(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    open_when: str,
) -> None:
    """Insert ``rows`` (tuples of ``columns``' values, ``deal_id`` and ``rule`` among them)
    into ``table``, skipping each that would be a second row for its ``(deal_id, rule)``
    where ``open_when`` holds."""
    if not rows:
        return
    name = dialect(session)
    converters = [_converter(table, column, name) for column in columns]
    values = [
        tuple(
            value if convert is None else convert(value)
            for value, convert in zip(row, converters, strict=True)
        )
        for row in rows
    ]
    column_list = ", ".join(columns)
    skipping = f"ON CONFLICT (deal_id, rule) WHERE {open_when} DO NOTHING"
    if name == "postgresql" and len(values) >= BULK_ROWS:
        stage = Staging.create(session, table)
        insert_rows(session, stage.name, columns, values)
        session.execute(
            text(
                f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} "
                f"FROM {stage.name} WHERE true {skipping}"
            )
        )
        stage.drop(session)
        return
    placeholder = "%s" if name == "postgresql" else "?"
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({column_list}) "
        f"VALUES ({', '.join(placeholder for _ in columns)}) {skipping}",
        values,
    )
