"""The store: an engine, sessions, and one unit of work per command, request or job.

SQLite is the default (WAL, foreign keys on, a busy timeout so a second process waits rather
than fails); PostgreSQL when the URL names it. Opening a store brings its schema to the newest
migration, so `momentum` works on a fresh folder with nothing set up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from momentum.errors import ConfigurationError

SQLITE_CACHE_KIB = 64 * 1024


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # A 64 MiB page cache (the default is 2 MiB): a full rule evaluation reads every open deal
    # and meeting and writes flags and tasks through several indexes, and with the default
    # the same index pages are read back over and over. Pages are allocated only as used.
    cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    cursor.close()
    # Let SQLAlchemy's own BEGIN statements control transactions (pysqlite's are off).
    dbapi_connection.isolation_level = None


def _on_sqlite_begin(connection: Any) -> None:
    writing = connection.get_execution_options().get("momentum_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _on_postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
    """Sessions in UTC, whatever the server's default: the store holds naive UTC, and a
    ``timestamptz`` read back (the rule engine's facts) is then an aware UTC datetime. (A
    pooler that resets sessions would drop it: instants then come back right, in the
    server's zone, only a little slower to work with.)"""
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"MOMENTUM_DATABASE_URL is not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "connect", _on_postgresql_connect)
        return engine
    raise ConfigurationError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://"
    )


class Database:
    """An engine plus the session factory bound to it."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            from momentum.db.migrate import upgrade_to_head

            upgrade_to_head(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a writing unit takes the write lock up front (``BEGIN IMMEDIATE``), so two
        writers queue instead of failing halfway with "database is locked".
        """
        with self.sessions() as session:
            session.connection(execution_options={"momentum_write": write})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
