"""Fast set-based loading for imports: frames in, no ORM objects in between.

Rows go into a temporary staging table (SQLite: ``executemany``; PostgreSQL: ``COPY``), then
one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` merges them. Everything runs on the session's
connection, inside its transaction, so a failed import rolls back with the rest. The rule
engine's many updates at once go the same way (:func:`update_rows`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import polars as pl
from sqlalchemy import Enum, Table, Update, bindparam, text, update
from sqlalchemy.orm import Session

from momentum.db.base import SQLITE_DATETIME_FORMAT, UTCDateTime

BULK_UPDATE_ROWS = 2_000  # from here on PostgreSQL updates through a staging table


def dbapi_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Append ``rows`` (tuples in ``columns`` order) to ``table``."""
    raw = dbapi_connection(session)
    column_list = ", ".join(columns)
    if dialect(session) == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows)
    finally:
        cursor.close()


def _converter(table: Table, column: str, dialect: str) -> Callable[[Any], Any] | None:
    """How a value of ``column`` goes to the driver: instants as naive UTC (SQLite: the text
    of ``SQLITE_DATETIME_FORMAT``), enums as their values; ``None`` for the columns that go
    as they are."""
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


def driver_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """``rows`` (tuples in ``columns`` order) as the driver takes them, for statements that
    bypass SQLAlchemy's types: each distinct instant or enum converted once."""
    name = dialect(session)
    converters = [_converter(table, column, name) for column in columns]
    if not any(converters):
        return [tuple(row) for row in rows]
    values: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, convert in enumerate(converters):
        if convert is not None:
            converted = {value: convert(value) for value in set(values[index])}
            values[index] = [converted[value] for value in values[index]]
    return list(zip(*values, strict=True))


def update_rows(
    session: Session, table: Table, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set ``columns`` on the rows of ``table`` whose ``key`` is each row's first value (``rows``
    are ``(key, *columns)`` tuples). Many rows on PostgreSQL are staged with ``COPY`` and set
    by one ``UPDATE … FROM``; otherwise one ``executemany``."""
    if not rows:
        return
    values = driver_rows(session, table, [key, *columns], rows)
    if dialect(session) == "postgresql" and len(values) >= BULK_UPDATE_ROWS:
        stage = Staging.create(session, table)
        insert_rows(session, stage.name, [key, *columns], values)
        assignments = ", ".join(f"{c} = staged.{c}" for c in columns)
        session.execute(
            text(
                f"UPDATE {table.name} SET {assignments} FROM {stage.name} staged "
                f"WHERE {table.name}.{key} = staged.{key}"
            )
        )
        stage.drop(session)
        return
    placeholder = "%s" if dialect(session) == "postgresql" else "?"
    assignments = ", ".join(f"{c} = {placeholder}" for c in columns)
    session.connection().exec_driver_sql(
        f"UPDATE {table.name} SET {assignments} WHERE {key} = {placeholder}",
        [(*row[1:], row[0]) for row in values],
    )


def update_row(
    session: Session, table: Table, key: str, value: Any, values: Mapping[str, Any]
) -> None:
    """Set ``values`` on the row of ``table`` whose ``key`` is ``value``: one plain UPDATE,
    for callers that write a row at a time, hundreds of times a second (the dispatcher)."""
    columns = tuple(sorted(values))
    parameters = {"_key": value, **{f"_{c}": values[c] for c in columns}}
    session.connection().execute(_update_by_key(table, key, columns), parameters)


@functools.cache
def _update_by_key(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    """``UPDATE table SET <columns> = :_<column> WHERE <key> = :_key``, built once per table,
    key and columns: building the statement costs more than running it."""
    return (
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({c: bindparam(f"_{c}") for c in columns})
    )


def storable(frame: pl.DataFrame) -> pl.DataFrame:
    """Instants as the naive-UTC text both databases read, so no row becomes Python objects
    twice; exact decimals as their text (SQLite's driver takes no ``Decimal``, and text is
    what both databases parse into a NUMERIC column without a detour through a float)."""
    return frame.with_columns(
        *(
            pl.col(name)
            .dt.replace_time_zone(None)
            .dt.strftime(SQLITE_DATETIME_FORMAT.replace("%f", "%6f"))
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Datetime)
        ),
        *(
            pl.col(name).cast(pl.String)
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Decimal)
        ),
    )


@dataclass
class Staging:
    """A temporary copy of ``table``'s shape that collects rows before they are merged."""

    table: Table
    name: str

    @classmethod
    def create(cls, session: Session, table: Table) -> Staging:
        name = f"stage_{table.name}"
        if dialect(session) == "postgresql":
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))
            session.execute(
                text(
                    f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT * FROM {table.name} WITH NO DATA"
                )
            )
        else:
            session.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))
            session.execute(text(f"CREATE TEMP TABLE {name} AS SELECT * FROM {table.name} WHERE 0"))
        return cls(table, name)

    def add(self, session: Session, frame: pl.DataFrame) -> None:
        if frame.height:
            insert_rows(session, self.name, frame.columns, storable(frame).iter_rows())

    def count(self, session: Session) -> int:
        return int(session.execute(text(f"SELECT count(*) FROM {self.name}")).scalar_one())

    def merge(
        self,
        session: Session,
        *,
        key: str,
        columns: Sequence[str],
        keep: Sequence[str] = (),
        earliest: Sequence[str] = (),
    ) -> tuple[int, int]:
        """Insert new rows, update changed ones; returns (inserted, updated).

        ``keep`` columns are written on insert but never overwritten (e.g. ``created_at``);
        ``earliest`` columns (times) take the earlier of the stored and the new value, and a
        null never replaces a time; ``updated_at`` changes only on rows where something else
        did.
        """
        target = self.table.name
        distinct = "IS DISTINCT FROM" if dialect(session) == "postgresql" else "IS NOT"
        compared = [c for c in columns if c not in (key, "updated_at", *keep)]
        new = {c: f"excluded.{c}" for c in columns}
        for c in earliest:
            new[c] = (
                f"CASE WHEN excluded.{c} IS NULL OR {target}.{c} < excluded.{c} "
                f"THEN {target}.{c} ELSE excluded.{c} END"
            )
        changed = " OR ".join(f"{target}.{c} {distinct} {new[c]}" for c in compared)
        existing = session.execute(
            text(f"SELECT count(*) FROM {self.name} s JOIN {target} t ON t.{key} = s.{key}")
        ).scalar_one()
        updated = (
            session.execute(
                text(
                    f"SELECT count(*) FROM {self.name} excluded JOIN {target} ON {target}.{key} = excluded.{key} "
                    f"WHERE {changed}"
                )
            ).scalar_one()
            if compared
            else 0
        )
        total = self.count(session)
        column_list = ", ".join(columns)
        assignments = ", ".join(f"{c} = {new[c]}" for c in columns if c not in (key, *keep))
        session.execute(
            text(
                f"INSERT INTO {target} ({column_list}) SELECT {column_list} FROM {self.name} WHERE true "
                f"ON CONFLICT ({key}) DO UPDATE SET {assignments}"
                + (f" WHERE {changed}" if compared else "")
            )
        )
        return total - int(existing), int(updated)

    def drop(self, session: Session) -> None:
        session.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
