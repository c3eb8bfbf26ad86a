"""The store: an engine, sessions, and one unit of work per command, request or job.

SQLite is the default (WAL, foreign keys on, a busy timeout so a second process waits rather
than fails: 30 seconds, or ``?timeout=SECONDS`` in the URL); PostgreSQL when the URL names
it. Opening a store brings its schema to the newest migration, so `momentum` works on a
fresh folder with nothing set up.

What the environment does to the store surfaces as one of the store errors of
``momentum.errors`` (unavailable, read-only, busy), raised by :class:`Database` in place of
the driver's exception; anything else the driver raises is a bug and is left as it is.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from momentum.errors import (
    ConfigurationError,
    StoreBusy,
    StoreError,
    StoreReadOnly,
    StoreUnavailable,
)

SQLITE_CACHE_KIB = 64 * 1024
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
# The drivers Momentum ships, by backend: anything else is refused before connecting.
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


def _on_sqlite_connect(
    dbapi_connection: sqlite3.Connection, _record: Any, *, busy_timeout: float
) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
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
    server's zone, only a little slower to work with.)

    Every statement is planned for its own values: psycopg prepares a statement run five
    times, and PostgreSQL would then plan it once for any values. Such a generic plan cannot
    tell a rep's few deals from every rep's, or a day from a year, and picked a scan of every
    rep's coming meetings for one rep's day: 60 ms instead of 3.5."""
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def parse_url(url: str) -> URL:
    """``url`` as a URL of a store Momentum can use, or a configuration error saying why not
    (before anything connects)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"MOMENTUM_DATABASE_URL is not a database URL: {url!r} (expected {_URL_FORMS})"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    # from the name as written: asking SQLAlchemy loads the dialect, which may not exist
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in DRIVERS:
        raise ConfigurationError(
            f"MOMENTUM_DATABASE_URL: unsupported database {backend!r} in {shown} "
            f"(expected {_URL_FORMS})"
        )
    if driver not in ("", DRIVERS[backend]):
        raise ConfigurationError(
            f"MOMENTUM_DATABASE_URL: unsupported driver {driver!r} in {shown} "
            f"(expected {_URL_FORMS})"
        )
    if backend == "sqlite" and parsed.host:
        raise ConfigurationError(
            f"MOMENTUM_DATABASE_URL: {shown} names a host; a SQLite file is "
            f"sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return parsed


def _busy_timeout(parsed: URL) -> float:
    value = parsed.query.get("timeout", str(SQLITE_BUSY_TIMEOUT_SECONDS))
    try:
        seconds = float(value if isinstance(value, str) else value[-1])
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 24 * 3600:
        raise ConfigurationError(
            f"MOMENTUM_DATABASE_URL: timeout={value!r} is not a number of seconds (0 to 86399)"
        )
    return seconds


def sqlite_file(url: str | URL) -> Path | None:
    """The store's file when ``url`` names a SQLite file (not a store in memory, nor a
    ``uri=true`` address); a URL that is none is a configuration error."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if parsed.query.get("uri") else Path(parsed.database)


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_timeout = _busy_timeout(parsed)
        if (path := sqlite_file(parsed)) is not None:
            folder = path.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(
                    f"cannot open the store {parsed.database}: cannot create its folder "
                    f"{folder}: {exc.strerror}"
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout})
        event.listen(
            engine,
            "connect",
            functools.partial(_on_sqlite_connect, busy_timeout=busy_timeout),
        )
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    engine = create_engine(parsed, pool_pre_ping=True)
    event.listen(engine, "connect", _on_postgresql_connect)
    return engine


# SQLite's primary result codes and PostgreSQL's SQLSTATEs (exact, or by class: the first two
# characters) that say something about the store rather than about the statement.
_SQLITE_ERRORS: dict[str, type[StoreError]] = {
    "SQLITE_BUSY": StoreBusy,
    "SQLITE_LOCKED": StoreBusy,
    "SQLITE_READONLY": StoreReadOnly,
    "SQLITE_CANTOPEN": StoreUnavailable,
    "SQLITE_NOTADB": StoreUnavailable,
    "SQLITE_CORRUPT": StoreUnavailable,
    "SQLITE_FULL": StoreUnavailable,
    "SQLITE_IOERR": StoreUnavailable,
    "SQLITE_PERM": StoreReadOnly,
    "SQLITE_AUTH": StoreUnavailable,
}
_POSTGRESQL_ERRORS: dict[str, type[StoreError]] = {
    "55P03": StoreBusy,  # lock_not_available (lock_timeout)
    "57014": StoreBusy,  # query_canceled (statement_timeout)
    "25006": StoreReadOnly,  # read_only_sql_transaction (a standby, default_transaction_read_only)
    "42501": StoreReadOnly,  # insufficient_privilege
    "08": StoreUnavailable,  # connection exceptions
    "28": StoreUnavailable,  # invalid authorization (wrong user or password)
    "3D": StoreUnavailable,  # invalid catalog name (no such database)
    "53": StoreUnavailable,  # insufficient resources (disk full, too many connections)
    "57": StoreUnavailable,  # operator intervention (server shutting down)
}
_WHAT = {
    StoreBusy: "is busy",
    StoreReadOnly: "refused to write",
    StoreUnavailable: "cannot be used",
}


def store_error(exc: BaseException, url: str) -> StoreError | None:
    """What a driver's exception says about the store at ``url``, as a store error with one
    line for a person; ``None`` when it is not about the store (a bug)."""
    if not isinstance(exc, DBAPIError):
        return None
    origin = exc.orig
    kind: type[StoreError] | None
    if isinstance(origin, sqlite3.Error):
        # extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DIRECTORY) by their primary one
        primary = "_".join(getattr(origin, "sqlite_errorname", "").split("_")[:2])
        kind = _SQLITE_ERRORS.get(primary)
    else:
        state = getattr(origin, "sqlstate", None)
        if state is None:
            # no SQLSTATE: the server was not reached (refused, unknown host, timed out)
            kind = StoreUnavailable if _is_psycopg_operational(origin) else None
        else:
            kind = _POSTGRESQL_ERRORS.get(state) or _POSTGRESQL_ERRORS.get(state[:2])
    if kind is None:
        return None
    store = _describe(url)
    reason = str(origin).strip().splitlines()[0] if str(origin).strip() else type(origin).__name__
    if getattr(origin, "sqlite_errorname", "") == "SQLITE_READONLY_DIRECTORY":
        reason += " (its folder is read-only: SQLite writes its -wal and -shm files there)"
    if kind is StoreBusy and isinstance(origin, sqlite3.Error):
        reason = (
            f"another process held its write lock for more than the busy timeout "
            f"({_busy_timeout(make_url(url)):g} s); try again when it has finished"
        )
    return kind(f"the store {store} {_WHAT[kind]}: {reason}")


def _is_psycopg_operational(error: BaseException | None) -> bool:
    import psycopg

    return isinstance(error, psycopg.OperationalError)


def _describe(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


class Database:
    """An engine plus the session factory bound to it."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            from momentum.db.migrate import upgrade_to_head

            with self.store_errors():
                upgrade_to_head(self.engine)

    @contextmanager
    def store_errors(self) -> Iterator[None]:
        """Raise what the driver says about the store (busy, read-only, unreachable) as a
        store error; anything else as it is."""
        try:
            yield
        except DBAPIError as exc:
            error = store_error(exc, self.url)
            if error is None:
                raise
            raise error from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a writing unit takes the write lock up front (``BEGIN IMMEDIATE``), so two
        writers queue instead of failing halfway with "database is locked".
        """
        with self.store_errors(), self.sessions() as session:
            session.connection(execution_options={"momentum_write": write})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
