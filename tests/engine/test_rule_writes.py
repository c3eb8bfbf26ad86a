"""A large evaluation inserts its flags and tasks a slice at a time on a background thread:
the same rows as in one go, and a failure on either side leaves nothing behind."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.flag.models import Flag, Severity
from momentum.flag.repository import RaisedFlag
from momentum.meeting.models import MeetingStatus
from momentum.rules import engine as rule_engine
from momentum.rules.facts import DealFacts
from momentum.rules.registry import Finding, Rule, RuleContext
from momentum.rules.writes import RaisedWriter
from momentum.task.models import Task
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting


def _pipeline(session: Any) -> None:
    """Deals at several stages: nothing yet, M1 held and nothing booked, M2 booked without
    homework, a no-show; for two owners in different zones."""
    world = make_world(session)
    for index in range(12):
        deal = make_deal(session, owner=world.rep if index % 2 else world.other, id=f"P{index:02d}")
        stage = index % 4
        if stage == 0:
            continue
        make_meeting(
            session, deal=deal, start=NOW - timedelta(days=index + 1), status=MeetingStatus.HELD
        )
        if stage == 2:
            make_meeting(session, deal=deal, start=NOW + timedelta(days=index), agenda=None)
        elif stage == 3:
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=index), status=MeetingStatus.NO_SHOW
            )


def _stored(session: Any) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    flags = {
        (f.deal_id, f.rule, f.reason, f.severity, f.raised_at)
        for f in session.scalars(select(Flag).where(Flag.cleared_at.is_(None)))
    }
    tasks = {
        (t.deal_id, t.owner_id, t.rule, t.title, t.due_at, t.status)
        for t in session.scalars(select(Task))
    }
    return flags, tasks


def _evaluate_and_roll_back(database: Database, engine: Any) -> tuple[Any, Any, Any]:
    with database.sessions() as session:
        report = engine.rule_engine.evaluate(session)
        stored = _stored(session)
        session.rollback()
    return report, *stored


@pytest.mark.parametrize("first", [True, False])
def test_slices_written_on_the_writer_thread_are_what_one_go_stores(
    database: Database, make_engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, first: bool
) -> None:  # type: ignore[no-untyped-def]
    """The first evaluation (everything raised), and a later one where a deal closed, one
    booked meeting two and a day went by (flags cleared, reasons restated, a task closed)."""
    engine = make_engine()
    with database.unit_of_work() as session:
        _pipeline(session)
    if not first:
        clock.advance(timedelta(days=20))  # every deal stalled
        with database.unit_of_work() as session:
            engine.rule_engine.evaluate(session)
            session.get(Deal, "P05").outcome = Outcome.WON  # type: ignore[union-attr]
            make_meeting(
                session, deal=session.get(Deal, "P01"), start=clock.now() + timedelta(days=2)
            )
        clock.advance(timedelta(days=1))  # "no activity for 21 days" now
    inline, inline_flags, inline_tasks = _evaluate_and_roll_back(database, engine)
    if first:
        assert inline.flags_raised > 10 and inline.tasks_opened > 5
    else:
        assert min(inline.flags_cleared, inline.flags_updated, inline.tasks_closed) > 0

    threads: set[str] = set()
    insert = RaisedWriter._insert

    def recording(self: RaisedWriter, *rows: Any) -> None:
        threads.add(threading.current_thread().name)
        insert(self, *rows)

    monkeypatch.setattr(RaisedWriter, "_insert", recording)
    monkeypatch.setattr(rule_engine, "SLICE_DEALS", 3)  # 14 deals: five slices, in the background
    sliced, sliced_flags, sliced_tasks = _evaluate_and_roll_back(database, engine)
    if database.dialect == "postgresql":  # SQLite evaluates in one go (see the engine)
        assert threads and all(name.startswith("momentum-rule-writes") for name in threads)
    else:
        assert threads == {threading.main_thread().name}
    assert (sliced_flags, sliced_tasks) == (inline_flags, inline_tasks)
    assert sliced == replace(inline, seconds=sliced.seconds)


def test_a_slice_that_cannot_be_written_fails_the_evaluation_and_nothing_is_kept(
    database: Database,
) -> None:
    with database.unit_of_work() as session:
        make_world(session)

    def flag(deal_id: str) -> RaisedFlag:
        return (deal_id, "stalled", "quiet", Severity.WARNING)

    def three_slices() -> None:
        with (
            database.unit_of_work() as session,
            RaisedWriter(session, now=NOW, background=True) as writer,
        ):
            writer.write([flag("D1")], [])
            writer.write([flag("no-such-deal")], [])  # its reference check refuses it
            writer.write([flag("D2")], [])

    with pytest.raises(IntegrityError):
        three_slices()
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Flag)) == 0


class _Explodes(Rule):
    key = "explodes"
    title = "Fails on one deal"

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        if deal.deal_id == "P09":
            raise RuntimeError("a rule's bug")
        return Finding(reason="seen")


def test_a_rule_that_fails_midway_waits_for_the_writer_and_nothing_is_kept(
    database: Database, make_engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    engine.rule_engine.rules.registry.add(_Explodes())
    engine.rule_engine.rules.options["explodes"] = _Explodes.Options()
    with database.unit_of_work() as session:
        _pipeline(session)
    monkeypatch.setattr(rule_engine, "SLICE_DEALS", 2)
    with pytest.raises(RuntimeError, match="a rule's bug"), database.unit_of_work() as session:
        engine.rule_engine.evaluate(session)
    engine.rule_engine.rules.options["explodes"] = _Explodes.Options(enabled=False)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Flag)) == 0
        assert engine.rule_engine.evaluate(session).flags_raised > 0  # the store works on
