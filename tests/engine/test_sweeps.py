"""Incremental sweeps: after its first sweep, the worker evaluates only the deals that changed
(in the app, or behind its back as an import does: their ``updated_at`` moves) or whose rules
asked to be looked at again (``context.recheck_at``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from momentum.clock import FixedClock
from momentum.db import rows
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.flag.models import Flag
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.rep.models import Rep
from momentum.rules import engine as rule_engine
from momentum.rules.facts import DealFacts
from momentum.rules.registry import Finding, Rule, RuleContext
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting


def _flags(database: Database) -> dict[tuple[str, str], str]:
    with database.unit_of_work(write=False) as session:
        found = session.scalars(select(Flag).where(Flag.cleared_at.is_(None))).all()
        return {(f.deal_id, f.rule): f.reason for f in found}


def _world_with_held_meetings(database: Database) -> None:
    """D1 and D2, each with meeting one held an hour ago (the grace runs 30 more minutes)."""
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=1), status=MeetingStatus.HELD
            )


def test_a_sweep_with_nothing_changed_or_due_evaluates_no_deal(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    _world_with_held_meetings(database)
    assert engine.sweep().deals == 2  # the first sweep of a worker: every open deal
    again = engine.sweep()
    assert (again.deals, again.flags_raised, again.flags_cleared) == (0, 0, 0)


def test_a_deal_is_evaluated_again_when_its_rules_fall_due(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    _world_with_held_meetings(database)
    with database.unit_of_work() as session:
        make_meeting(  # D2 books meeting two: nothing on it is due before that meeting
            session,
            deal=session.get(Deal, "D2"),
            start=NOW + timedelta(days=2),
            agenda="seller: ROI\nbuyer: data",
            homework="numbers",
        )
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        due = dict(session.execute(select(Deal.id, Deal.rules_due_at)).all())
    assert due["D1"] == NOW + timedelta(minutes=30)  # the end of the grace after meeting one
    assert due["D2"] == NOW + timedelta(days=2)  # meeting two starts: no longer a next step ahead
    clock.advance(timedelta(minutes=29))
    assert engine.sweep().deals == 0
    clock.advance(timedelta(minutes=2))
    report = engine.sweep()
    assert (report.deals, report.flags_raised) == (1, 1)
    assert ("D1", "meeting_two_not_booked") in _flags(database)


def test_changes_made_behind_the_apps_back_are_picked_up_by_their_updated_at(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """An import writes rows directly and stamps ``updated_at``: a meeting, a deal or an owner
    changed that way makes the next sweep evaluate exactly the deals concerned."""
    engine = make_engine()
    _world_with_held_meetings(database)
    clock.advance(timedelta(hours=1))
    engine.sweep()
    assert {deal for deal, rule in _flags(database) if rule == "meeting_two_not_booked"} == {
        "D1",
        "D2",
    }
    clock.advance(timedelta(minutes=5))
    with database.unit_of_work() as session:  # meeting two on D1 arrives by import
        make_meeting(
            session,
            deal=session.get(Deal, "D1"),
            start=NOW + timedelta(days=2),
            updated_at=clock.now(),
        )
    report = engine.sweep()
    assert (report.deals, report.flags_cleared) == (1, 1)
    assert ("D1", "meeting_two_not_booked") not in _flags(database)

    with database.unit_of_work() as session:  # D2's meeting one turns out not held
        session.execute(
            update(Meeting)
            .where(Meeting.deal_id == "D2")
            .values(status=MeetingStatus.CANCELED, updated_at=clock.now() + timedelta(minutes=1))
        )
    assert engine.sweep().deals == 1
    assert ("D2", "meeting_two_not_booked") not in _flags(database)

    with database.unit_of_work() as session:  # D1's owner moves to another zone
        session.execute(
            update(Rep)
            .where(Rep.id == "ana")
            .values(timezone="Asia/Tokyo", updated_at=clock.now() + timedelta(minutes=2))
        )
    assert engine.sweep().deals == 1

    with database.unit_of_work() as session:  # D1 is lost: its flags clear, once
        session.execute(
            update(Deal)
            .where(Deal.id == "D1")
            .values(outcome=Outcome.LOST, updated_at=clock.now() + timedelta(minutes=3))
        )
    assert engine.sweep().flags_cleared > 0
    assert not [key for key in _flags(database) if key[0] == "D1"]
    assert engine.sweep().deals == 0


def test_a_stalled_deals_reason_is_restated_as_the_days_go_by(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        world.deal.opened_at = NOW - timedelta(days=30)
        make_meeting(session, deal=world.deal, start=NOW - timedelta(days=20, hours=1))
    engine.sweep()
    assert _flags(database)[("D1", "stalled")].startswith("No activity for 20 days")
    assert engine.sweep().deals == 0
    clock.advance(timedelta(days=1))
    report = engine.sweep()
    assert report.deals >= 1 and report.flags_updated >= 1
    assert _flags(database)[("D1", "stalled")].startswith("No activity for 21 days")


class _Quiet(Rule):
    """A rule that does not say when it is due: it must see every open deal in every sweep."""

    key = "quiet"
    title = "Says nothing about time"

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        return Finding(reason="seen") if context.now > NOW else None


def test_a_rule_that_does_not_declare_its_rechecks_sees_every_open_deal_in_every_sweep(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    engine.rule_engine.rules.registry.add(_Quiet())
    engine.rule_engine.rules.options["quiet"] = _Quiet.Options()
    _world_with_held_meetings(database)
    engine.sweep()
    clock.advance(timedelta(seconds=1))
    report = engine.sweep()
    assert report.deals == 2
    assert {deal for deal, rule in _flags(database) if rule == "quiet"} == {"D1", "D2"}


def test_a_new_worker_looks_at_every_open_deal_first(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    """Its rules file may have changed since the last worker ran: a rule switched off clears."""
    _world_with_held_meetings(database)
    make_engine().sweep()
    assert make_engine().sweep().deals == 2


def test_a_large_evaluation_reports_its_progress(
    database: Database, make_engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for index in range(5):
            make_deal(session, owner=world.rep, id=f"X{index}")
    monkeypatch.setattr(rule_engine, "PROGRESS_EVERY", 3)
    heard: list[tuple[int, int]] = []
    engine.sweep(progress=lambda done, total: heard.append((done, total)))
    assert heard == [(3, 7), (6, 7), (7, 7)]
    heard.clear()
    with database.unit_of_work() as session:  # two deals: below the threshold, no progress
        engine.rule_engine.evaluate(
            session, ["D1", "D2"], progress=lambda d, t: heard.append((d, t))
        )
    assert heard == []


def test_a_sweep_over_many_deals_binds_no_parameter_per_deal(
    database: Database, make_engine, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The sweep reads, clears and settles its deals by id. PostgreSQL gets the ids in one
    array parameter: an ``IN`` list binds one per id, and at 100,000 deals psycopg and the
    planner spend seconds on them. SQLite reads ``IN`` lists of at most ``rows.CHUNK`` ids."""
    monkeypatch.setattr(rows, "CHUNK", 8)
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for index in range(40):
            deal = make_deal(session, owner=world.rep, id=f"X{index:02}")
            make_meeting(
                session, deal=deal, start=NOW - timedelta(days=3), status=MeetingStatus.HELD
            )
    assert engine.sweep().deals == 42
    closed = [f"X{index:02}" for index in range(5)]
    assert {deal for deal, _ in _flags(database)} >= set(closed)
    with database.unit_of_work() as session:  # every deal falls due, five of them close
        session.execute(update(Deal).values(rules_due_at=NOW))
        session.execute(
            update(Deal).where(Deal.id.in_(closed)).values(outcome=Outcome.WON, updated_at=NOW)
        )
        deal_ids = set(session.scalars(select(Deal.id)))
    ids_bound: list[int] = []  # per statement, how many parameters are a deal's id

    def count(_conn, _cursor, _statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        if executemany or not parameters:
            return
        values = parameters.values() if isinstance(parameters, dict) else parameters
        ids_bound.append(sum(1 for value in values if isinstance(value, str) and value in deal_ids))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        report = engine.sweep()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert report.deals == 37
    assert not {deal for deal, _ in _flags(database)} & set(closed)
    assert max(ids_bound) == (0 if database.dialect == "postgresql" else rows.CHUNK)
