"""Slots for meeting two and the warnings for a time picked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import NotFound
from momentum.meeting.models import MeetingStatus
from momentum.schedule.slots import SlotService
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.worktime import CalendarPolicy
from tests.engine.world import make_contact, make_world
from tests.factories import make_deal, make_meeting

ANA = Actor(role=Role.REP, rep_id="ana")
BO = Actor(role=Role.REP, rep_id="bo")
# NOW is Wednesday 4 March 2026, 10:00 UTC (11:00 in Berlin)
M1_START = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 Berlin


def service(session, clock: FixedClock) -> SlotService:  # type: ignore[no-untyped-def]
    return SlotService(
        session, clock=clock, calendar_policy=CalendarPolicy(), target_business_days=5
    )


@pytest.fixture
def world(database: Database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=M1_START, status=MeetingStatus.HELD, id="m1")
        # Ana is busy on Monday 9 March, 10:00-10:30 Berlin, on another deal
        other = make_deal(session, owner=world.rep, id="D3", account="Initech")
        make_meeting(session, deal=other, start=datetime(2026, 3, 9, 9, 0, tzinfo=UTC), id="busy")
        # a canceled meeting does not take up her time
        make_meeting(
            session,
            deal=other,
            start=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            status=MeetingStatus.CANCELED,
        )
        make_contact(session, deal=world.deal, email="cto@acme.test").timezone = "America/New_York"
        session.flush()
        return world


def test_slots_fall_three_to_five_business_days_after_meeting_one(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        found = service(session, clock).suggest(ANA, "D1", minutes=30)
        assert found.meeting_one is not None and found.meeting_one.id == "m1"
        assert [d.day for d in found.days] == [
            date(2026, 3, 9),
            date(2026, 3, 10),
            date(2026, 3, 11),
        ]
        assert [d.business_days for d in found.days] == [3, 4, 5]
        monday, tuesday, _ = found.days
        hours = [(s.start + timedelta(hours=1)).hour for s in monday.slots]  # CET = UTC+1
        assert hours == [9, 11, 12, 13, 14, 15, 16]  # the busy hour is left out
        assert len(tuesday.slots) == 8  # a canceled meeting takes no time
        first = monday.slots[0]
        assert first.rep_time == "Mon 9 Mar, 09:00 CET (Europe/Berlin)"
        assert first.buyer_times == ["Mon 9 Mar, 04:00 EDT (America/New_York)"]
        assert (first.rep_clock, first.buyer_clocks) == ("09:00 CET", ["04:00 EDT"])
        assert (
            "outside the buyer's working hours (09:00–17:00): 04:00 EDT for the buyer (America/New_York)"
            in first.warnings
        )
        assert found.buyer_zones == ["America/New_York"]
        # a buyer in Tokyo is already on the next day at 16:00 in Berlin: the day is named
        tokyo = service(session, clock).suggest(ANA, "D1", minutes=30, buyer_zones=["Asia/Tokyo"])
        last = tokyo.days[0].slots[-1]
        assert (last.rep_clock, last.buyer_clocks) == ("16:00 CET", ["Tue 00:00 JST"])
        assert tokyo.days[0].slots[0].buyer_clocks == ["17:00 JST"]


def test_picked_times_warn_but_are_not_refused(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        slots = service(session, clock)
        saturday = slots.check(ANA, "D1", datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
        assert "Saturday is not a business day for Ana Rep" in saturday.warnings
        good_friday = slots.check(ANA, "D1", datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
        assert any("public holiday (Good Friday)" in w for w in good_friday.warnings)
        assert any("beyond the target of 5" in w for w in good_friday.warnings)
        evening = slots.check(ANA, "D1", datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
        assert any(w.startswith("outside Ana Rep's working hours") for w in evening.warnings)
        clash = slots.check(ANA, "D1", datetime(2026, 3, 9, 9, 15, tzinfo=UTC))
        assert "overlaps Ana Rep's meeting at 10:00 CET" in clash.warnings
        fine = slots.check(ANA, "D1", datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
        assert fine.business_days == 4
        assert fine.warnings == []  # 15:00 Berlin, 10:00 in New York
        past = slots.check(ANA, "D1", datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
        assert past.warnings[0].startswith("this time has passed")


def test_meeting_one_not_marked_yet_counts_and_no_meeting_one_counts_from_today(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    with database.unit_of_work(write=False) as session:
        slots = service(session, clock)
        found = slots.suggest(ANA, "D1")
        assert found.meeting_one is not None  # the rep is in it: 10:30 Berlin, started
        assert found.days[0].day == date(2026, 3, 9)
        nothing = slots.suggest(BO, "D2")
        assert nothing.meeting_one is None
        # from today (Wednesday 4 March in New York): Thursday, Friday, Monday
        assert [d.day for d in nothing.days] == [
            date(2026, 3, 5),
            date(2026, 3, 6),
            date(2026, 3, 9),
        ]
        assert all(d.business_days is None for d in nothing.days)


def test_a_deal_outside_the_scope_is_not_found(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        with pytest.raises(NotFound):
            service(session, clock).suggest(BO, "D1")
        with pytest.raises(NotFound):
            service(session, clock).check(BO, "D1", datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
        with pytest.raises(NotFound):
            service(session, clock).suggest(ANA, "nope")


def test_a_rep_s_own_working_hours_place_the_slots_and_the_warnings(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    from datetime import time

    from momentum.rep.models import Rep

    with database.unit_of_work() as session:
        ana = session.get(Rep, "ana")
        assert ana is not None
        ana.work_start, ana.work_end = time(7, 30), time(11, 0)
    with database.unit_of_work(write=False) as session:
        slots = service(session, clock)
        found = slots.suggest(ANA, "D1", minutes=30)
        monday = found.days[0]
        # every hour from 07:30 to the last half hour before 11:00 Berlin, clear of 10:00-10:30
        local = [(s.start + timedelta(hours=1)).strftime("%H:%M") for s in monday.slots]
        assert local == ["07:30", "08:30", "09:30", "10:30"]
        late = slots.check(ANA, "D1", datetime(2026, 3, 10, 13, 0, tzinfo=UTC), minutes=30)
        assert "outside Ana Rep's working hours (07:30–11:00 Europe/Berlin)" in late.warnings


def test_once_meeting_two_was_held_the_next_booking_is_a_later_meeting(
    database: Database, clock: FixedClock
) -> None:
    """It was titled and warned as meeting two: "15 business days after meeting one: beyond
    the target of 5" on every slot of a deal whose meeting two had taken place."""
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 2, 9, 9, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 2, 11, 9, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
    with database.unit_of_work(write=False) as session:
        slots = service(session, clock)
        found = slots.suggest(ANA, "D1")
        assert found.later and found.meeting_one is None
        assert all(d.business_days is None for d in found.days)
        picked = slots.check(ANA, "D1", datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
        assert not any("after meeting one" in w for w in picked.warnings)
        assert slots.gap_from("D1") == (None, True) and not slots.gap_from("D2")[1]
