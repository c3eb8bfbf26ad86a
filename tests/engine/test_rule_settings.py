"""The rules' options set in the app, on both databases: the app's value over the rules file
and the environment over the built-in default, a reset back to them, checked values, and
every open deal falling due for the worker's next sweep when one changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.migrate import alembic_config
from momentum.deal.models import Deal, Outcome
from momentum.deal.repository import DealRepository
from momentum.errors import InputError, NotFound, PermissionDenied
from momentum.flag.models import Flag
from momentum.meeting.models import MeetingStatus
from momentum.rules.config import read_config
from momentum.rules.settings import RuleSettingsService, Source
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.engine.conftest import NOW, engine_settings
from tests.engine.test_rules import lock_in
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting

ADMIN = Actor.system()


def _settings(engine, session) -> RuleSettingsService:  # type: ignore[no-untyped-def]
    return RuleSettingsService(session, rules=engine.rules, clock=engine.clock)


def _setting(service: RuleSettingsService, rule_key: str, option: str):  # type: ignore[no-untyped-def]
    return next(s for s in service.settings() if (s.rule_key, s.option) == (rule_key, option))


def test_the_app_over_the_file_over_the_default_and_a_reset(
    database: Database, make_engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.toml"
    path.write_text("[rules.stalled]\ndays = 21\n")
    settings = engine_settings(database, target_business_days=4)
    engine = make_engine(config=read_config(path, settings), target_business_days=4)
    with database.unit_of_work() as session:
        rules = _settings(engine, session)
        stalled = _setting(rules, "stalled", "days")
        assert (stalled.value, stalled.source, stalled.default) == (21, Source.CONFIGURED, 14)
        gap = _setting(rules, "gap_too_long", "target_business_days")
        assert (gap.value, gap.source) == (4, Source.CONFIGURED)  # the environment's
        grace = _setting(rules, "meeting_two_not_booked", "grace_minutes")
        assert (grace.value, grace.source) == (60, Source.DEFAULT)

        rules.set(ADMIN, "stalled", "days", " 30 ")
        rules.set(ADMIN, "gap_too_long", "target_business_days", "3")
        rules.set(ADMIN, "no_show", "alert", "no")
    with database.unit_of_work() as session:
        rules = _settings(engine, session)
        stalled = _setting(rules, "stalled", "days")
        assert (stalled.value, stalled.source, stalled.configured) == (30, Source.APP, 21)
        assert stalled.changed_at == NOW
        assert rules.in_force()["gap_too_long"].target_business_days == 3  # type: ignore[attr-defined]
        assert rules.in_force()["no_show"].alert is False
        # the file and the defaults are untouched underneath
        assert engine.rules.options["stalled"].days == 21  # type: ignore[attr-defined]

        rules.reset(ADMIN, "stalled", "days")
        rules.reset(ADMIN, "no_show", "alert")
        rules.reset(ADMIN, "no_show", "alert")  # nothing to reset: nothing changes
    with database.unit_of_work(write=False) as session:
        rules = _settings(engine, session)
        assert _setting(rules, "stalled", "days").source is Source.CONFIGURED
        assert _setting(rules, "stalled", "days").value == 21
        assert _setting(rules, "no_show", "alert").source is Source.DEFAULT
        assert _setting(rules, "gap_too_long", "target_business_days").value == 3


@pytest.mark.parametrize(
    ("rule_key", "option", "value", "error", "message"),
    [
        ("stalled", "days", "0", InputError, "days: Input should be greater than or equal to 1"),
        ("stalled", "days", "three", InputError, "days: Input should be a valid integer"),
        ("stalled", "days", "", InputError, "days: enter a value"),
        ("stalled", "enabled", "maybe", InputError, "enabled: Input should be a valid boolean"),
        ("no_such_rule", "days", "3", NotFound, "no rule 'no_such_rule'"),
        ("stalled", "weeks", "3", NotFound, "no option 'weeks'"),
    ],
)
def test_values_are_checked_as_the_rules_file_s_are(
    database: Database,
    make_engine,
    rule_key: str,
    option: str,
    value: str,
    error: type[Exception],
    message: str,
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session, pytest.raises(error, match=message):
        _settings(engine, session).set(ADMIN, rule_key, option, value)


def test_only_administrators_change_them(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    manager = Actor(role=Role.MANAGER, rep_id="mgr")
    with database.unit_of_work() as session:
        rules = _settings(engine, session)
        with pytest.raises(PermissionDenied):
            rules.set(manager, "stalled", "days", "3")
        with pytest.raises(PermissionDenied):
            rules.reset(manager, "stalled", "days")


def test_a_change_makes_every_open_deal_due_and_the_next_sweep_applies_it(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=3), status=MeetingStatus.HELD
            )
        make_deal(session, owner=world.rep, id="D3", outcome=Outcome.WON, closed_at=NOW)
    # meeting two on D1 four business days after meeting one: within the target of 5
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(
            ADMIN, "D1", lock_in(start=datetime(2026, 3, 10, 14, 0))
        )
    engine.sweep()
    clock.advance(timedelta(minutes=5))
    with database.unit_of_work(write=False) as session:
        assert DealRepository(session).due_for_rules(clock.now()) == []
        assert session.scalars(select(Flag.deal_id).where(Flag.rule == "gap_too_long")).all() == []

    with database.unit_of_work() as session:
        _settings(engine, session).set(ADMIN, "gap_too_long", "target_business_days", "3")
    with database.unit_of_work(write=False) as session:
        assert DealRepository(session).due_for_rules(clock.now()) == ["D1", "D2"]
        closed = session.get(Deal, "D3")
        assert closed is not None and closed.rules_due_at is None

    report = engine.sweep()
    assert report.deals == 2
    with database.unit_of_work(write=False) as session:
        flag = session.scalars(select(Flag).where(Flag.rule == "gap_too_long")).one()
        assert (flag.deal_id, flag.reason) == (
            "D1",
            "Meeting two is 4 business days after meeting one (target: 3)",
        )
        assert DealRepository(session).due_for_rules(clock.now()) == []

    # a reset falls due as well, and the flag clears at the next sweep
    with database.unit_of_work() as session:
        _settings(engine, session).reset(ADMIN, "gap_too_long", "target_business_days")
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        flag = session.scalars(select(Flag).where(Flag.rule == "gap_too_long")).one()
        assert flag.cleared_at is not None


def test_every_process_applies_the_setting_without_a_restart(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    app, worker = make_engine(), make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    clock.advance(timedelta(days=20))  # no activity on either deal since they opened
    worker.sweep()
    with database.unit_of_work(write=False) as session:
        assert len(session.scalars(select(Flag).where(Flag.rule == "stalled")).all()) == 2
    with database.unit_of_work() as session:
        _settings(app, session).set(ADMIN, "stalled", "enabled", "false")
    worker.sweep()
    with database.unit_of_work(write=False) as session:
        stalled = session.scalars(select(Flag).where(Flag.rule == "stalled")).all()
        assert stalled and all(f.cleared_at is not None for f in stalled)


def test_migration_0009_goes_down_and_up_again(database: Database) -> None:
    config = alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    inspector = inspect(database.engine)
    assert "rule_override" not in inspector.get_table_names()
    assert "work_start" not in {c["name"] for c in inspector.get_columns("rep")}
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    inspector = inspect(database.engine)
    assert "rule_override" in inspector.get_table_names()
    assert {"work_start", "work_end"} <= {c["name"] for c in inspector.get_columns("rep")}
