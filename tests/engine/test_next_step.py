"""Locking in meeting two, rescheduling, canceling, outcomes: the domain API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.schemas import DealQuery
from momentum.errors import Conflict, NotFound
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.meeting.schemas import MeetingState
from momentum.next_step.models import NextStep, NextStepStatus, Side
from momentum.next_step.schemas import AgendaItem, LockIn
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role, User
from momentum.user.schemas import Actor
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting

ANA = Actor(role=Role.REP, rep_id="ana")
BO = Actor(role=Role.REP, rep_id="bo")

LOCK_IN = LockIn(
    start=datetime(2026, 3, 10, 14, 0),  # Tuesday, 14:00 in Berlin
    minutes=45,
    agenda=[
        AgendaItem(side=Side.SELLER, text="Your ROI model, with your numbers"),
        AgendaItem(side=Side.BUYER, text="Last quarter's changeover times"),
    ],
    buyer_homework="Invite the plant manager",
)


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_lock_in_writes_meeting_step_reminders_and_invitation_in_one_unit(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        result = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    assert result.meeting.start_at == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # CET
    assert result.meeting.end_at - result.meeting.start_at == timedelta(minutes=45)
    assert result.meeting.state is MeetingState.UPCOMING
    assert result.meeting.agenda == (
        "Seller: Your ROI model, with your numbers\nBuyer: Last quarter's changeover times"
    )
    kinds = {r.kind: r for r in result.reminders}
    # two business days before Tuesday the 10th is Friday the 6th; 09:00 Berlin is 08:00 UTC
    assert kinds[ReminderKind.VALUE].due_at == datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    assert kinds[ReminderKind.CONFIRMATION].due_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert kinds[ReminderKind.VALUE].value_asset_id is not None
    with database.unit_of_work(write=False) as session:
        messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.due_at)).all()
        assert [m.kind for m in messages] == [
            MessageKind.INVITATION,
            MessageKind.VALUE_REMINDER,
            MessageKind.CONFIRMATION,
        ]
        assert all(m.recipients == ["buyer@acme.test"] for m in messages)
        step = session.scalars(select(NextStep)).one()
        assert step.meeting_id == result.meeting.id
        assert step.buyer_homework == "Invite the plant manager"


def test_a_failed_lock_in_leaves_nothing_behind(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)

    def book_then_fail() -> None:
        with database.unit_of_work() as session:
            engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
            raise RuntimeError("the request failed after the service ran")

    with pytest.raises(RuntimeError):
        book_then_fail()
    with database.unit_of_work(write=False) as session:
        for model in (Meeting, NextStep, Reminder, OutboxMessage):
            assert count(session, model) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": datetime(2026, 3, 4, 9, 0, tzinfo=UTC)}, "in the future"),
        ({"value_asset_id": 999}, "no value asset"),
    ],
)
def test_lock_in_refuses_what_cannot_be_booked(
    database: Database, make_engine, change: dict, message: str
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with pytest.raises((Conflict, NotFound), match=message), database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(
            ANA, "D1", LOCK_IN.model_copy(update=change)
        )


def test_lock_in_needs_a_buyer_and_an_open_deal_and_no_second_booking(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_deal(session, owner=world.rep, id="NOBODY")
    with pytest.raises(Conflict, match="no buyer contact"), database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "NOBODY", LOCK_IN)
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with pytest.raises(Conflict, match="reschedule it instead"), database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)


def test_attendees_become_contacts(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_deal(session, owner=world.rep, id="NEW")
    lock_in = LockIn.model_validate(
        {**LOCK_IN.model_dump(), "attendees": [{"email": "Dana@New.test", "name": "Dana"}]}
    )
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "NEW", lock_in)
    with database.unit_of_work(write=False) as session:
        invitation = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert invitation.recipients == ["dana@new.test"]


def test_a_rep_cannot_book_on_another_reps_deal(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with pytest.raises(NotFound), database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(BO, "D1", LOCK_IN)


def test_reschedule_keeps_the_uid_raises_the_sequence_and_moves_the_reminders(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with database.unit_of_work() as session:
        moved = engine.meetings(session).reschedule(
            ANA, booked.meeting.id, start=datetime(2026, 3, 12, 10, 0)
        )
        new_id = moved.meeting.id
    with database.unit_of_work(write=False) as session:
        old = session.get(Meeting, booked.meeting.id)
        new = session.get(Meeting, new_id)
        assert old is not None and new is not None
        assert old.status is MeetingStatus.RESCHEDULED and old.rescheduled_to_id == new.id
        assert new.ical_uid == old.ical_uid and new.sequence == 1
        assert new.end_at - new.start_at == timedelta(minutes=45)
        assert new.agenda == old.agenda and new.homework == old.homework
        reminders = session.scalars(select(Reminder).order_by(Reminder.id)).all()
        assert [(r.meeting_id, r.status) for r in reminders] == [
            (old.id, ReminderStatus.WITHDRAWN),
            (old.id, ReminderStatus.WITHDRAWN),
            (new.id, ReminderStatus.PENDING),
            (new.id, ReminderStatus.PENDING),
        ]
        assert [r.due_at for r in reminders[2:]] == [
            datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
            datetime(2026, 3, 11, 8, 0, tzinfo=UTC),
        ]
        statuses = {
            (m.meeting_id, m.kind): m.status for m in session.scalars(select(OutboxMessage))
        }
        assert statuses[(old.id, MessageKind.INVITATION)] is MessageStatus.WITHDRAWN
        assert statuses[(old.id, MessageKind.VALUE_REMINDER)] is MessageStatus.WITHDRAWN
        assert statuses[(new.id, MessageKind.INVITATION)] is MessageStatus.PENDING
        step = session.scalars(select(NextStep)).one()
        assert step.meeting_id == new.id and step.due_at == new.start_at


def test_cancel_withdraws_reminders_and_queues_the_cancellation(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with database.unit_of_work() as session:
        view = engine.meetings(session).cancel(ANA, booked.meeting.id)
    assert view.state is MeetingState.CANCELED
    with database.unit_of_work(write=False) as session:
        assert {r.status for r in session.scalars(select(Reminder))} == {ReminderStatus.WITHDRAWN}
        cancel = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLATION)
        ).one()
        assert cancel.payload == {"method": "CANCEL", "sequence": 1}
        assert session.scalars(select(NextStep)).one().status is NextStepStatus.CANCELED
    with pytest.raises(Conflict, match="canceled"), database.unit_of_work() as session:
        engine.meetings(session).reschedule(ANA, booked.meeting.id, start=datetime(2026, 3, 12, 10))


def test_a_past_meeting_awaits_its_outcome_until_marked(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with pytest.raises(Conflict, match="not started"), database.unit_of_work() as session:
        engine.meetings(session).mark_held(ANA, booked.meeting.id)
    clock.set(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    with database.unit_of_work(write=False) as session:
        waiting = engine.meetings(session).awaiting_outcome(ANA)
        assert [(m.id, m.state, m.status) for m in waiting] == [
            (booked.meeting.id, MeetingState.AWAITING_OUTCOME, MeetingStatus.SCHEDULED)
        ]
        assert engine.meetings(session).awaiting_outcome(BO) == []
    with database.unit_of_work() as session:
        held = engine.meetings(session).mark_held(ANA, booked.meeting.id)
    assert held.state is MeetingState.HELD
    with database.unit_of_work(write=False) as session:
        assert engine.meetings(session).awaiting_outcome(ANA) == []
        assert session.scalars(select(NextStep)).one().status is NextStepStatus.DONE


def test_set_task_is_a_next_step_with_a_due_date(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        assert [d.id for d in engine.deals(session).without_next_step(ANA)] == ["D1"]
        step = engine.next_steps(session).set_task(
            ANA, "D1", title="Send the proposal", due_at=NOW + timedelta(days=2)
        )
        assert step.task_id is not None
    with database.unit_of_work(write=False) as session:
        assert engine.deals(session).without_next_step(ANA) == []
        assert [t.title for t in engine.tasks(session).tasks_for(ANA)] == ["Send the proposal"]


def test_a_task_step_done_leaves_the_deal_without_a_next_step(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    """Completing the task that is the deal's next step completes the step: the deal needs a
    new one, and the rules see that (before, the step stayed open and the deal looked fine)."""
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        step = engine.next_steps(session).set_task(
            ANA, "D1", title="Send the proposal", due_at=NOW + timedelta(days=2)
        )
        assert step.task_id is not None
        engine.tasks(session).complete(ANA, step.task_id)
    with database.unit_of_work(write=False) as session:
        done = session.get(NextStep, step.id)
        assert done is not None and done.status is NextStepStatus.DONE
        assert done.closed_at is not None
        assert [d.id for d in engine.deals(session).without_next_step(ANA)] == ["D1"]


def test_imported_meeting_in_the_past_is_never_counted_as_held(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=NOW - timedelta(days=1))
    with database.unit_of_work(write=False) as session:
        [waiting] = engine.meetings(session).awaiting_outcome(Actor.system())
        assert waiting.status is MeetingStatus.SCHEDULED
        assert waiting.state is MeetingState.AWAITING_OUTCOME


def test_an_agenda_line_names_its_side_in_any_case() -> None:
    """'SELLER: caps' stayed a line of no side, shown under the seller with its prefix."""
    from momentum.next_step.models import Side
    from momentum.next_step.schemas import is_two_sided, parse_agenda

    text = "SELLER: Their ROI model\nbuyer : Last quarter's volumes\nA walk through the plant"
    assert parse_agenda(text) == [
        (Side.SELLER, "Their ROI model"),
        (Side.BUYER, "Last quarter's volumes"),
        (None, "A walk through the plant"),
    ]
    assert is_two_sided(text)


def _signed_in(session, *, email: str, name: str | None, rep_id: str) -> Actor:  # type: ignore[no-untyped-def]
    """A rep's user, acting as the web app and the API make them act."""
    user = User(
        email=email,
        name=name,
        password_hash="never used to sign in",
        role=Role.REP,
        rep_id=rep_id,
        active=True,
        created_at=NOW,
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def test_each_status_change_records_the_user_who_made_it(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """The history said what made a change ("app") but not who: the deal's timeline could not
    tell who marked the meeting a no-show. The command line and the system act as nobody."""
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
        ana = _signed_in(session, email="ana@seller.test", name="Ana Rep", rep_id="ana")
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ana, "D1", LOCK_IN)
    with database.unit_of_work() as session:
        moved = engine.meetings(session).reschedule(
            Actor.system(), booked.meeting.id, start=datetime(2026, 3, 11, 14, 0)
        )
    clock.set(datetime(2026, 3, 11, 13, 30, tzinfo=UTC))  # it started at 13:00 UTC
    with database.unit_of_work() as session:
        engine.meetings(session).mark_no_show(ana, moved.meeting.id)
    with database.unit_of_work(write=False) as session:
        changes = session.scalars(
            select(MeetingStatusChange).order_by(MeetingStatusChange.id)
        ).all()
        assert [(c.to_status, c.source, c.changed_by_user_id) for c in changes] == [
            (MeetingStatus.SCHEDULED, "app", ana.user_id),
            (MeetingStatus.RESCHEDULED, "app", None),
            (MeetingStatus.SCHEDULED, "app", None),
            (MeetingStatus.NO_SHOW, "app", ana.user_id),
        ]


def test_a_new_next_step_supersedes_the_open_one(
    database: Database, make_engine, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """A deal has one next step. Setting a second left the first open: the deal showed two,
    and its soonest (the old one) was taken for the deal's next step, overdue or not."""
    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    with database.unit_of_work() as session:
        first = engine.next_steps(session).set_task(
            ANA, "D1", title="Send the proposal", due_at=NOW + timedelta(days=1)
        )
    clock.advance(timedelta(hours=1))
    with database.unit_of_work() as session:
        second = engine.next_steps(session).set_task(
            ANA, "D1", title="Call the CFO", due_at=NOW + timedelta(days=5)
        )
    with database.unit_of_work(write=False) as session:
        assert [s.id for s in engine.next_steps(session).open_steps(ANA, "D1")] == [second.id]
        old = session.get(NextStep, first.id)
        assert old is not None and old.status is NextStepStatus.SUPERSEDED
        assert old.closed_at == NOW + timedelta(hours=1)  # kept, with when it was replaced
        old_task = session.get(Task, first.task_id)
        assert old_task is not None and old_task.status is TaskStatus.CANCELED
        assert old_task.closed_reason == "superseded by a new next step"
        assert [t.title for t in engine.tasks(session).tasks_for(ANA)] == ["Call the CFO"]
        [row] = [
            r for r in engine.deals(session).list_deals(ANA, DealQuery()).items if r.id == "D1"
        ]
        assert row.next_step is not None and row.next_step.title == "Call the CFO"
    with database.unit_of_work() as session:
        locked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with database.unit_of_work(write=False) as session:
        steps = {s.id: s for s in session.scalars(select(NextStep))}
        assert steps[second.id].status is NextStepStatus.SUPERSEDED
        assert steps[locked.next_step.id].status is NextStepStatus.OPEN
        assert session.get(Task, second.task_id).status is TaskStatus.CANCELED  # type: ignore[union-attr]
    # the booked meeting is the next step until it is moved, canceled or held
    with pytest.raises(Conflict, match="move or cancel it"), database.unit_of_work() as session:
        engine.next_steps(session).set_task(
            ANA, "D1", title="Send the deck", due_at=NOW + timedelta(days=2)
        )


def test_a_wall_clock_time_the_clocks_skip_is_refused_not_moved(
    database: Database, make_engine
) -> None:  # type: ignore[no-untyped-def]
    from momentum.errors import InputError

    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
    # 02:30 on 29 March 2026 does not happen in Berlin: the clocks go from 02:00 to 03:00
    skipped = LOCK_IN.model_copy(update={"start": datetime(2026, 3, 29, 2, 30)})
    with database.unit_of_work() as session, pytest.raises(InputError) as refused:
        engine.next_steps(session).lock_in_next_meeting(ANA, "D1", skipped)
    assert refused.value.message == (
        "start: 2026-03-29 02:30 does not exist in Europe/Berlin: the clocks go forward over it"
    )
    with database.unit_of_work() as session:
        booked = engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN).meeting.id
    with database.unit_of_work() as session, pytest.raises(InputError):
        engine.meetings(session).reschedule(ANA, booked, start=datetime(2026, 3, 29, 2, 30))
    # an hour that happens twice (the clocks go back) is taken at its first occurrence
    with database.unit_of_work() as session:
        moved = engine.meetings(session).reschedule(
            ANA, booked, start=datetime(2026, 10, 25, 2, 30)
        )
        assert moved.meeting.start_at.replace(tzinfo=UTC) == datetime(
            2026, 10, 25, 0, 30, tzinfo=UTC
        )
