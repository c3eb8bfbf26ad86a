"""The store as canonical frames, for an audit without files.

Rows are fetched as text in large batches (SQLite) or streamed with ``COPY … TO STDOUT``
(PostgreSQL) and parsed by Polars, so auditing millions of stored meetings does not build
millions of Python objects. All of them are read on a connection of their own, in one
read-only transaction that sees one snapshot of the store as committed (PostgreSQL:
repeatable read; SQLite: one transaction in WAL mode), so a write committed meanwhile is in
every frame or in none.

SQLite is read through Python's own ``sqlite3``, not an Arrow-native driver: those (ADBC's
SQLite driver, connectorx) carry a SQLite library of their own, and two SQLite libraries in
one process release each other's file locks (a connection closed in one drops the locks of
the other's), which corrupts a store another connection of the process is writing to.
"""

from __future__ import annotations

import io
import sqlite3
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from momentum.canonical import (
    DEAL_COLUMNS,
    MEETING_COLUMNS,
    REP_COLUMNS,
    STAGE_COLUMNS,
    UTC_TIME,
    Dataset,
    conform,
)

_QUERIES = {
    "reps": (
        "SELECT id AS rep_id, name, email, team, manager_id, timezone, country FROM rep",
        REP_COLUMNS,
    ),
    "deals": (
        "SELECT id AS deal_id, name, account, owner_id, opened_at AS created_at, stage, "
        "amount, currency, outcome, closed_at FROM deal",
        DEAL_COLUMNS,
    ),
    "meetings": (
        'SELECT id AS meeting_id, deal_id, start_at AS start, end_at AS "end", '
        "booked_at, status, agenda, homework FROM meeting",
        MEETING_COLUMNS,
    ),
}
_STAGES = (
    "SELECT deal_id, stage, entered_at FROM deal_stage_entry ORDER BY deal_id, entered_at, id",
    STAGE_COLUMNS,
)
_BATCH = 200_000

# Import formats whose meetings cannot be no-shows: Salesforce events and Pipedrive activities
# carry no attendance, a calendar cannot tell one, so their importers take past meetings as held
NO_SHOW_BLIND = ("salesforce", "pipedrive", "ics")
# An optional meetings column: what last set each meeting's status ("app", "rule", or an
# import's format), read only when the store holds a no-show and an import of one of those
MEETING_SOURCE = "_source"
_STATUS_SOURCES = (
    "SELECT c.meeting_id, c.source FROM meeting_status_change c JOIN "
    "(SELECT meeting_id, max(id) AS id FROM meeting_status_change GROUP BY meeting_id) last "
    "ON last.id = c.id"
)


def _text_frame(raw: Any, query: str, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """``query``'s rows as text, on the driver connection ``raw``."""
    names = list(columns)
    if not isinstance(raw, sqlite3.Connection):
        buffer = io.BytesIO()
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false)") as copy,
        ):
            for chunk in copy:
                buffer.write(chunk)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=dict.fromkeys(names, pl.String))
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=names, infer_schema=False)
    cursor = raw.cursor()
    try:
        cursor.execute(query)
        frames = []
        while rows := cursor.fetchmany(_BATCH):
            frames.append(
                pl.DataFrame(
                    rows, schema=dict.fromkeys(names, pl.String), orient="row", strict=False
                )
            )
    finally:
        cursor.close()
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    return pl.concat(frames)


def _typed(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    converted = []
    for name, dtype in columns.items():
        column = pl.col(name)
        if dtype == UTC_TIME:
            converted.append(
                column.str.to_datetime(
                    "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
                ).dt.replace_time_zone("UTC")
            )
        else:
            converted.append(column.cast(dtype, strict=False))
    return conform(frame.with_columns(converted), columns)


def load_dataset(session: Session) -> Dataset:
    """The frames of the store ``session`` is on, as committed (see above)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with (
        engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        if engine.dialect.name == "postgresql"
        else engine.connect()
    ) as connection:
        connection.begin()  # SQLite: BEGIN, so every read below sees one snapshot
        return _read_all(connection.connection.driver_connection)


def _read_all(raw: Any) -> Dataset:
    frames = {
        name: _typed(_text_frame(raw, query, columns), columns)
        for name, (query, columns) in _QUERIES.items()
    }
    has_stages = _text_frame(raw, "SELECT 1 FROM deal_stage_entry LIMIT 1", {"one": pl.String()})
    return Dataset(
        reps=frames["reps"],
        deals=frames["deals"],
        meetings=_with_sources(raw, frames["meetings"]),
        stages=_typed(_text_frame(raw, *_STAGES), STAGE_COLUMNS) if has_stages.height else None,
    )


def _with_sources(raw: Any, meetings: pl.DataFrame) -> pl.DataFrame:
    """``meetings`` with :data:`MEETING_SOURCE` where the store mixes meetings that can be
    no-shows with meetings that cannot (the audit then measures attendance on the former)."""
    if not (meetings["status"] == "no_show").any():
        return meetings  # attendance is unknown for all, or the store has no meetings
    formats = _text_frame(raw, "SELECT DISTINCT format FROM import_run", {"format": pl.String()})
    if not set(formats["format"]) & set(NO_SHOW_BLIND):
        return meetings
    sources = _text_frame(raw, _STATUS_SOURCES, {"meeting_id": pl.String(), "source": pl.String()})
    sources = sources.select(
        "meeting_id", pl.col("source").str.strip_prefix("import:").alias(MEETING_SOURCE)
    )
    return meetings.join(sources, on="meeting_id", how="left", maintain_order="left")
