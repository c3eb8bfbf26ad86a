"""Set-based writes the rule engine relies on, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import select

from momentum.db.bulk import BULK_UPDATE_ROWS, Staging
from momentum.db.engine import Database
from momentum.db.upsert import BULK_ROWS
from momentum.flag.models import Flag, Severity
from momentum.flag.repository import FlagRepository
from momentum.meeting.models import Meeting
from tests.factories import make_deal, make_meeting, make_rep

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


def test_an_earliest_column_keeps_the_earlier_time_and_never_takes_a_null(
    database: Database,
) -> None:
    """How a calendar import merges a meeting's booking time (``earliest``): an update or a
    cancellation that tells none, or a later one, leaves it; an earlier one replaces it."""
    booked = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        rep = make_rep(session, id="ana")
        make_meeting(session, deal=make_deal(session, owner=rep, id="D1"), start=NOW, id="m1")
        session.get(Meeting, "m1").booked_at = booked  # type: ignore[union-attr]
    for given, kept, changed in (
        (None, booked, 0),
        (booked + timedelta(days=3), booked, 0),
        (booked - timedelta(days=1), booked - timedelta(days=1), 1),
    ):
        with database.unit_of_work() as session:
            row = dict(session.execute(select(Meeting.__table__)).mappings().one())
            stage = Staging.create(session, Meeting.__table__)  # type: ignore[arg-type]
            stage.add(session, pl.DataFrame([{**row, "booked_at": given}]))
            counts = stage.merge(session, key="id", columns=list(row), earliest=["booked_at"])
            stage.drop(session)
        with database.unit_of_work(write=False) as session:
            stored = session.get(Meeting, "m1")
            assert stored is not None and stored.booked_at is not None
            assert stored.booked_at.replace(tzinfo=UTC) == kept, given
        assert counts == (0, changed), given


def test_raising_flags_counts_only_those_not_open_already(database: Database) -> None:
    """Two workers may evaluate the same deals at once: each reports only the flags it
    raised itself, not those the other raised first (both said 261 of the same 261)."""
    count = BULK_ROWS + 10  # PostgreSQL's staged path, and the plain one below
    with database.unit_of_work() as session:
        rep = make_rep(session, id="ana")
        make_deal(session, owner=rep, id="D1")
        session.flush()
        flags = FlagRepository(session)
        rows = [("D1", f"rule{n}", "why", Severity.WARNING, None) for n in range(count)]
        assert flags.raise_many(rows[:5], raised_at=NOW) == 5
        assert flags.raise_many(rows, raised_at=NOW) == count - 5
        assert flags.raise_many(rows[:7], raised_at=NOW) == 0
