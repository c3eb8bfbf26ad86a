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
import json
import sqlite3
from collections.abc import Collection
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

# Each frame's query, with ``{where}`` for the condition that keeps some owners' rows
_QUERIES = {
    "reps": (
        "SELECT id AS rep_id, name, email, team, manager_id, timezone, country FROM rep {where}",
        REP_COLUMNS,
    ),
    "deals": (
        "SELECT id AS deal_id, name, account, owner_id, opened_at AS created_at, stage, "
        "amount, currency, outcome, closed_at FROM deal {where}",
        DEAL_COLUMNS,
    ),
    "meetings": (
        'SELECT id AS meeting_id, deal_id, start_at AS start, end_at AS "end", '
        "booked_at, status, agenda, homework FROM meeting {where}",
        MEETING_COLUMNS,
    ),
}
_STAGES = (
    "SELECT deal_id, stage, entered_at FROM deal_stage_entry {where} "
    "ORDER BY deal_id, entered_at, id",
    STAGE_COLUMNS,
)
# which rows belong to the owners whose ids ``{owners}`` selects
_OWNED_DEALS = "SELECT id FROM deal WHERE owner_id IN ({owners})"
_OWNED = {
    "reps": "WHERE id IN ({owners})",
    "deals": "WHERE owner_id IN ({owners})",
    "meetings": f"WHERE deal_id IN ({_OWNED_DEALS})",
    "stages": f"WHERE deal_id IN ({_OWNED_DEALS})",
    "sources": f"WHERE meeting_id IN (SELECT id FROM meeting WHERE deal_id IN ({_OWNED_DEALS}))",
}
_OWNERS = {  # the owners' ids, from one parameter
    "sqlite": "SELECT value FROM json_each(:owners)",
    "postgresql": "SELECT unnest(%(owners)s::text[])",
}
_BATCH = 200_000

# Import formats whose meetings cannot be no-shows: Salesforce events and Pipedrive activities
# carry no attendance, a calendar cannot tell one, so their importers take past meetings as held
NO_SHOW_BLIND = ("salesforce", "pipedrive", "ics")
# An optional meetings column: what last set each meeting's status ("app", "rule", or an
# import's format), read only when the store holds a no-show and an import of one of those
MEETING_SOURCE = "_source"
_STATUS_SOURCES = (
    "SELECT c.meeting_id, c.source FROM meeting_status_change c JOIN "
    "(SELECT meeting_id, max(id) AS id FROM meeting_status_change {where} GROUP BY meeting_id) "
    "last ON last.id = c.id"
)


class _Reader:
    """Queries' rows as text frames, on the driver connection ``raw``, restricted to the
    rows of ``owner_ids``' deals when given."""

    def __init__(self, raw: Any, owner_ids: Collection[str] | None) -> None:
        self.raw = raw
        self.sqlite = isinstance(raw, sqlite3.Connection)
        self.params: dict[str, Any] | None = None
        if owner_ids is not None:
            owners = sorted(owner_ids)
            self.params = {"owners": json.dumps(owners) if self.sqlite else owners}

    def frame(
        self, query: str, columns: dict[str, pl.DataType], owned: str | None = None
    ) -> pl.DataFrame:
        """``query``'s rows; ``owned`` names its rows' condition in :data:`_OWNED`."""
        if self.params is None or owned is None:
            return self._text_frame(query.format(where=""), columns, None)
        owners = _OWNERS["sqlite" if self.sqlite else "postgresql"]
        where = _OWNED[owned].format(owners=owners)
        return self._text_frame(query.format(where=where), columns, self.params)

    def _text_frame(
        self, query: str, columns: dict[str, pl.DataType], params: dict[str, Any] | None
    ) -> pl.DataFrame:
        names = list(columns)
        if not self.sqlite:
            buffer = io.BytesIO()
            with (
                self.raw.cursor() as cursor,
                cursor.copy(
                    f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false)", params
                ) as copy,
            ):
                for chunk in copy:
                    buffer.write(chunk)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=dict.fromkeys(names, pl.String))
            buffer.seek(0)
            return pl.read_csv(buffer, has_header=False, new_columns=names, infer_schema=False)
        cursor = self.raw.cursor()
        try:
            cursor.execute(query, params or {})
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


def load_dataset(session: Session, owner_ids: Collection[str] | None = None) -> Dataset:
    """The frames of the store ``session`` is on, as committed (see above); with
    ``owner_ids``, only those reps and their deals (and the deals' meetings and stages)."""
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
        return _read_all(_Reader(connection.connection.driver_connection, owner_ids))


def _read_all(read: _Reader) -> Dataset:
    frames = {
        name: _typed(read.frame(query, columns, name), columns)
        for name, (query, columns) in _QUERIES.items()
    }
    # whether the store (not only the owners' deals) has stages, as restricting it would tell
    has_stages = read.frame("SELECT 1 FROM deal_stage_entry LIMIT 1", {"one": pl.String()})
    return Dataset(
        reps=frames["reps"],
        deals=frames["deals"],
        meetings=_with_sources(read, frames["meetings"]),
        stages=_typed(read.frame(*_STAGES, "stages"), STAGE_COLUMNS) if has_stages.height else None,
    )


def _with_sources(read: _Reader, meetings: pl.DataFrame) -> pl.DataFrame:
    """``meetings`` with :data:`MEETING_SOURCE` where the store mixes meetings that can be
    no-shows with meetings that cannot (the audit then measures attendance on the former)."""
    no_show = read.frame(
        "SELECT 1 FROM meeting WHERE status = 'no_show' LIMIT 1", {"one": pl.String()}
    )
    if not no_show.height:
        return meetings  # attendance is unknown for all, or the store has no meetings
    formats = read.frame("SELECT DISTINCT format FROM import_run", {"format": pl.String()})
    if not set(formats["format"]) & set(NO_SHOW_BLIND):
        return meetings
    sources = read.frame(
        _STATUS_SOURCES, {"meeting_id": pl.String(), "source": pl.String()}, "sources"
    )
    sources = sources.select(
        "meeting_id", pl.col("source").str.strip_prefix("import:").alias(MEETING_SOURCE)
    )
    return meetings.join(sources, on="meeting_id", how="left", maintain_order="left")
