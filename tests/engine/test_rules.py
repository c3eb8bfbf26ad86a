"""The built-in rules: each fires, flags with a plain reason, asks once, and clears itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.errors import ConfigurationError
from momentum.flag.models import Flag, Severity
from momentum.flag.repository import FlagRepository
from momentum.meeting.models import MeetingStatus
from momentum.next_step.models import Side
from momentum.next_step.schemas import AgendaItem, LockIn
from momentum.outbox.models import Channel, MessageKind, OutboxMessage
from momentum.rules.config import EngineConfig, read_config
from momentum.task.models import Task, TaskStatus
from momentum.user.schemas import Actor
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import make_meeting

ADMIN = Actor.system()
DOCS = Path(__file__).resolve().parents[2] / "docs"


def open_flags(session) -> dict[tuple[str, str], Flag]:  # type: ignore[no-untyped-def]
    flags = session.scalars(select(Flag).where(Flag.cleared_at.is_(None))).all()
    return {(f.deal_id, f.rule): f for f in flags}


def tasks(session) -> list[Task]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Task).order_by(Task.id)))


def lock_in(**changes) -> LockIn:  # type: ignore[no-untyped-def]
    base = {
        "start": datetime(2026, 3, 6, 14, 0),
        "agenda": [
            {"side": "seller", "text": "ROI model"},
            {"side": "buyer", "text": "Your numbers"},
        ],
        "buyer_homework": "Bring the plant manager",
    }
    return LockIn.model_validate({**base, **changes})


def test_meeting_two_not_booked_fires_after_the_grace_asks_once_and_clears_on_booking(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        # M1 held Wednesday 09:00-09:30 UTC; the grace runs to 10:30
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(hours=1), status=MeetingStatus.HELD
        )
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert ("D1", "meeting_two_not_booked") not in open_flags(session)
    clock.advance(timedelta(minutes=31))
    for _ in range(3):
        engine.sweep()
    with database.unit_of_work(write=False) as session:
        flag = open_flags(session)[("D1", "meeting_two_not_booked")]
        assert flag.reason == "Meeting one was held on Wed 4 Mar 2026 and meeting two is not booked"
        assert flag.severity is Severity.WARNING
        [task] = [t for t in tasks(session) if t.deal_id == "D1"]
        assert task.title == "Book meeting two with Acme Tools"
        assert task.status is TaskStatus.OPEN
        # one business day after M1's end, same local time (Thursday 09:30 UTC)
        assert task.due_at == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
        alerts = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == MessageKind.ALERT, OutboxMessage.deal_id == "D1"
            )
        ).all()
        assert [(a.channel, a.recipients) for a in alerts] == [
            (Channel.EMAIL, ["ana@seller.test", "maya@seller.test"])
        ]
        # no "next step missing" beside it: the booking task is a task with a due date
        assert ("D1", "next_step_missing") not in open_flags(session)
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ADMIN, "D1", lock_in())
    # the lock-in's own unit of work re-evaluated the deal: no sweep needed
    with database.unit_of_work(write=False) as session:
        assert ("D1", "meeting_two_not_booked") not in open_flags(session)
        [task] = [t for t in tasks(session) if t.deal_id == "D1"]
        assert task.status is TaskStatus.DONE
        assert task.closed_reason == "its condition cleared"


def test_one_change_re_evaluates_only_its_deal(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=3), status=MeetingStatus.HELD
            )
    with database.unit_of_work() as session:
        report = engine.rule_engine.evaluate(session, ["D1"])
    assert report.deals == 1
    with database.unit_of_work(write=False) as session:
        assert {deal for deal, _ in open_flags(session)} == {"D1"}


def test_each_deal_is_judged_in_its_owners_zone_within_one_evaluation(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    # One instant, two owners: Saturday 02:00 in Berlin, Friday 20:00 in New York. The
    # evaluation shares calendars and day labels between rules and deals; nothing may leak.
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session,
                deal=deal,
                start=datetime(2026, 2, 28, 1, 0, tzinfo=UTC),
                status=MeetingStatus.HELD,
            )
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        flags = open_flags(session)
        assert flags[("D1", "meeting_two_not_booked")].reason.startswith(
            "Meeting one was held on Sat 28 Feb 2026"
        )
        assert flags[("D2", "meeting_two_not_booked")].reason.startswith(
            "Meeting one was held on Fri 27 Feb 2026"
        )
        due = {t.deal_id: t.due_at for t in tasks(session)}
        # Berlin: held on a weekend, so one business day from Monday's start (00:00 CET)
        assert due["D1"] == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
        # New York: Friday 20:30 EST plus one business day is Monday 20:30 EST
        assert due["D2"] == datetime(2026, 3, 3, 1, 30, tzinfo=UTC)


def test_gap_uses_the_owners_holidays(database: Database, make_engine, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    # Good Friday (3 April) and Easter Monday (6 April) 2026 are German public holidays
    clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session,
                deal=deal,
                start=datetime(2026, 3, 31, 9, 0, tzinfo=UTC),
                status=MeetingStatus.HELD,
            )
        world.other.country = None  # weekends only
        world.other.timezone = "Europe/Berlin"
    for deal_id in ("D1", "D2"):
        with database.unit_of_work() as session:
            engine.next_steps(session).lock_in_next_meeting(
                ADMIN, deal_id, lock_in(start=datetime(2026, 4, 9, 10, 0))
            )
    with database.unit_of_work(write=False) as session:
        flags = open_flags(session)
        assert ("D1", "gap_too_long") not in flags  # 5 business days in Germany
        assert flags[("D2", "gap_too_long")].reason == (
            "Meeting two is 7 business days after meeting one (target: 5)"
        )


def test_meeting_two_without_homework_or_with_a_one_sided_agenda_is_flagged(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=2), status=MeetingStatus.HELD
            )
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(
            ADMIN,
            "D1",
            lock_in(
                agenda=[AgendaItem(side=Side.SELLER, text="Demo").model_dump()], buyer_homework=None
            ),
        )
        engine.next_steps(session).lock_in_next_meeting(ADMIN, "D2", lock_in())
    with database.unit_of_work(write=False) as session:
        flags = open_flags(session)
        assert flags[("D1", "meeting_two_incomplete")].reason == (
            "Meeting two on Fri 6 Mar 2026 has nothing on the agenda for the buyer and no "
            "buyer homework"
        )
        assert flags[("D1", "meeting_two_incomplete")].severity is Severity.INFO
        assert ("D2", "meeting_two_incomplete") not in flags


def test_a_no_show_asks_to_rebook_within_a_business_day(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(days=2), status=MeetingStatus.HELD
        )
        m2 = make_meeting(session, deal=world.deal, start=datetime(2026, 3, 6, 15, 0, tzinfo=UTC))
    clock.set(datetime(2026, 3, 6, 16, 0, tzinfo=UTC))  # Friday
    with database.unit_of_work() as session:
        engine.meetings(session).mark_no_show(ADMIN, m2.id)
    with database.unit_of_work(write=False) as session:
        flag = open_flags(session)[("D1", "no_show")]
        assert flag.severity is Severity.CRITICAL
        assert "did not show up on Fri 6 Mar 2026" in flag.reason
        [task] = [t for t in tasks(session) if t.rule == "no_show"]
        assert task.title == "Rebook Acme Tools after the no-show"
        assert task.due_at == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)  # Monday, same time
        assert session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ALERT)
        ).all()
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(
            ADMIN, "D1", lock_in(start=datetime(2026, 3, 10, 10, 0))
        )
    with database.unit_of_work(write=False) as session:
        assert ("D1", "no_show") not in open_flags(session)
        assert all(t.status is TaskStatus.DONE for t in tasks(session) if t.rule == "no_show")


def test_no_next_step_after_one_business_day(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        # M2 held Friday 6 March 14:00-14:30 UTC: the funnel is done, the deal needs a next step
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 3, 6, 14, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
    clock.set(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))  # Monday, before 14:30
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert ("D1", "next_step_missing") not in open_flags(session)
    clock.set(datetime(2026, 3, 9, 14, 31, tzinfo=UTC))
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        flag = open_flags(session)[("D1", "next_step_missing")]
        assert flag.reason == ("Nothing is booked or due since its last meeting on Fri 6 Mar 2026")
        assert [t.title for t in tasks(session) if t.deal_id == "D1"] == [
            "Set the next step for Acme Tools"
        ]
    with database.unit_of_work() as session:
        engine.next_steps(session).set_task(
            ADMIN, "D1", title="Send the proposal", due_at=datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
        )
    with database.unit_of_work(write=False) as session:
        assert ("D1", "next_step_missing") not in open_flags(session)
        assert [
            t.status for t in tasks(session) if t.rule == "next_step_missing" and t.deal_id == "D1"
        ] == [TaskStatus.DONE]


def test_a_deal_with_no_activity_for_two_weeks_is_stalled(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        world.deal.opened_at = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 2, 16, 9, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # exactly 14 days
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert ("D1", "stalled") not in open_flags(session)
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert open_flags(session)[("D1", "stalled")].reason == (
            "No activity for 16 days (since Mon 16 Feb 2026)"
        )
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ADMIN, "D1", lock_in())
    with database.unit_of_work(write=False) as session:
        assert ("D1", "stalled") not in open_flags(session)


def test_closing_a_deal_clears_its_flags_and_tasks(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        world.deal.opened_at = NOW - timedelta(days=30)
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(days=20), status=MeetingStatus.HELD
        )
    engine.sweep()
    with database.unit_of_work() as session:
        assert {rule for deal, rule in open_flags(session) if deal == "D1"} == {
            "meeting_two_not_booked",
            "stalled",
        }
        deal = session.get(Deal, "D1")
        assert deal is not None
        deal.outcome = Outcome.LOST
        deal.updated_at = clock.now()  # as an import that closes it does
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert not [key for key in open_flags(session) if key[0] == "D1"]
        assert all(t.status is TaskStatus.DONE for t in tasks(session) if t.deal_id == "D1")


def test_a_disabled_rule_clears_its_flags(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        world.deal.opened_at = NOW - timedelta(days=30)
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(days=20), status=MeetingStatus.HELD
        )
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert ("D1", "stalled") in open_flags(session)
    quiet = make_engine(
        config=EngineConfig.model_validate({"rules": {"stalled": {"enabled": False}}})
    )
    quiet.sweep()
    with database.unit_of_work(write=False) as session:
        assert ("D1", "stalled") not in open_flags(session)
        assert ("D1", "meeting_two_not_booked") in open_flags(session)


def test_old_history_is_flagged_without_alerts(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(days=20), status=MeetingStatus.HELD
        )
    report = engine.sweep()
    assert report.flags_raised >= 1
    with database.unit_of_work(write=False) as session:
        alerts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ALERT)
        ).all()
        assert [(a.deal_id, a.payload["topic"]) for a in alerts] == [("D2", "task_due")]


def test_the_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[calendar]\ndefault_country = "fr"\nquiet_hours_start = 20:00:00\n'
        '[reminders]\nsend_at = "10:30"\nvalue_business_days = 3\n'
        "[rules.stalled]\ndays = 21\n[rules.gap_too_long]\ntarget_business_days = 4\n"
    )
    from momentum.config import Settings

    config = read_config(path, Settings(_env_file=None, on_the_spot_grace_minutes=90))  # type: ignore[call-arg]
    assert config.calendar.default_country == "FR"
    assert config.calendar.quiet_hours_start.hour == 20
    assert (config.reminders.send_at.hour, config.reminders.send_at.minute) == (10, 30)
    assert config.reminders.value_business_days == 3
    assert config.rules["stalled"] == {"days": 21}
    assert config.rules["gap_too_long"] == {"target_business_days": 4}  # the file wins
    assert config.rules["meeting_two_not_booked"] == {"grace_minutes": 90}  # from settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.no_such_rule]\nx = 1\n", "unknown rules: no_such_rule"),
        ("[rules.stalled]\ndays = 0\n", r"\[rules.stalled\]: days"),
        ("[rules.stalled]\nday = 3\n", r"\[rules.stalled\]: day"),
        ("[calendar]\ndefault_country = 'XX'\n", "no public-holiday calendar"),
        ("plugins = ['no_such_module_anywhere']\n", "cannot import rule module"),
        ("[reminders\n", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    from momentum.rules.config import load_rules

    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_rules(read_config(path))


def _docs_example(tmp_path: Path) -> Path:
    text = (DOCS / "rules.md").read_text()
    [code] = re.findall(r"```python\n(# strategic_accounts.py\n.*?)```", text, flags=re.S)
    path = tmp_path / "strategic_accounts.py"
    path.write_text(code)
    return path


def test_the_rule_from_the_docs_loads_through_the_same_registry(
    database: Database, make_engine, tmp_path: Path, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    config = EngineConfig.model_validate(
        {
            "plugins": [str(_docs_example(tmp_path))],
            "rules": {"strategic_meeting_two_fast": {"accounts": ["Acme Tools"], "hours": 24}},
        }
    )
    engine = make_engine(config=config)
    assert engine.rules.registry.keys()[-1] == "strategic_meeting_two_fast"
    assert engine.rules.registry.keys()[:6] == [
        "meeting_two_not_booked",
        "no_show",
        "gap_too_long",
        "meeting_two_incomplete",
        "next_step_missing",
        "stalled",
    ]
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal in (world.deal, world.other_deal):
            make_meeting(
                session, deal=deal, start=NOW - timedelta(hours=30), status=MeetingStatus.HELD
            )
    engine.sweep()
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        flags = open_flags(session)
        assert flags[("D1", "strategic_meeting_two_fast")].reason == (
            "Acme Tools is strategic and meeting two is still not booked"
        )
        assert ("D2", "strategic_meeting_two_fast") not in flags
        assert [t.title for t in tasks(session) if t.rule == "strategic_meeting_two_fast"] == [
            "Call Acme Tools today"
        ]


@pytest.mark.parametrize("bulk", [False, True])
def test_a_flag_or_task_raised_meanwhile_by_another_evaluation_is_not_an_error(
    database: Database, make_engine, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:  # type: ignore[no-untyped-def]
    """Two units of work evaluating the same deal (the sweep and a rep's change) may both
    raise the same flag; the later one keeps the first's instead of failing, and inserts the
    rest. Both ways of writing: one statement, and the staging table used for large batches
    (PostgreSQL)."""
    from momentum.db import upsert
    from momentum.flag.repository import FlagRepository
    from momentum.task.repository import TaskRepository

    if bulk:
        monkeypatch.setattr(upsert, "BULK_ROWS", 1)

    with database.unit_of_work() as session:
        make_world(session)
    row = ("D1", "stalled", "r", Severity.WARNING)
    task = ("D1", "ana", "t", "stalled", NOW)
    with database.unit_of_work() as session:
        FlagRepository(session).insert_many([row, (*row[:1], "no_show", *row[2:])], raised_at=NOW)
        TaskRepository(session).insert_many([task], created_at=NOW)
    later = NOW + timedelta(hours=1)
    with database.unit_of_work() as session:  # two of three flags are open already
        FlagRepository(session).insert_many(
            [
                row,
                ("D1", "no_show", "r", Severity.WARNING),
                ("D1", "gap_too_long", "r", Severity.WARNING),
            ],
            raised_at=later,
        )
        TaskRepository(session).insert_many(
            [task, ("D1", "ana", "t", "no_show", NOW)], created_at=later
        )
    with database.unit_of_work(write=False) as session:
        flags = session.scalars(select(Flag).order_by(Flag.rule)).all()
        assert [(f.rule, f.raised_at, f.severity) for f in flags] == [
            ("gap_too_long", later, Severity.WARNING),
            ("no_show", NOW, Severity.WARNING),
            ("stalled", NOW, Severity.WARNING),
        ]
        assert [(t.rule, t.due_at, t.status) for t in tasks(session)] == [
            ("stalled", NOW, TaskStatus.OPEN),
            ("no_show", NOW, TaskStatus.OPEN),
        ]


def test_the_rules_file_in_the_docs_is_valid(tmp_path: Path) -> None:
    from momentum.rules.config import load_rules

    text = (DOCS / "rules.md").read_text()
    block = re.findall(r"```toml\n(# momentum-rules.toml\n.*?)```", text, flags=re.S)[0]
    path = tmp_path / "momentum-rules.toml"
    path.write_text(block.replace('plugins = ["my_team_rules", "rules/big_deals.py"]', ""))
    rules = load_rules(read_config(path))
    assert rules.options["stalled"].model_dump() == {"enabled": True, "alert": False, "days": 14}
    assert not rules.options["meeting_two_incomplete"].enabled
    assert [rule.key for rule, _ in rules.enabled()] == [
        "meeting_two_not_booked",
        "no_show",
        "gap_too_long",
        "next_step_missing",
        "stalled",
    ]


def test_a_rule_that_fails_midway_keeps_nothing_and_the_store_works_on(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    from momentum.rules.facts import DealFacts
    from momentum.rules.registry import Finding, Rule, RuleContext

    class Explodes(Rule):
        key = "explodes"
        title = "Fails on one deal"

        def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
            if deal.deal_id == "D2":
                raise RuntimeError("a rule's bug")
            return Finding(reason="seen")

    engine = make_engine()
    engine.rule_engine.rules.registry.add(Explodes())
    engine.rule_engine.rules.options["explodes"] = Explodes.Options()
    with database.unit_of_work() as session:
        make_world(session)
    with pytest.raises(RuntimeError, match="a rule's bug"), database.unit_of_work() as session:
        engine.rule_engine.evaluate(session)
    engine.rule_engine.rules.options["explodes"] = Explodes.Options(enabled=False)
    with database.unit_of_work() as session:
        assert session.scalars(select(Flag)).all() == []
        assert engine.rule_engine.evaluate(session).flags_raised > 0


def test_a_flag_on_imported_history_is_as_old_as_its_condition(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    """Meeting one held twelve business days before the first evaluation, meeting two never
    booked: the flag is raised now, but its condition has held since meeting one's end plus
    the grace, and its age counts from then (it showed 0 days after every import)."""
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        # Monday 16 February, 08:00-08:30 UTC; the grace runs to 09:30
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 2, 16, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        make_meeting(
            session,
            deal=world.other_deal,
            start=datetime(2026, 2, 16, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        # raised before the condition's start was recorded
        FlagRepository(session).insert_many(
            [("D2", "meeting_two_not_booked", "old reason", Severity.WARNING)],
            raised_at=NOW - timedelta(days=1),
        )
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        flags = open_flags(session)
        flag = flags[("D1", "meeting_two_not_booked")]
        assert flag.raised_at == NOW
        assert flag.condition_since == datetime(2026, 2, 16, 9, 30, tzinfo=UTC)
        assert flag.since == flag.condition_since
        assert flag.age_days(NOW) == 16
        # the same in a query (what an order by age needs)
        by_query = session.scalar(select(Flag.since).where(Flag.id == flag.id))
        assert by_query == datetime(2026, 2, 16, 9, 30, tzinfo=UTC)
        # an older flag gets its condition's start the next time its rule fires
        older = flags[("D2", "meeting_two_not_booked")]
        assert older.raised_at == NOW - timedelta(days=1)
        assert older.condition_since == datetime(2026, 2, 16, 9, 30, tzinfo=UTC)
        [at_risk] = [d for d in engine.deals(session).at_risk(ADMIN) if d.deal.id == "D1"]
        since = {r.rule: r.since for r in at_risk.reasons}
        assert since["meeting_two_not_booked"] == datetime(2026, 2, 16, 9, 30, tzinfo=UTC)
