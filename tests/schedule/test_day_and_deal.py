"""A rep's day and one deal's timeline, after locking in meeting two through the services the
command line uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import NotFound
from momentum.localtime import zone
from momentum.meeting.models import MeetingStatus
from momentum.meeting.schemas import MeetingState
from momentum.next_step.schemas import LockIn
from momentum.schedule.positions import Place
from momentum.schedule.states import Delivery
from momentum.schedule.timeline import DealTimelineService
from momentum.schedule.today import COMING_LIMIT, PAGE_SIZE, TodayService
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.worktime import CalendarPolicy
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting

ANA = Actor(role=Role.REP, rep_id="ana")
BO = Actor(role=Role.REP, rep_id="bo")
LOCK_IN = LockIn.model_validate(
    {
        "start": "2026-03-10T14:00:00",
        "agenda": [
            {"side": "seller", "text": "Your ROI model"},
            {"side": "buyer", "text": "Changeover times"},
        ],
        "buyer_homework": "Invite the plant manager",
        "location": "Acme HQ, room 4",
    }
)


def services(session, clock: FixedClock):  # type: ignore[no-untyped-def]
    options = {"clock": clock, "calendar_policy": CalendarPolicy(), "target_business_days": 5}
    return TodayService(session, **options), DealTimelineService(session, **options)


@pytest.fixture
def world(database: Database, make_engine):  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
            id="m1",
        )
        waiting = make_deal(session, owner=world.rep, id="D3", account="Initech")
        make_meeting(session, deal=waiting, start=NOW - timedelta(hours=1), id="started")
        session.add(
            Task(
                deal_id="D3",
                owner_id="ana",
                title="Set the next step for Initech",
                rule="next_step_missing",
                due_at=NOW - timedelta(days=1),
                status=TaskStatus.OPEN,
                created_at=NOW - timedelta(days=2),
            )
        )
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    return world


def test_today_lists_tasks_meetings_awaiting_an_outcome_and_coming_second_meetings(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        today, _ = services(session, clock)
        day = today.today(ANA, tz="Europe/Berlin")
    assert day.today == NOW.date()
    [task] = [t for t in day.tasks if t.deal_id == "D3"]
    assert task.lock_in and task.overdue and task.deal_label == "Initech"
    assert [m.id for m in day.awaiting] == ["started"]
    assert day.awaiting[0].place is Place.MEETING_ONE
    [coming] = day.coming
    assert coming.deal_label == "Acme Tools"
    assert coming.start.hour == 14 and coming.location == "Acme HQ, room 4"
    assert coming.agenda_seller == ["Your ROI model"]
    assert coming.agenda_buyer == ["Changeover times"]
    assert coming.homework == "Invite the plant manager"
    assert coming.asset is not None and coming.asset.title == "What plants like yours saved"
    assert [(s.label, s.delivery) for s in coming.messages] == [
        ("Invitation", Delivery.QUEUED),
        ("Value reminder", Delivery.QUEUED),
        ("Confirmation", Delivery.QUEUED),
    ]
    assert coming.gap_business_days == 4 and not coming.over_target
    # her own day names nobody; her manager's says whose each item is
    assert {task.owner, day.awaiting[0].owner, coming.owner} == {None}
    with database.unit_of_work(write=False) as session:
        today, _ = services(session, clock)
        managers = today.today(Actor(role=Role.MANAGER, rep_id="mgr"), tz="Europe/Berlin")
        assert {t.owner for t in managers.tasks} == {"Ana Rep"}
        assert [m.owner for m in managers.awaiting] == ["Ana Rep"]
        assert [c.owner for c in managers.coming] == ["Ana Rep"]
        narrowed = today.today(Actor(role=Role.MANAGER, rep_id="mgr"), tz="UTC", rep_id="ana")
        assert {t.owner for t in narrowed.tasks} | {c.owner for c in narrowed.coming} == {None}
        assert today.today(BO, tz="UTC").coming == []
        with pytest.raises(NotFound):
            today.today(BO, tz="UTC", rep_id="ana")


def test_the_deal_page_tells_the_deals_story_in_one_timeline(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work(write=False) as session:
        _, timelines = services(session, clock)
        page = timelines.timeline(ANA, "D1", tz="Europe/Berlin")
    assert page.label == "Acme Tools" and page.owner.id == "ana"
    assert (page.meetings[0].id, page.meetings[0].place) == ("m1", Place.MEETING_ONE)
    two = page.meetings[1]
    assert two.place is Place.MEETING_TWO and two.state is MeetingState.UPCOMING
    assert two.location == "Acme HQ, room 4" and two.gap_business_days == 4
    assert page.upcoming is two and not page.can_lock_in
    assert [h.after for h in two.history] == [MeetingStatus.SCHEDULED]
    kinds = {e.kind for e in page.events}
    assert {"meeting", "booking", "next_step", "message"} <= kinds
    assert any(e.title == "Invitation for meeting two: queued" for e in page.events)
    assert page.events == sorted(page.events, key=lambda e: e.at, reverse=True)
    assert [c.email for c in page.contacts] == ["buyer@acme.test"]
    with database.unit_of_work(write=False) as session:
        _, timelines = services(session, clock)
        with pytest.raises(NotFound):
            timelines.timeline(BO, "D1", tz="UTC")


def test_a_moved_next_step_keeps_the_date_it_was_set_for_and_shows_each_move(
    database: Database, clock: FixedClock, world, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work(write=False) as session:
        [step] = engine.next_steps(session).open_steps(ANA, "D1")
    moves = [datetime(2026, 3, 12, 10, 0), datetime(2026, 3, 13, 9, 0)]
    for day, start in enumerate(moves, start=1):
        clock.set(NOW + timedelta(days=day))
        with database.unit_of_work() as session:
            engine.meetings(session).reschedule(ANA, step.meeting_id or "", start=start)
            [step] = engine.next_steps(session).open_steps(ANA, "D1")
    with database.unit_of_work(write=False) as session:
        _, timelines = services(session, clock)
        page = timelines.timeline(ANA, "D1", tz="Europe/Berlin")
    told = [(e.at, e.title, e.detail) for e in reversed(page.events) if e.kind == "next_step"]
    berlin = zone("Europe/Berlin")
    assert told == [
        (
            NOW.astimezone(berlin),
            "Next step set: Meeting two on Tue 10 Mar, 14:00 CET (Europe/Berlin)",
            "Buyer homework: Invite the plant manager",
        ),
        (
            (NOW + timedelta(days=1)).astimezone(berlin),
            "Next step moved to Thu 12 Mar, 10:00 CET (Europe/Berlin)",
            "from Tue 10 Mar, 14:00 CET (Europe/Berlin) · by app",
        ),
        (
            (NOW + timedelta(days=2)).astimezone(berlin),
            "Next step moved to Fri 13 Mar, 09:00 CET (Europe/Berlin)",
            "from Thu 12 Mar, 10:00 CET (Europe/Berlin) · by app",
        ),
    ]
    assert [s.due_at for s in page.open_steps] == [datetime(2026, 3, 13, 8, 0, tzinfo=UTC)]


def test_the_deal_marks_its_open_tasks_that_are_overdue(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        session.add(
            Task(
                deal_id="D3",
                owner_id="ana",
                title="Send the case study",
                rule=None,
                due_at=NOW + timedelta(days=2),
                status=TaskStatus.OPEN,
                created_at=NOW,
            )
        )
    with database.unit_of_work(write=False) as session:
        _, timelines = services(session, clock)
        page = timelines.timeline(ANA, "D3", tz="Europe/Berlin")
    overdue = {t.title for t in page.open_tasks if t.id in page.overdue_tasks}
    assert overdue == {"Set the next step for Initech"}  # due yesterday; the other in two days
    assert len(page.open_tasks) == 2


def test_a_deal_with_meeting_one_held_and_nothing_booked_shows_its_open_gap(
    database: Database, clock: FixedClock, make_engine
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(
            session,
            deal=world.deal,
            start=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
    with database.unit_of_work(write=False) as session:
        _, timelines = services(session, clock)
        page = timelines.timeline(ANA, "D1", tz="Europe/Berlin")
    assert page.open_gap and page.can_lock_in and page.upcoming is None


def test_today_pages_the_tasks_earliest_due_first_and_counts_them(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        for n in range(PAGE_SIZE + 10):  # half overdue, half due later, added out of order
            session.add(
                Task(
                    deal_id="D3",
                    owner_id="ana",
                    title=f"Call back {n}",
                    due_at=NOW + timedelta(hours=n - 35 if n % 2 else 35 - n),
                    status=TaskStatus.OPEN,
                    created_at=NOW - timedelta(days=2),
                )
            )
    with database.unit_of_work(write=False) as session:
        today, _ = services(session, clock)
        first, second = today.today(ANA, tz="UTC"), today.today(ANA, tz="UTC", page=2)
        past_the_end = today.today(ANA, tz="UTC", page=3)
    total = PAGE_SIZE + 11  # and the world's own task
    assert first.tasks_total == second.tasks_total == past_the_end.tasks_total == total
    assert past_the_end.tasks == [] and past_the_end.awaiting_total == 1
    assert (len(first.tasks), len(second.tasks)) == (PAGE_SIZE, total - PAGE_SIZE)
    shown = first.tasks + second.tasks
    assert len({t.id for t in shown}) == total
    assert [t.due for t in shown] == sorted(t.due for t in shown)
    assert first.tasks[0].overdue and not second.tasks[-1].overdue
    assert (first.pages, first.first_shown, second.first_shown) == (2, 1, PAGE_SIZE + 1)


def test_today_names_each_tasks_deal_and_offers_the_lock_in_only_with_a_deal(
    database: Database, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        make_deal(session, owner=world.rep, id="named", name="Plant upgrade")
        make_deal(session, owner=world.rep, id="bare")
        for n, deal_id in enumerate(("named", "bare", None)):
            session.add(
                Task(
                    deal_id=deal_id,
                    owner_id="ana",
                    title=f"Task {n}",
                    rule="meeting_two_not_booked",
                    due_at=NOW - timedelta(days=10 - n),
                    status=TaskStatus.OPEN,
                    created_at=NOW - timedelta(days=11),
                )
            )
    with database.unit_of_work(write=False) as session:
        today, _ = services(session, clock)
        day = today.today(ANA, tz="UTC")
    shown = [(t.title, t.deal_id, t.deal_label, t.lock_in) for t in day.tasks[:3]]
    assert shown == [
        ("Task 0", "named", "Plant upgrade", True),  # no account: the deal's name
        ("Task 1", "bare", "bare", True),  # neither: its id
        ("Task 2", None, None, False),  # no deal: nothing to lock in
    ]


def test_today_lists_the_next_second_meetings_and_says_there_are_more(
    database: Database, clock: FixedClock, world, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("momentum.schedule.today._COMING_BATCH", 7)  # read in many batches
    with database.unit_of_work() as session:
        for n in range(COMING_LIMIT + 5):
            deal = make_deal(session, owner=world.rep, id=f"next{n:02d}")
            make_meeting(
                session, deal=deal, start=NOW - timedelta(days=2), status=MeetingStatus.HELD
            )
            make_meeting(
                session, deal=deal, start=NOW + timedelta(days=3, minutes=n), id=f"next{n:02d}-m2"
            )
            # a deal past meeting two, with a later meeting among them: not listed
            done = make_deal(session, owner=world.rep, id=f"done{n:02d}")
            for days in (3, 2):
                make_meeting(
                    session, deal=done, start=NOW - timedelta(days=days), status=MeetingStatus.HELD
                )
            make_meeting(session, deal=done, start=NOW + timedelta(days=3, minutes=n, seconds=1))
    with database.unit_of_work(write=False) as session:
        today, _ = services(session, clock)
        day = today.today(ANA, tz="UTC")
    assert day.coming_more
    # the earliest first: these come before the world's own meeting two (10 March)
    assert [c.id for c in day.coming] == [f"next{n:02d}-m2" for n in range(COMING_LIMIT)]
