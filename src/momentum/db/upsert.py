"""Inserting many flags or tasks at once, skipping any that would be a second open one.

Flags and tasks are unique per ``(deal_id, rule)`` among the open ones (a partial unique
index): a concurrent evaluation may have raised the same one meanwhile, and that is not an
error. Rows go in with one ``executemany``; a large batch on PostgreSQL (a first evaluation
raises hundreds of thousands) is copied into a staging table (``COPY``) and merged with one
``INSERT … SELECT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from momentum.db.bulk import Staging, dialect, driver_rows, insert_rows

BULK_ROWS = 2_000  # from here on PostgreSQL copies the rows into a staging table


def insert_unless_open(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    open_when: str,
) -> int:
    """Insert ``rows`` (tuples of ``columns``' values, ``deal_id`` and ``rule`` among them)
    into ``table``, skipping each that would be a second row for its ``(deal_id, rule)``
    where ``open_when`` holds; returns how many were inserted (not those a concurrent
    evaluation inserted first)."""
    if not rows:
        return 0
    name = dialect(session)
    values = driver_rows(session, table, columns, rows)
    column_list = ", ".join(columns)
    skipping = f"ON CONFLICT (deal_id, rule) WHERE {open_when} DO NOTHING"
    if name == "postgresql" and len(values) >= BULK_ROWS:
        stage = Staging.create(session, table)
        insert_rows(session, stage.name, columns, values)
        result = session.execute(
            text(
                f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} "
                f"FROM {stage.name} WHERE true {skipping}"
            )
        )
        stage.drop(session)
        return int(result.rowcount)  # type: ignore[attr-defined]
    placeholder = "%s" if name == "postgresql" else "?"
    return int(
        session.connection()
        .exec_driver_sql(
            f"INSERT INTO {table.name} ({column_list}) "
            f"VALUES ({', '.join(placeholder for _ in columns)}) {skipping}",
            values,
        )
        .rowcount  # of every row of the batch, on both stores
    )
