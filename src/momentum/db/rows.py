"""Reading many rows fast: the driver's plain tuples, and ``IN`` lists a chunk at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

CHUNK = 5_000


def plain_rows(connection: Connection, query: Any) -> list[Any]:
    """``query``'s rows as the driver returns them: tuples without SQLAlchemy's result rows or
    type processing (select raw columns, or columns the driver already returns as they are)."""
    result = connection.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def plain_rows_in(
    session: Session, query: Any, column: Any, ids: Sequence[Any] | None
) -> list[Any]:
    """:func:`plain_rows` of ``query`` where ``column`` is in ``ids``, a chunk at a time
    (every row when ``ids`` is ``None``)."""
    connection = session.connection()
    if ids is None:
        return plain_rows(connection, query)
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows.extend(plain_rows(connection, query.where(column.in_(chunk))))
    return rows
