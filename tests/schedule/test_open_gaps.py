"""Open gaps on the calendar are the deals the rules ask to book meeting two for: a canceled
meeting two leaves the deal waiting for one (the audit's historical "M2 booked" counts every
attempt, whatever its status; the live calendar and the rules do not)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Outcome
from momentum.flag.models import Flag
from momentum.meeting.definitions import BOOKED
from momentum.meeting.models import MeetingStatus
from momentum.next_step.models import Side
from momentum.next_step.schemas import AgendaItem, LockIn
from momentum.schedule.calendar import SalesCalendarService
from momentum.schedule.repository import ScheduleRepository
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.worktime import CalendarPolicy
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting

ANA = Actor(role=Role.REP, rep_id="ana")
M1_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday; the clock says Wednesday 10:00
LOCK_IN = LockIn(
    start=datetime(2026, 3, 10, 14, 0),  # Tuesday, 14:00 in Berlin
    agenda=[
        AgendaItem(side=Side.SELLER, text="Your ROI model, with your numbers"),
        AgendaItem(side=Side.BUYER, text="Last quarter's changeover times"),
    ],
    buyer_homework="Invite the plant manager",
)


def calendar(session, clock: FixedClock):  # type: ignore[no-untyped-def]
    service = SalesCalendarService(
        session, clock=clock, calendar_policy=CalendarPolicy(), target_business_days=5
    )
    return service.view(ANA, tz="Europe/Berlin", anchor=date(2026, 3, 2))


def flagged(session) -> set[str]:  # type: ignore[no-untyped-def]
    query = select(Flag.deal_id).where(
        Flag.cleared_at.is_(None), Flag.rule == "meeting_two_not_booked"
    )
    return set(session.scalars(query))


def test_a_canceled_meeting_two_leaves_an_open_gap_as_the_rules_say(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=M1_START, status=MeetingStatus.HELD, id="m1")
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with database.unit_of_work(write=False) as session:
        assert flagged(session) == set()
        view = calendar(session, clock)
        assert view.open_gaps_total == 0
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ANA, booked.meeting.id)
    with database.unit_of_work(write=False) as session:
        assert flagged(session) == {"D1"}  # the rules: "Book meeting two"
        view = calendar(session, clock)
        assert [g.deal_id for g in view.open_gaps] == ["D1"] and view.open_gaps_total == 1
        [m1] = [m for week in view.weeks for day in week for m in day.meetings if m.id == "m1"]
        assert m1.open_gap


@pytest.mark.parametrize("status", list(MeetingStatus))
def test_the_calendars_open_gaps_are_the_deals_the_rules_flag(
    database: Database, make_engine, clock: FixedClock, status: MeetingStatus
) -> None:  # type: ignore[no-untyped-def]
    """Whatever became of the meeting after meeting one, both say the same."""
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        for deal_id, later in (("G1", None), ("G2", status), ("G3", MeetingStatus.CANCELED)):
            deal = make_deal(session, owner=world.rep, id=deal_id, account=f"Account {deal_id}")
            make_meeting(session, deal=deal, start=M1_START, status=MeetingStatus.HELD)
            if later is not None:
                make_meeting(session, deal=deal, start=M1_START + timedelta(days=1), status=later)
            if deal_id == "G3":  # canceled, then booked again
                make_meeting(session, deal=deal, start=M1_START + timedelta(days=3))
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        view = calendar(session, clock)
        gaps = {g.deal_id for g in view.open_gaps}
        assert gaps == flagged(session)
        assert "G1" in gaps and "G3" not in gaps
        assert ("G2" in gaps) is (status is MeetingStatus.CANCELED)


def test_the_candidates_count_a_canceled_later_meeting_as_nothing(
    database: Database,
) -> None:
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=M1_START, status=MeetingStatus.HELD)
        make_meeting(
            session,
            deal=world.deal,
            start=M1_START + timedelta(days=2),
            status=MeetingStatus.CANCELED,
        )
        rows = ScheduleRepository(session).open_gap_candidate_rows(
            None, M1_START - timedelta(days=1), M1_START + timedelta(days=7)
        )
    assert {row[1] for row in rows} == {"D1"} and len(rows) == 2


@pytest.mark.parametrize("owners", [None, frozenset({"ana"})])
def test_the_candidates_are_the_open_deals_with_a_held_meeting_nothing_is_booked_after(
    database: Database, owners: frozenset[str] | None
) -> None:
    """On made-up histories, the store's candidates are those the docstring defines, found
    meeting by meeting: the open deals in scope with a held meeting starting in the window
    and no booked meeting starting after it ended, each with all of its meetings."""
    rng = random.Random(15)
    start, end = M1_START - timedelta(days=14), M1_START + timedelta(days=7)
    histories: dict[str, tuple[str, Outcome, list[tuple[datetime, datetime, str]]]] = {}
    with database.unit_of_work() as session:
        world = make_world(session)
        for n in range(120):
            owner = rng.choice([world.rep, world.other])
            outcome = rng.choice([Outcome.OPEN, Outcome.OPEN, Outcome.OPEN, Outcome.LOST])
            deal = make_deal(session, owner=owner, id=f"R{n:03d}", outcome=outcome)
            meetings = []
            for _ in range(rng.randint(0, 5)):
                begins = M1_START + timedelta(hours=rng.randint(-40 * 24, 20 * 24))
                status = rng.choice(list(MeetingStatus))
                meeting = make_meeting(
                    session, deal=deal, start=begins, minutes=rng.choice([30, 60]), status=status
                )
                meetings.append((meeting.start_at, meeting.end_at, status.value))
            histories[deal.id] = (owner.id, outcome, meetings)
    with database.unit_of_work(write=False) as session:
        rows = ScheduleRepository(session).open_gap_candidate_rows(owners, start, end)
    expected = {
        deal_id
        for deal_id, (owner_id, outcome, meetings) in histories.items()
        if outcome is Outcome.OPEN
        and (owners is None or owner_id in owners)
        and any(
            status == "held"
            and start <= held_start < end
            and not any(later[2] in BOOKED and later[0] > held_end for later in meetings)
            for held_start, held_end, status in meetings
        )
    }
    assert 5 < len(expected) < 60  # the histories give both kinds
    assert {row[1] for row in rows} == expected
    assert len(rows) == sum(len(histories[deal_id][2]) for deal_id in expected)


def test_a_closed_deal_shown_on_the_calendar_is_no_open_gap(
    database: Database, clock: FixedClock
) -> None:
    with database.unit_of_work() as session:
        world = make_world(session)
        lost = make_deal(
            session, owner=world.rep, id="L1", outcome=Outcome.LOST, closed_at=M1_START
        )
        make_meeting(session, deal=lost, start=M1_START, status=MeetingStatus.HELD, id="l1-m1")
    with database.unit_of_work(write=False) as session:
        view = calendar(session, clock)
    [m1] = [m for week in view.weeks for day in week for m in day.meetings]
    assert m1.id == "l1-m1" and not m1.open_gap
    assert view.open_gaps == [] and view.open_gaps_total == 0


def test_a_canceled_attempt_books_nothing() -> None:
    assert MeetingStatus.CANCELED not in BOOKED
    assert set(MeetingStatus) - {MeetingStatus.CANCELED} == BOOKED
