"""The references of flags and tasks hold on both databases: foreign keys on SQLite, triggers
that check a statement's rows at once on PostgreSQL (migration 0004). Same rules either way:
a flag or task names a stored deal and rep, deleting a deal takes its flags and tasks along,
a rep with tasks stays, a referred-to id does not change; and on PostgreSQL a reference and
the deletion of what it names never both commit, whichever comes first."""

from __future__ import annotations

import threading
import time
import uuid
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
    _rejects(database, lambda s: _raise(s, [_flag("nope")]), "'nope'")
    orm = Flag(deal_id="none", rule="stalled", reason="r", severity=Severity.INFO, raised_at=T0)
    _rejects(database, lambda s: s.add(orm), "'none'")
    # The bulk path (a staging table and one INSERT … SELECT) checks every row as well.
    many = [_flag("D0", rule=f"r{i}") for i in range(2_500)] + [_flag("gone", rule="r")]
    _rejects(database, lambda s: _raise(s, many), "'gone'")
    with database.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0
    with database.unit_of_work() as session:
        _raise(session, many[:-1])
    with database.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 2_500


def test_a_task_must_name_a_stored_deal_and_owner(database: Database) -> None:
    _seed(database)
    _rejects(database, lambda s: _open(s, [_task("nope", "ana")]), "'nope'")
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
    _rejects(database, lambda s: s.execute(update(Flag).values(deal_id="nope")), "'nope'")
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


# --- PostgreSQL: the triggers and concurrent writers ---------------------------------------


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


def test_a_deal_deleted_while_its_flag_is_written_takes_the_flag_along(pg: Database) -> None:
    _seed(pg, deals=2)
    with _connect(pg) as writer, _connect(pg) as deleter:
        writer.execute(INSERT_FLAG, ("D0",))  # not committed yet
        thread, errors = _in_thread(lambda: deleter.execute("DELETE FROM deal WHERE id = 'D0'"))
        time.sleep(0.3)
        assert thread.is_alive()  # the deletion waits for the writer ...
        writer.commit()
        thread.join(timeout=10)
        assert not thread.is_alive() and not errors
        deleter.commit()  # ... and then takes the flag the writer committed along
    with pg.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0
        assert _count(session, Deal) == 1


def test_a_flag_written_while_its_deal_is_deleted_fails(pg: Database) -> None:
    _seed(pg, deals=2)
    with _connect(pg) as writer, _connect(pg) as deleter:
        deleter.execute("DELETE FROM deal WHERE id = 'D0'")  # not committed yet
        thread, errors = _in_thread(lambda: writer.execute(INSERT_FLAG, ("D0",)))
        time.sleep(0.3)
        assert thread.is_alive()  # the writer waits for the deletion ...
        deleter.commit()
        thread.join(timeout=10)
        assert not thread.is_alive()
        [error] = errors  # ... and then finds the deal gone
        assert isinstance(error, psycopg.errors.ForeignKeyViolation)
        assert "there is no deal with id 'D0'" in str(error)
        writer.rollback()
    with pg.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0


def test_truncating_deals_empties_flags_and_tasks_as_cascade_does(pg: Database) -> None:
    _seed(pg, deals=2)
    with pg.unit_of_work() as session:
        _raise(session, [_flag("D0"), _flag("D1")])
        _open(session, [_task("D0", "ana"), _task(None, "bo", rule=None)])
    with pg.unit_of_work() as session:
        session.execute(text("TRUNCATE deal CASCADE"))
    with pg.unit_of_work(write=False) as session:
        assert _count(session, Flag) == 0
        assert _count(session, Task) == 0  # as TRUNCATE … CASCADE empties a referring table


def test_deleting_deals_from_two_writing_transactions_does_not_deadlock(pg: Database) -> None:
    """Foreign keys lock rows, not tables: two transactions that wrote deals can each delete
    one, and one that raised a flag can then update a deal another is deleting."""
    _seed(pg, deals=4)
    with _connect(pg) as first, _connect(pg) as second:
        first.execute("UPDATE deal SET name = 'one' WHERE id = 'D0'")
        second.execute("UPDATE deal SET name = 'two' WHERE id = 'D1'")
        first.execute(INSERT_FLAG, ("D0",))
        first.execute("SET lock_timeout = '5s'")
        second.execute("SET lock_timeout = '5s'")
        first.execute("DELETE FROM deal WHERE id = 'D2'")
        second.execute("DELETE FROM deal WHERE id = 'D3'")
        thread, errors = _in_thread(
            lambda: first.execute("UPDATE deal SET name = 'x' WHERE id = 'D3'")
        )
        time.sleep(0.2)
        second.commit()
        thread.join(timeout=10)
        assert not thread.is_alive() and not errors
        first.commit()
    with pg.unit_of_work(write=False) as session:
        assert sorted(session.scalars(select(Deal.id))) == ["D0", "D1"]
        assert _count(session, Flag, deal_id="D0") == 1


def test_deleting_a_deal_outside_read_committed_is_refused(pg: Database) -> None:
    """The deleting side finds the referring rows with a fresh snapshot: under REPEATABLE READ
    it could miss a flag committed meanwhile, so it refuses instead."""
    _seed(pg, deals=1)
    with _connect(pg) as connection:
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="READ COMMITTED"):
            connection.execute("DELETE FROM deal WHERE id = 'D0'")
        connection.rollback()


def test_a_temporary_table_cannot_stand_in_for_deals(pg: Database) -> None:
    _seed(pg, deals=1)
    with _connect(pg) as connection:
        connection.execute("CREATE TEMP TABLE deal (id text PRIMARY KEY)")
        connection.execute("INSERT INTO deal VALUES ('fake')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="'fake'"):
            connection.execute(INSERT_FLAG, ("fake",))
        connection.rollback()


def test_a_role_that_may_only_read_deals_can_still_raise_flags(pg: Database) -> None:
    """The checks run as the tables' owner, as foreign-key checks do: locking a deal needs
    more than reading it."""
    role = f"momentum_test_writer_{uuid.uuid4().hex[:8]}"
    _seed(pg, deals=1)
    with _connect(pg) as admin:
        admin.autocommit = True
        admin.execute(f"CREATE ROLE {role}")
        try:
            admin.execute(f"GRANT SELECT ON deal TO {role}")
            admin.execute(f"GRANT INSERT ON flag TO {role}")
            admin.execute(f"GRANT USAGE ON SEQUENCE flag_id_seq TO {role}")
            with _connect(pg) as connection:
                connection.execute(f"SET ROLE {role}")
                connection.execute(INSERT_FLAG, ("D0",))
                with pytest.raises(psycopg.errors.ForeignKeyViolation):
                    connection.execute(INSERT_FLAG, ("D9",))
                connection.rollback()
        finally:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_the_references_are_triggers_on_postgresql(pg: Database) -> None:
    with pg.engine.connect() as connection:
        keys = {
            (row.table, row.name)
            for row in connection.execute(
                text(
                    "SELECT conrelid::regclass::text AS table, conname AS name "
                    "FROM pg_constraint WHERE contype = 'f'"
                )
            )
        }
        triggers = set(
            connection.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        )
    assert not {k for k in keys if k[0] in ("flag", "task") and k[1] != "fk_next_step_task_id_task"}
    assert triggers == {
        "flag_deal_id_inserted",
        "flag_deal_id_changed",
        "task_deal_id_inserted",
        "task_deal_id_changed",
        "task_owner_id_inserted",
        "task_owner_id_changed",
        "deal_referred_deleted",
        "deal_referred_id_changed",
        "deal_referred_truncated",
        "rep_referred_deleted",
        "rep_referred_id_changed",
        "rep_referred_truncated",
    }
