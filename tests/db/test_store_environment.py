"""The environment fails cleanly: concurrent first commands on a new store, a writer that waits
out the busy timeout, a read-only store, a database URL that is wrong or unreachable. Each gives
one line and its documented exit code, never a traceback, and leaves the store as it was."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, make_url, select
from typer.testing import CliRunner

from momentum.cli import app
from momentum.db.engine import Database
from momentum.deal.models import Deal
from tests.cli_process import momentum, shared_folder
from tests.conftest import POSTGRES_ADMIN_URL, _admin_connect

DEALS = "deal_id,owner_id,outcome\n" + "".join(f"d{i},ann,open\n" for i in range(200))
MEETINGS = "meeting_id,deal_id,start,status\n" + "".join(
    f"m{i},d{i},2026-03-0{1 + i % 9}T10:00:00Z,held\n" for i in range(200)
)
STORE_BUSY, STORE_READ_ONLY, STORE_UNAVAILABLE, CONFIG = 75, 77, 69, 78


@pytest.fixture
def folder() -> Iterator[Path]:
    with shared_folder() as path:
        (path / "in").mkdir()
        (path / "in" / "deals.csv").write_text(DEALS)
        (path / "in" / "meetings.csv").write_text(MEETINGS)
        yield path


def _deals(url: str) -> int:
    database = Database(url, migrate=False)
    try:
        with database.unit_of_work(write=False) as session:
            return int(session.scalar(select(func.count()).select_from(Deal)) or 0)
    finally:
        database.dispose()


def _one_clean_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def new_postgres_url() -> Iterator[str]:
    try:
        admin = _admin_connect()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server reachable (set MOMENTUM_TEST_POSTGRES)")
    name = f"momentum_new_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with _admin_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _four_imports_at_once(folder: Path, url: str) -> None:
    env = {
        "MOMENTUM_DATABASE_URL": url,
        "PATH": "/usr/bin:/bin",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "momentum", "import", "in"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    assert _deals(url) == 200


def test_four_imports_started_at_once_on_a_new_sqlite_store_all_succeed(folder: Path) -> None:
    # three new stores: before the migration was serialised, two in three such starts failed
    for round_ in range(3):
        _four_imports_at_once(folder, f"sqlite:///{folder / f'new{round_}.db'}")


def test_four_imports_started_at_once_on_a_new_postgresql_store_all_succeed(
    folder: Path, new_postgres_url: str
) -> None:
    _four_imports_at_once(folder, new_postgres_url)


def test_a_writer_that_waits_out_the_sqlite_busy_timeout_gets_one_line_and_75(
    folder: Path,
) -> None:
    store = folder / "momentum.db"
    Database(f"sqlite:///{store}").dispose()
    holder = sqlite3.connect(store, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        run = momentum(
            "import",
            "in",
            cwd=folder,
            env={"MOMENTUM_DATABASE_URL": f"sqlite:///{store}?timeout=0.3"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.code == STORE_BUSY, run.stderr
    assert _one_clean_line(run.stderr) == (
        f"error: the store {store} is busy: another process held its write lock for more "
        "than the busy timeout (0.3 s); try again when it has finished"
    )
    assert _deals(f"sqlite:///{store}") == 0


def test_a_writer_that_waits_out_the_postgresql_lock_timeout_gets_one_line_and_75(
    folder: Path, postgres_url: str | None
) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    ) as holder:
        holder.execute("LOCK TABLE deal IN EXCLUSIVE MODE")
        run = momentum(
            "import",
            "in",
            cwd=folder,
            env={"MOMENTUM_DATABASE_URL": f"{postgres_url}?options=-c%20lock_timeout%3D300"},
        )
        holder.rollback()
    assert run.code == STORE_BUSY, run.stderr
    line = _one_clean_line(run.stderr)
    assert line.startswith(f"error: the store {postgres_url}")
    assert "is busy: canceling statement due to lock timeout" in line
    assert _deals(postgres_url) == 0


def test_a_read_only_sqlite_store_refuses_writes_in_one_line_and_still_reads(
    folder: Path,
) -> None:
    store = folder / "momentum.db"
    Database(f"sqlite:///{store}").dispose()
    store.chmod(0o444)
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{store}"}
    run = momentum("import", "in", cwd=folder, env=env, unprivileged=True)
    assert run.code == STORE_READ_ONLY, run.stderr
    assert _one_clean_line(run.stderr) == (
        f"error: the store {store} refused to write: attempt to write a readonly database"
    )
    # a command that only reads works on it
    audit = momentum("audit", "--json", "-", cwd=folder, env=env, unprivileged=True)
    assert audit.code == 0, audit.stderr
    assert '"deals": 0' in audit.stdout


def test_a_sqlite_store_in_a_read_only_folder_is_refused_in_one_line(folder: Path) -> None:
    (folder / "locked").mkdir()
    store = folder / "locked" / "momentum.db"
    Database(f"sqlite:///{store}").dispose()
    (folder / "locked").chmod(0o555)
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{store}"}
    run = momentum("import", "in", cwd=folder, env=env, unprivileged=True)
    if run.code == 0:
        pytest.skip("this user can write into a folder with mode 555")
    assert run.code == STORE_READ_ONLY, run.stderr
    assert _one_clean_line(run.stderr) == (
        f"error: the store {store} refused to write: attempt to write a readonly database"
    )


def test_a_read_only_postgresql_store_refuses_writes_in_one_line(
    folder: Path, postgres_url: str | None
) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    env = {
        "MOMENTUM_DATABASE_URL": f"{postgres_url}?options=-c%20default_transaction_read_only%3Don"
    }
    run = momentum("import", "in", cwd=folder, env=env)
    assert run.code == STORE_READ_ONLY, run.stderr
    line = _one_clean_line(run.stderr)
    assert "refused to write: cannot execute" in line and "read-only transaction" in line
    assert _deals(postgres_url) == 0


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        (
            "not a url",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL is not a database URL: 'not a url' (expected "
            "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE)",
        ),
        (
            "postgres://ann:secret@127.0.0.1/momentum",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL: unsupported database 'postgres' in "
            "postgres://ann:***@127.0.0.1/momentum (expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE)",
        ),
        (
            "mysql+pymysql://ann@127.0.0.1/momentum",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL: unsupported database 'mysql' in "
            "mysql+pymysql://ann@127.0.0.1/momentum (expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE)",
        ),
        (
            "postgresql+psycopg2://ann@127.0.0.1/momentum",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL: unsupported driver 'psycopg2' in "
            "postgresql+psycopg2://ann@127.0.0.1/momentum (expected sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE)",
        ),
        (
            "sqlite://momentum.db",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL: sqlite://momentum.db names a host; a SQLite file is "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db",
        ),
        (
            "sqlite:///momentum.db?timeout=soon",
            CONFIG,
            "error: MOMENTUM_DATABASE_URL: timeout='soon' is not a number of seconds (0 to 86399)",
        ),
        (
            "postgresql+psycopg://ann:secret@127.0.0.1:1/momentum?connect_timeout=3",
            STORE_UNAVAILABLE,
            "error: the store postgresql+psycopg://ann:***@127.0.0.1:1/momentum?connect_timeout=3 "
            'cannot be used: connection failed: connection to server at "127.0.0.1", port 1 '
            "failed: Connection refused",
        ),
        (
            "postgresql+psycopg://ann@no-such-host.invalid/momentum?connect_timeout=3",
            STORE_UNAVAILABLE,
            "error: the store postgresql+psycopg://ann@no-such-host.invalid/momentum?"
            "connect_timeout=3 cannot be used: failed to resolve host 'no-such-host.invalid'",
        ),
        (
            "sqlite:////proc/no-such-folder/momentum.db",
            STORE_UNAVAILABLE,
            "error: cannot open the store /proc/no-such-folder/momentum.db: cannot create its "
            "folder /proc/no-such-folder: No such file or directory",
        ),
    ],
)
def test_a_wrong_or_unreachable_database_url_is_one_line_and_its_exit_code(
    url: str, code: int, message: str, write_files
) -> None:
    source = write_files({"deals.csv": DEALS})
    result = CliRunner().invoke(
        app, ["import", str(source)], env={"MOMENTUM_DATABASE_URL": url}, catch_exceptions=False
    )
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(message), lines[0]
    assert "secret" not in result.output


def test_a_misspelled_postgresql_database_is_one_line_and_69(
    write_files, postgres_url: str | None
) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    misspelled = make_url(postgres_url).set(database="momentum_no_such_database")
    shown = misspelled.render_as_string(hide_password=True)
    result = CliRunner().invoke(
        app,
        ["import", str(write_files({"deals.csv": DEALS}))],
        env={"MOMENTUM_DATABASE_URL": misspelled.render_as_string(hide_password=False)},
        catch_exceptions=False,
    )
    assert result.exit_code == STORE_UNAVAILABLE, result.output
    assert result.output.startswith(f"error: the store {shown} cannot be used: ")
    assert 'database "momentum_no_such_database" does not exist' in result.output
    assert len(result.output.strip().splitlines()) == 1
