"""Real databases for tests: SQLite files, and PostgreSQL when a server is reachable.

``database`` runs a test on both. SQLite copies a migrated template per test; PostgreSQL gets
one throwaway database per test worker, migrated once, emptied after each test. In CI
(``MOMENTUM_REQUIRE_POSTGRES=1``) a missing PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, text

from momentum.db.engine import Database
from momentum.db.models import Base


def _shared_folder() -> Path | None:
    """The project's shared folder (real exports, worked examples): $MOMENTUM_SHARED, else a
    folder named ``shared`` beside the checkout or beside one of its parents. A user's clone
    has none: the tests that read it skip, saying so; CI (``MOMENTUM_REQUIRE_SHARED=1``)
    fails instead."""
    if os.environ.get("MOMENTUM_SHARED"):
        return Path(os.environ["MOMENTUM_SHARED"])
    for parent in Path(__file__).resolve().parents[1:]:
        candidate = parent / "shared"
        if (candidate / "data" / "real").is_dir():
            return candidate
    return None


SHARED = _shared_folder()
POSTGRES_ADMIN_URL = os.environ.get(
    "MOMENTUM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def shared() -> Path:
    if SHARED is None or not SHARED.is_dir():
        reason = (
            "the shared folder of real exports is not beside this checkout (set MOMENTUM_SHARED)"
        )
        if os.environ.get("MOMENTUM_REQUIRE_SHARED"):
            pytest.fail(reason)
        pytest.skip(reason)
    return SHARED


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "momentum.db"
    Database(f"sqlite:///{path}").dispose()
    return path


def _admin_connect() -> psycopg.Connection:
    url = make_url(POSTGRES_ADMIN_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        password=url.password,
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    try:
        admin = _admin_connect()
    except psycopg.OperationalError as exc:
        if os.environ.get("MOMENTUM_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
        yield None
        return
    name = f"momentum_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    Database(url).dispose()  # runs the migrations once
    yield url
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(database: Database) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "momentum.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable (set MOMENTUM_TEST_POSTGRES)")
    yield postgres_url
    database = Database(postgres_url, migrate=False)
    _empty_postgres(database)
    database.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, migrate=False)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "momentum.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}", migrate=False)
    yield db
    db.dispose()


@pytest.fixture
def write_files(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write inline CSV (or any text) files into a fresh folder; returns the folder."""

    def write(files: dict[str, str | bytes], folder: str = "in") -> Path:
        target = tmp_path / folder
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (target / name).write_bytes(data)
        return target

    return write
