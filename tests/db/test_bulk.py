"""Set-based writes the rule engine relies on, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from momentum.db.bulk import BULK_UPDATE_ROWS
from momentum.db.engine import Database
from momentum.flag.models import Flag, Severity
from momentum.flag.repository import FlagRepository
from tests.factories import make_deal, make_rep

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_many_new_reasons_are_set_by_flag_id_and_nothing_else_changes(database: Database) -> None:
    count = 2 * BULK_UPDATE_ROWS + 50  # half of them get a new reason: the staged path
    with database.unit_of_work() as session:
        rep = make_rep(session, id="ana")
        make_deal(session, owner=rep, id="D1")
        session.flush()
        FlagRepository(session).insert_many(
            [("D1", f"rule{n}", "old", Severity.WARNING) for n in range(count)], raised_at=NOW
        )
    with database.unit_of_work() as session:
        ids = dict(session.execute(select(Flag.rule, Flag.id)).all())
        changes = [(ids[f"rule{n}"], f"new {n}") for n in range(0, count, 2)]
        FlagRepository(session).set_reasons(changes)
        FlagRepository(session).set_reasons([(ids["rule1"], "just one")])
    with database.unit_of_work(write=False) as session:
        flags = {f.rule: f for f in session.scalars(select(Flag))}
    assert len(flags) == count
    assert flags["rule0"].reason == "new 0"
    assert flags[f"rule{count - 2}"].reason == f"new {count - 2}"
    assert flags["rule1"].reason == "just one"
    assert flags["rule3"].reason == "old"
    assert all(f.severity is Severity.WARNING and f.raised_at == NOW for f in flags.values())
