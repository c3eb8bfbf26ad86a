"""The references of flags and tasks are foreign keys on both databases: a flag or task names a
stored deal and rep, deleting a deal takes its flags and tasks along, a rep with tasks stays,
a referred-to id does not change; and on PostgreSQL a reference and the deletion of what it
names never both commit, whichever comes first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from momentum.db.engine import Database
from momentum.deal.models import Deal
from momentum.flag.models import Flag, Severity
from momentum.flag.repository import FlagRepository, RaisedFlag
from momentum.rep.models import Rep
from momentum.task.models import Task
from momentum.task.repository import OpenedTask, TaskRepository
from tests.factories import T0, make_deal, make_rep


def _flag(deal_id: str, rule: str = "stalled") -> RaisedFlag:
    return (deal_id, rule, "Stalled", Severity.WARNING)


def _task(deal_id: str | None, owner_id: str, rule: str | None = "no_show") -> OpenedTask:
    return (deal_id, owner_id, "Rebook", rule, T0 + timedelta(days=1))


def _raise(session: Session, flags: list[RaisedFlag]) -> None:
    FlagRepository(session).insert_many(flags, raised_at=T0)


def _open(session: Session, tasks: list[OpenedTask]) -> None:
    TaskRepository(session).insert_many(tasks, created_at=T0)


def _seed(database: Database, deals: int = 3) -> None:
    with database.unit_of_work() as session:
        rep = make_rep(session, id="ana")
        make_rep(session, id="bo")
        for index in range(deals):
            make_deal(session, owner=rep, id=f"D{index}")


def _count(session: Session, model: Any, **where: Any) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return int(session.scalar(query) or 0)


def _rejects(database: Database, write: Callable[[Session], Any], naming: str) -> None:
    """``write`` fails as a broken reference, naming ``naming``, and leaves nothing."""

    def attempt() -> None:
        with database.unit_of_work() as session:
            write(session)
            session.flush()

    with pytest.raises(IntegrityError) as raised:
        attempt()
    if database.engine.dialect.name == "postgresql":
        assert raised.value.orig.sqlstate == "23503"  # type: ignore[union-attr]
        assert naming in str(raised.value.orig)


def test_a_flag_must_name_a_stored_deal_one_row_or_many(database: Database) -> None:
    _seed(database)
    _rejects(database, lambda s: _raise(s, [_flag("nope")]), "nope")
    orm = Flag(deal_id="none", rule="stalled", reason="r", severity=Severity.INFO, raised_at=T0)
    _rejects(database, lambda s: s.add(orm), "none")
    # The bulk path (a staging table and one INSERT … SELECT) checks every row as well.
    many = [_flag("D0", rule=f"r{i}") for i in range(2_500)] + [_flag("gone", rule="r")]
    _rejects(database, lambda s: _raise(s, many), "gone")
    with database.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0
    with database.unit_of_work() as session:
        _raise(session, many[:-1])
    with database.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 2_500


def test_a_task_must_name_a_stored_deal_and_owner(database: Database) -> None:
    _seed(database)
    _rejects(database, lambda s: _open(s, [_task("nope", "ana")]), "nope")
    _rejects(database, lambda s: _open(s, [_task("D0", "nobody")]), "nobody")
    with database.unit_of_work() as session:
        _open(session, [_task("D0", "ana"), _task(None, "bo", rule=None)])
    with database.unit_of_work(write=False) as session:
        assert _count(session, Task) == 2


def test_changing_a_reference_to_a_missing_row_fails(database: Database) -> None:
    _seed(database)
    with database.unit_of_work() as session:
        _raise(session, [_flag("D0")])
        _open(session, [_task("D0", "ana")])
    _rejects(database, lambda s: s.execute(update(Flag).values(deal_id="nope")), "nope")
    _rejects(database, lambda s: s.execute(update(Task).values(owner_id="nobody")), "nobody")
    with database.unit_of_work() as session:  # other columns change as ever
        session.execute(update(Task).values(title="Rebook the demo", owner_id="bo"))
    with database.unit_of_work(write=False) as session:
        assert _count(session, Task, owner_id="bo", title="Rebook the demo") == 1


def test_deleting_deals_deletes_their_flags_and_tasks_only(database: Database) -> None:
    _seed(database)
    with database.unit_of_work() as session:
        _raise(session, [_flag(d) for d in ("D0", "D1", "D2")])
        _open(session, [_task("D0", "ana"), _task("D1", "ana"), _task(None, "ana", rule=None)])
    with database.unit_of_work() as session:
        session.execute(delete(Deal).where(Deal.id.in_(["D0", "D1"])))
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Flag.deal_id)).all() == ["D2"]
        assert session.scalars(select(Task.deal_id)).all() == [None]


def test_a_rep_with_tasks_and_a_referred_to_id_stay(database: Database) -> None:
    _seed(database, deals=1)
    with database.unit_of_work() as session:
        _open(session, [_task(None, "bo", rule=None)])
        _raise(session, [_flag("D0")])
    _rejects(database, lambda s: s.execute(delete(Rep).where(Rep.id == "bo")), "bo")
    _rejects(database, lambda s: s.execute(update(Rep).values(id="b2").where(Rep.id == "bo")), "bo")
    _rejects(database, lambda s: s.execute(update(Deal).values(id="D9")), "D0")
    with database.unit_of_work() as session:  # once its task is gone, the rep can go
        session.execute(delete(Task))
        session.execute(delete(Rep).where(Rep.id == "bo"))
    with database.unit_of_work(write=False) as session:
        assert _count(session, Rep) == 1
        assert _count(session, Flag, deal_id="D0") == 1


# --- PostgreSQL: concurrent writers, and the way back to migration 0004 ----------------


@pytest.fixture
def pg(postgres_url: str | None) -> Iterator[Database]:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    database = Database(postgres_url, migrate=False)
    try:
        yield database
    finally:
        from tests.conftest import _empty_postgres

        _empty_postgres(database)
        database.dispose()


def _connect(database: Database) -> psycopg.Connection:
    url = database.engine.url
    return psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    )


INSERT_FLAG = (
    "INSERT INTO flag (deal_id, rule, reason, severity, raised_at) "
    "VALUES (%s, 'stalled', 'Stalled', 'warning', now())"
)


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _wait_until_blocked(observer: psycopg.Connection, waiting: psycopg.Connection) -> None:
    """Return once ``waiting``'s server process waits for a lock another transaction holds
    (PostgreSQL's lock table says so): the race is on."""
    pid = waiting.info.backend_pid
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = observer.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)
        ).fetchone()
        if row and row[0]:
            return
        time.sleep(0.01)
    raise AssertionError(f"server process {pid} never waited for a lock")


def test_a_deal_deleted_while_its_flag_is_written_takes_the_flag_along(pg: Database) -> None:
    _seed(pg, deals=2)
    with _connect(pg) as writer, _connect(pg) as deleter, _connect(pg) as observer:
        observer.autocommit = True
        writer.execute(INSERT_FLAG, ("D0",))  # not committed yet
        thread, errors = _in_thread(lambda: deleter.execute("DELETE FROM deal WHERE id = 'D0'"))
        _wait_until_blocked(observer, deleter)  # the deletion waits for the writer ...
        writer.commit()
        thread.join(timeout=10)
        assert not thread.is_alive() and not errors
        deleter.commit()  # ... and then takes the flag the writer committed along
    with pg.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0
        assert _count(session, Deal) == 1


def test_a_flag_written_while_its_deal_is_deleted_fails(pg: Database) -> None:
    _seed(pg, deals=2)
    with _connect(pg) as writer, _connect(pg) as deleter, _connect(pg) as observer:
        observer.autocommit = True
        deleter.execute("DELETE FROM deal WHERE id = 'D0'")  # not committed yet
        thread, errors = _in_thread(lambda: writer.execute(INSERT_FLAG, ("D0",)))
        _wait_until_blocked(observer, writer)  # the writer waits for the deletion ...
        deleter.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        [error] = errors  # ... and then finds the deal gone
        assert isinstance(error, psycopg.errors.ForeignKeyViolation)
        assert "(deal_id)=(D0)" in str(error)
        writer.rollback()
    with pg.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0


def _foreign_keys_and_triggers(database: Database) -> tuple[set[str], set[str]]:
    with database.engine.connect() as connection:
        keys = set(
            connection.scalars(
                text(
                    "SELECT conname FROM pg_constraint WHERE contype = 'f' "
                    "AND conrelid::regclass::text IN ('flag', 'task')"
                )
            )
        )
        triggers = set(
            connection.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        )
    return keys, triggers


def test_migration_0005_goes_down_to_the_triggers_and_up_again(pg: Database) -> None:
    from alembic import command

    from momentum.db.migrate import alembic_config

    references = {"fk_flag_deal_id_deal", "fk_task_deal_id_deal", "fk_task_owner_id_rep"}
    keys, triggers = _foreign_keys_and_triggers(pg)
    assert references <= keys and not triggers
    config = alembic_config(pg.engine)
    try:
        with pg.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        keys, triggers = _foreign_keys_and_triggers(pg)
        assert not references & keys and "flag_deal_id_inserted" in triggers
    finally:
        with pg.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    keys, triggers = _foreign_keys_and_triggers(pg)
    assert references <= keys and not triggers
