"""The next step on a deal: lock in the next meeting in one call, or set a task with a date.

A deal has one next step (docs/rules.md: "a future meeting, or a task with a due date"):
setting a new one closes the open one as ``superseded``, kept with when it was closed for the
deal's timeline; a task that was the next step is canceled with it. A booked meeting still
to come is the deal's next step until it is moved, canceled or held: a task cannot replace
it, and neither can another lock-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.changes import mark_changed
from momentum.deal.models import Outcome
from momentum.errors import Conflict
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.meeting.repository import MeetingRepository
from momentum.meeting.service import MeetingService, as_instant
from momentum.next_step.models import NextStep, NextStepKind, NextStepStatus, Side
from momentum.next_step.repository import NextStepRepository
from momentum.next_step.schemas import LockedIn, LockIn, NextStepView, format_agenda
from momentum.reminder.schemas import PlannedReminder, ReminderPolicy
from momentum.task.models import Task, TaskStatus
from momentum.task.repository import TaskRepository
from momentum.user.schemas import Actor
from momentum.value_asset.service import ValueAssetService
from momentum.worktime import CalendarPolicy


class NextStepService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        reminder_policy: ReminderPolicy | None = None,
        calendar_policy: CalendarPolicy | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.steps = NextStepRepository(session)
        self.meeting_service = MeetingService(
            session, clock=clock, reminder_policy=reminder_policy, calendar_policy=calendar_policy
        )
        self.assets = ValueAssetService(session, clock=clock)

    def lock_in_next_meeting(self, actor: Actor, deal_id: str, lock_in: LockIn) -> LockedIn:
        """Book the next meeting with its two-sided agenda, the buyer's homework and the value
        asset to send: the meeting, the next step, the reminders and the invitation, in the
        caller's one unit of work."""
        meetings = self.meeting_service
        deal = meetings.visible_deal(actor, deal_id, lock=True)
        if deal.outcome is not Outcome.OPEN:
            raise Conflict(f"deal {deal_id!r} is {deal.outcome}")
        now = self.clock.now()
        upcoming = self._upcoming_meetings(deal_id, now=now)
        if upcoming:
            raise Conflict(
                f"deal {deal_id!r} already has meeting {upcoming[0].id!r} booked: "
                "reschedule it instead"
            )
        rep = meetings.owner(deal)
        start = as_instant(lock_in.start, rep.timezone)
        meetings.contacts.add_attendees(deal_id, lock_in.attendees)
        asset = self.assets.choose(deal_id=deal_id, asked=lock_in.value_asset_id)
        version = self.assets.current_version(asset.id) if asset else None
        agenda = format_agenda(lock_in.agenda)
        homework = (lock_in.buyer_homework or "").strip() or None
        location = " ".join((lock_in.location or "").split()) or None
        booking = meetings.book(
            actor,
            deal=deal,
            rep=rep,
            start=start,
            end=start + timedelta(minutes=lock_in.minutes),
            agenda=agenda,
            homework=homework,
            location=location,
            value_asset_id=asset.id if asset else None,
        )
        self._supersede_open(deal_id, now=now)
        step = self.steps.add(
            NextStep(
                deal_id=deal_id,
                kind=NextStepKind.MEETING,
                meeting_id=booking.meeting.id,
                due_at=booking.meeting.start_at,
                agenda=agenda,
                buyer_homework=homework,
                owner_side=Side.SELLER,
                value_asset_id=asset.id if asset else None,
                value_asset_version_id=version.id if version else None,
                status=NextStepStatus.OPEN,
                created_at=now,
            )
        )
        return LockedIn(
            meeting=meetings.view(booking.meeting),
            next_step=NextStepView.model_validate(step),
            reminders=[
                PlannedReminder.model_validate(r, from_attributes=True)
                for r in booking.reminders.reminders
            ],
            notes=booking.reminders.skipped,
        )

    def set_task(
        self, actor: Actor, deal_id: str, *, title: str, due_at: datetime, side: Side = Side.SELLER
    ) -> NextStepView:
        """A next step that is not a meeting: a task with a due date for the deal's owner."""
        meetings = self.meeting_service
        deal = meetings.visible_deal(actor, deal_id, lock=True)
        if deal.outcome is not Outcome.OPEN:
            raise Conflict(f"deal {deal_id!r} is {deal.outcome}")
        now = self.clock.now()
        due = as_instant(due_at, meetings.owner(deal).timezone, field="due_at")
        if due <= now:
            raise Conflict("a next step's due date must be in the future")
        upcoming = self._upcoming_meetings(deal_id, now=now)
        if upcoming:
            raise Conflict(
                f"deal {deal_id!r} has meeting {upcoming[0].id!r} booked as its next step: "
                "move or cancel it instead"
            )
        self._supersede_open(deal_id, now=now)
        task = TaskRepository(self.session).add(
            Task(
                deal_id=deal_id,
                owner_id=deal.owner_id,
                title=title,
                rule=None,
                due_at=due,
                status=TaskStatus.OPEN,
                created_at=now,
            )
        )
        step = self.steps.add(
            NextStep(
                deal_id=deal_id,
                kind=NextStepKind.TASK,
                task_id=task.id,
                due_at=due,
                owner_side=side,
                status=NextStepStatus.OPEN,
                created_at=now,
            )
        )
        mark_changed(self.session, deal_id)
        return NextStepView.model_validate(step)

    def open_steps(self, actor: Actor, deal_id: str) -> list[NextStepView]:
        self.meeting_service.visible_deal(actor, deal_id)
        return [NextStepView.model_validate(s) for s in self.steps.open_for_deal(deal_id)]

    # --- internals ----------------------------------------------------------------------

    def _upcoming_meetings(self, deal_id: str, *, now: datetime) -> list[Meeting]:
        """The deal's booked meetings still to come: each is its next step already."""
        return [
            m
            for m in MeetingRepository(self.session).for_deal(deal_id)
            if m.status is MeetingStatus.SCHEDULED and m.start_at > now
        ]

    def _supersede_open(self, deal_id: str, *, now: datetime) -> None:
        """Close the deal's open next steps as superseded, before a new one is set; a task
        that was one is canceled (it was the next step, not a to-do of its own)."""
        tasks = TaskRepository(self.session)
        for step in self.steps.open_for_deal(deal_id):
            step.status = NextStepStatus.SUPERSEDED
            step.closed_at = now
            task = tasks.get(step.task_id) if step.task_id is not None else None
            if task is not None and task.status is TaskStatus.OPEN:
                task.status = TaskStatus.CANCELED
                task.closed_at = now
                task.closed_reason = "superseded by a new next step"
        self.session.flush()
