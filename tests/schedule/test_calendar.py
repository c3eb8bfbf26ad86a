"""The sales calendar: places in the deal, meeting two's gap, open gaps, shaded days, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import NotFound
from momentum.meeting.models import MeetingStatus
from momentum.meeting.schemas import MeetingState
from momentum.schedule.calendar import DAY_LIMIT, Mode, SalesCalendarService
from momentum.schedule.positions import Place
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.worktime import CalendarPolicy
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting

ANA = Actor(role=Role.REP, rep_id="ana")
BO = Actor(role=Role.REP, rep_id="bo")
MAYA = Actor(role=Role.MANAGER, rep_id="mgr")
ADMIN = Actor.system()


def service(session, clock: FixedClock) -> SalesCalendarService:  # type: ignore[no-untyped-def]
    return SalesCalendarService(
        session, clock=clock, calendar_policy=CalendarPolicy(), target_business_days=5
    )


@pytest.fixture
def world(database: Database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        world = make_world(session)
        world.rep.team = "north"
        world.other.team = "south"
        held = MeetingStatus.HELD
        # D1: meeting one Wednesday 4 March, meeting two Thursday 12 March (6 business days)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
            status=held,
            id="d1-m1",
        )
        make_meeting(
            session, deal=world.deal, start=datetime(2026, 3, 12, 13, 0, tzinfo=UTC), id="d1-m2"
        )
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 3, 13, 13, 0, tzinfo=UTC),
            status=MeetingStatus.CANCELED,
            id="d1-x",
        )
        # D3: meeting one held Monday 2 March, nothing since: an open gap
        gap = make_deal(session, owner=world.rep, id="D3", account="Initech")
        make_meeting(
            session, deal=gap, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), status=held, id="d3-m1"
        )
        # D4: meeting one in February, meeting two on Tuesday 10 March (held earlier: later)
        early = make_deal(session, owner=world.rep, id="D4", account="Umbrella")
        make_meeting(
            session,
            deal=early,
            start=datetime(2026, 2, 2, 9, 0, tzinfo=UTC),
            status=held,
            id="d4-m1",
        )
        make_meeting(
            session,
            deal=early,
            start=datetime(2026, 2, 5, 9, 0, tzinfo=UTC),
            status=held,
            id="d4-m2",
        )
        make_meeting(session, deal=early, start=datetime(2026, 3, 10, 9, 0, tzinfo=UTC), id="d4-m3")
        # Bo's deal: never on Ana's calendar
        make_meeting(
            session,
            deal=world.other_deal,
            start=datetime(2026, 3, 11, 15, 0, tzinfo=UTC),
            id="d2-m1",
        )
        session.flush()
        return world


def meetings(view) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {m.id: m for week in view.weeks for day in week for m in day.meetings}


def test_the_week_shows_each_meetings_place_and_meeting_twos_gap(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        view = service(session, clock).view(ANA, tz="Europe/Berlin", anchor=date(2026, 3, 11))
    assert (view.first, view.last) == (date(2026, 3, 9), date(2026, 3, 15))
    assert view.previous == date(2026, 3, 4) and view.next == date(2026, 3, 18)
    shown = meetings(view)
    assert set(shown) == {"d1-m2", "d1-x", "d4-m3"}
    m2 = shown["d1-m2"]
    assert m2.place is Place.MEETING_TWO and m2.state is MeetingState.UPCOMING
    assert m2.gap_business_days == 6 and m2.over_target
    assert m2.start.hour == 14  # in the viewer's zone
    # every meeting after M1 up to the first held one is a meeting-two attempt
    assert shown["d1-x"].place is Place.MEETING_TWO
    assert shown["d1-x"].state is MeetingState.CANCELED
    assert shown["d4-m3"].place is Place.LATER
    [week] = view.weeks
    assert [d.weekend for d in week] == [False] * 5 + [True] * 2
    assert week[2].is_today is False and week[3].meetings[0].id == "d1-m2"
    assert [g.deal_id for g in view.open_gaps] == ["D3"]
    assert view.open_gaps[0].business_days == 2  # Monday to Wednesday


def test_meeting_one_with_no_meeting_two_is_marked_as_an_open_gap(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        view = service(session, clock).view(ANA, tz="Europe/Berlin", anchor=date(2026, 3, 2))
    shown = meetings(view)
    assert shown["d3-m1"].open_gap and shown["d3-m1"].place is Place.MEETING_ONE
    assert not shown["d1-m1"].open_gap
    assert [d.is_today for d in view.weeks[0]][2] is True  # Wednesday 4 March


def test_the_month_shades_the_reps_holidays(database: Database, clock: FixedClock, world) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        view = service(session, clock).view(
            ANA, tz="Europe/Berlin", anchor=date(2026, 4, 15), mode=Mode.MONTH
        )
    days = {d.day: d for week in view.weeks for d in week}
    assert view.first == date(2026, 3, 30) and view.last == date(2026, 5, 3)
    assert days[date(2026, 4, 3)].holidays == ["Good Friday (DE)"]
    assert days[date(2026, 4, 3)].shaded and not days[date(2026, 4, 2)].shaded
    assert not days[date(2026, 3, 31)].in_range and days[date(2026, 4, 1)].in_range
    assert view.title == "April 2026"


def test_a_manager_filters_by_rep_or_team_within_their_scope(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        calendar = service(session, clock)
        mine = calendar.view(MAYA, tz="Europe/Berlin", anchor=date(2026, 3, 11), rep_id="ana")
        assert "d1-m2" in meetings(mine)
        team = calendar.view(MAYA, tz="Europe/Berlin", anchor=date(2026, 3, 11), team="north")
        assert set(meetings(team)) == set(meetings(mine))
        assert mine.teams == ["north"]  # Bo's team is not Maya's to see
        with pytest.raises(NotFound):
            calendar.view(MAYA, tz="Europe/Berlin", rep_id="bo")
        with pytest.raises(NotFound):
            calendar.view(MAYA, tz="Europe/Berlin", team="south")
        with pytest.raises(NotFound):
            calendar.view(ANA, tz="Europe/Berlin", rep_id="bo")
        everyone = calendar.view(ADMIN, tz="America/New_York", anchor=date(2026, 3, 11))
        assert "d2-m1" in meetings(everyone)
        bo = calendar.view(BO, tz="America/New_York", anchor=date(2026, 3, 11))
        assert set(meetings(bo)) == {"d2-m1"}


def test_a_busy_day_shows_its_first_meetings_and_how_many_more_the_day_view_lists(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    busy = 15  # on Wednesday 18 March, beyond the week's DAY_LIMIT
    with database.unit_of_work() as session:
        for n in range(busy):
            deal = make_deal(session, owner=world.rep, id=f"busy{n:02d}")
            make_meeting(
                session, deal=deal, start=datetime(2026, 3, 18, 7, n, tzinfo=UTC), id=f"b{n:02d}"
            )
    with database.unit_of_work(write=False) as session:
        calendar = service(session, clock)
        week = calendar.view(ANA, tz="Europe/Berlin", anchor=date(2026, 3, 18))
        day = calendar.view(ANA, tz="Europe/Berlin", anchor=date(2026, 3, 18), mode=Mode.DAY)
    [wednesday] = [d for w in week.weeks for d in w if d.day == date(2026, 3, 18)]
    limit = DAY_LIMIT[Mode.WEEK]
    assert [m.id for m in wednesday.meetings] == [f"b{n:02d}" for n in range(limit)]
    assert (wednesday.total, wednesday.more) == (busy, busy - limit)
    [[only]] = day.weeks
    assert only.day == date(2026, 3, 18) and (day.first, day.last) == (only.day, only.day)
    assert [m.id for m in only.meetings] == [f"b{n:02d}" for n in range(busy)]
    assert only.more == 0
