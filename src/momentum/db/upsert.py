"""``INSERT … ON CONFLICT DO NOTHING`` against a partial unique index, on both databases.

Small batches go in with one statement (executemany); large ones (a first evaluation of a
whole pipeline raises hundreds of thousands of flags) are copied into a staging table first
(PostgreSQL ``COPY``) and merged with one ``INSERT … SELECT``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from momentum.db.base import SQLITE_DATETIME_FORMAT
from momentum.db.bulk import Staging, insert_rows

BULK_ROWS = 2_000
CONFLICT_KEY = ("deal_id", "rule")


def insert_unless_open(session: Session, table: Table, open_when: str) -> Any:
    """An insert into ``table`` that skips rows conflicting on ``(deal_id, rule)`` among the
    rows where ``open_when`` holds (the partial unique index of flags and of tasks)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=list(CONFLICT_KEY), index_where=text(open_when)
    )


def _storable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def insert_all_unless_open(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], open_when: str
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``, skipping any that would
    be a second open row for the same ``(deal_id, rule)``."""
    if not rows:
        return
    if len(rows) < BULK_ROWS:
        session.connection().execute(insert_unless_open(session, table, open_when), list(rows))
        return
    columns = list(rows[0])
    stage = Staging.create(session, table)
    insert_rows(
        session, stage.name, columns, ([_storable(row[c]) for c in columns] for row in rows)
    )
    column_list = ", ".join(columns)
    session.execute(
        text(
            f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {stage.name} "
            f"WHERE true ON CONFLICT ({', '.join(CONFLICT_KEY)}) WHERE {open_when} DO NOTHING"
        )
    )
    stage.drop(session)
