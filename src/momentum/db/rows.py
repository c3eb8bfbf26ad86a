"""Reading many rows fast: the driver's plain tuples, and rows picked by a list of ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

CHUNK = 5_000  # ids per ``IN`` list on SQLite (at most 32,766 bound parameters a statement)


def plain_rows(connection: Connection, query: Any) -> list[Any]:
    """``query``'s rows as the driver returns them: tuples without SQLAlchemy's result rows or
    type processing (select raw columns, or columns the driver already returns as they are)."""
    result = connection.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def among(session: Session, column: Any, ids: Sequence[Any]) -> list[ColumnElement[bool]]:
    """Conditions that, one statement each, pick the rows whose ``column`` is in ``ids``.

    PostgreSQL takes every id in one array parameter (``column = ANY(:ids)``): an ``IN`` list
    binds one parameter per id, and psycopg and the planner pay for each (100,000 ids cost
    seconds). SQLite has no arrays: ``IN`` lists of :data:`CHUNK` ids, cheap there."""
    if not ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))]
    return [column.in_(list(ids[start : start + CHUNK])) for start in range(0, len(ids), CHUNK)]


def plain_rows_in(
    session: Session, query: Any, column: Any, ids: Sequence[Any] | None
) -> list[Any]:
    """:func:`plain_rows` of ``query`` where ``column`` is in ``ids`` (every row when ``ids``
    is ``None``)."""
    connection = session.connection()
    if ids is None:
        return plain_rows(connection, query)
    rows: list[Any] = []
    for condition in among(session, column, ids):
        rows.extend(plain_rows(connection, query.where(condition)))
    return rows
