"""One deal on one page: its meetings (each with its place, status history, agenda, place and
messages), and one timeline of everything that happened to it — bookings, status changes,
next steps (the date each was set for, and each move), flags with their reasons, tasks and
the messages to the buyer with their delivery state — with what can be done next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.contact.models import Contact
from momentum.deal.models import Deal, Outcome
from momentum.errors import NotFound
from momentum.flag.models import Flag
from momentum.localtime import zone
from momentum.meeting.models import MeetingStatus
from momentum.meeting.schemas import MeetingState, meeting_state
from momentum.next_step.history import history_of
from momentum.next_step.models import NextStep, NextStepKind, Side
from momentum.next_step.schemas import parse_agenda
from momentum.outbox.models import OutboxMessage
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.schedule.positions import Place, meeting_names, places_of
from momentum.schedule.repository import ScheduleRepository
from momentum.schedule.slots import deal_label
from momentum.schedule.states import (
    KIND_LABEL,
    Delivery,
    MessageState,
    delivery_of,
    meeting_message_states,
)
from momentum.task.models import Task, TaskStatus
from momentum.timetext import when_short
from momentum.user.repository import UserRepository
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.worktime import CalendarPolicy, WorkCalendar


@dataclass
class StatusStep:
    at: datetime  # in the viewer's zone
    before: MeetingStatus | None
    after: MeetingStatus
    source: str
    by: str | None = None  # the user who made the change (name or email), where recorded


@dataclass
class MeetingCard:
    id: str
    place: Place
    state: MeetingState
    start: datetime  # in the viewer's zone
    end: datetime
    booked_at: datetime | None
    location: str | None
    agenda_seller: list[str]
    agenda_buyer: list[str]
    agenda_other: list[str]
    homework: str | None
    sequence: int
    rescheduled_to_id: str | None
    history: list[StatusStep]
    messages: list[MessageState]
    gap_business_days: int | None = None
    over_target: bool = False
    name: str = ""  # "Meeting one", "Meeting two", "Meeting 3": see :func:`meeting_names`


@dataclass
class Event:
    at: datetime  # in the viewer's zone
    kind: str  # meeting, booking, status, next_step, flag, task, message
    title: str
    detail: str | None = None
    tone: str = "info"  # info, good, warning, bad, muted
    meeting_id: str | None = None


@dataclass
class DealTimeline:
    deal: Deal
    label: str
    owner: Rep
    tz: str
    contacts: list[Contact]
    meetings: list[MeetingCard]
    events: list[Event]
    open_flags: list[Flag]
    flag_ages: dict[int, int]  # open flag id -> whole days its condition has held
    open_tasks: list[Task]
    task_owners: dict[str, str]  # rep id -> name, of open tasks given to someone else
    overdue_tasks: set[int]  # ids of the open tasks whose due time has passed
    open_steps: list[NextStep]
    target_business_days: int
    upcoming: MeetingCard | None = None  # the booked meeting still to come
    awaiting: list[MeetingCard] = field(default_factory=list)  # started, outcome not marked
    open_gap: bool = False  # meeting one held, no meeting two booked
    later: bool = False  # meeting two took place: what is booked next is a later meeting

    @property
    def can_lock_in(self) -> bool:
        return self.deal.outcome is Outcome.OPEN and self.upcoming is None


class DealTimelineService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        calendar_policy: CalendarPolicy,
        target_business_days: int,
    ) -> None:
        self.session = session
        self.clock = clock
        self.calendar_policy = calendar_policy
        self.target = target_business_days
        self.repository = ScheduleRepository(session)
        self.scope = ScopeService(session)

    def timeline(self, actor: Actor, deal_id: str, *, tz: str) -> DealTimeline:
        deal = self.repository.deals([deal_id]).get(deal_id)
        if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
            raise NotFound(f"no deal {deal_id!r}")
        owner = RepRepository(self.session).get(deal.owner_id)
        if owner is None:
            raise NotFound(f"no rep {deal.owner_id!r}")
        now = self.clock.now()
        local = zone(tz)
        work = WorkCalendar(tz=owner.timezone, country=owner.country, policy=self.calendar_policy)
        meetings = self.repository.meetings_of(deal_id)
        rows = [(m.id, m.deal_id, m.start_at, m.end_at, str(m.status)) for m in meetings]
        places = places_of(rows).get(deal_id)
        changes = self.repository.status_changes_of(deal_id)
        messages = self.repository.messages_of(deal_id)
        reminders = self.repository.reminders_for_meetings([m.id for m in meetings])
        flags = self.repository.flags_of(deal_id)
        tasks = self.repository.tasks_of(deal_id)
        steps = self.repository.next_steps_of(deal_id)
        users = UserRepository(self.session).names(
            {c.changed_by_user_id for c in changes if c.changed_by_user_id is not None}
        )
        label = deal_label(deal)
        names = meeting_names(places)
        cards: list[MeetingCard] = []
        events: list[Event] = []
        for meeting in meetings:
            place = (
                places.places.get(meeting.id, Place.MEETING_ONE) if places else Place.MEETING_ONE
            )
            lines = parse_agenda(meeting.agenda)
            card = MeetingCard(
                id=meeting.id,
                name=names[meeting.id],
                place=place,
                state=meeting_state(meeting, now),
                start=meeting.start_at.astimezone(local),
                end=meeting.end_at.astimezone(local),
                booked_at=meeting.booked_at.astimezone(local) if meeting.booked_at else None,
                location=meeting.location,
                agenda_seller=[t for s, t in lines if s is Side.SELLER],
                agenda_buyer=[t for s, t in lines if s is Side.BUYER],
                agenda_other=[t for s, t in lines if s is None],
                homework=meeting.homework,
                sequence=meeting.sequence,
                rescheduled_to_id=meeting.rescheduled_to_id,
                history=[
                    StatusStep(
                        c.changed_at.astimezone(local),
                        c.from_status,
                        c.to_status,
                        c.source,
                        users.get(c.changed_by_user_id) if c.changed_by_user_id else None,
                    )
                    for c in changes
                    if c.meeting_id == meeting.id
                ],
                messages=meeting_message_states(
                    [m for m in messages if m.meeting_id == meeting.id],
                    [r for r in reminders if r.meeting_id == meeting.id],
                ),
            )
            if places is not None and places.m1_start is not None and place is Place.MEETING_TWO:
                card.gap_business_days = work.business_days_between(
                    work.local_date(places.m1_start), work.local_date(meeting.start_at)
                )
                card.over_target = card.gap_business_days > self.target
            cards.append(card)
            events.append(
                Event(
                    at=card.start,
                    kind="meeting",
                    title=f"{card.name} ({card.state.replace('_', ' ')})",
                    detail=" · ".join(
                        part
                        for part in (
                            f"{card.start:%H:%M}–{card.end:%H:%M}",
                            meeting.location or "",
                            f"{card.gap_business_days} business days after meeting one"
                            if card.gap_business_days is not None
                            else "",
                        )
                        if part
                    ),
                    tone=_meeting_tone(card.state, card.over_target),
                    meeting_id=meeting.id,
                )
            )
            if meeting.booked_at is not None:
                events.append(
                    Event(
                        at=meeting.booked_at.astimezone(local),
                        kind="booking",
                        title=f"{card.name} booked for {when_short(meeting.start_at, tz)}",
                        tone="good",
                        meeting_id=meeting.id,
                    )
                )
        for change in changes:
            if change.from_status is None:
                continue  # the booking itself, above
            events.append(
                Event(
                    at=change.changed_at.astimezone(local),
                    kind="status",
                    title=(
                        f"{names.get(change.meeting_id, 'Meeting')}: "
                        f"{change.from_status.replace('_', ' ')} → "
                        f"{change.to_status.replace('_', ' ')}"
                    ),
                    detail=f"by {_who(change.source, change.changed_by_user_id, users)}",
                    tone="bad" if change.to_status is MeetingStatus.NO_SHOW else "info",
                    meeting_id=change.meeting_id,
                )
            )
        for step in steps:
            history = history_of(step, meetings, changes)
            set_as = _step_what(step.kind, history.set_due, history.set_meeting_id, names, tz)
            events.append(
                Event(
                    at=step.created_at.astimezone(local),
                    kind="next_step",
                    title=f"Next step set: {set_as}",
                    detail=step.buyer_homework and f"Buyer homework: {step.buyer_homework}",
                    tone="good",
                    meeting_id=history.set_meeting_id,
                )
            )
            for move in history.moves:
                events.append(
                    Event(
                        at=move.at.astimezone(local),
                        kind="next_step",
                        title=f"Next step moved to {when_short(move.to_due, tz)}",
                        detail=f"from {when_short(move.from_due, tz)}"
                        + (
                            f" · by {_who(move.source, move.changed_by_user_id, users)}"
                            if move.source
                            else ""
                        ),
                        tone="info",
                    )
                )
            if step.closed_at is not None:
                events.append(
                    Event(
                        at=step.closed_at.astimezone(local),
                        kind="next_step",
                        title=f"Next step {step.status}: "
                        + _step_what(step.kind, step.due_at, step.meeting_id, names, tz),
                        tone="muted",
                    )
                )
        for flag in flags:
            events.append(
                Event(
                    at=flag.raised_at.astimezone(local),
                    kind="flag",
                    title=f"Flagged: {flag.rule.replace('_', ' ')}",
                    detail=flag.reason
                    + (
                        f" · the condition holds since {when_short(flag.condition_since, tz)}"
                        if flag.condition_since is not None
                        and flag.condition_since < flag.raised_at
                        else ""
                    ),
                    tone="bad" if flag.severity == "critical" else "warning",
                )
            )
            if flag.cleared_at is not None:
                events.append(
                    Event(
                        at=flag.cleared_at.astimezone(local),
                        kind="flag",
                        title=f"Flag cleared: {flag.rule.replace('_', ' ')}",
                        tone="muted",
                    )
                )
        for task in tasks:
            events.append(
                Event(
                    at=task.created_at.astimezone(local),
                    kind="task",
                    title=f"Task: {task.title}",
                    detail=f"due {when_short(task.due_at, tz)}"
                    + (f" · by rule {task.rule}" if task.rule else ""),
                    tone="warning" if task.status is TaskStatus.OPEN else "muted",
                )
            )
            if task.closed_at is not None:
                events.append(
                    Event(
                        at=task.closed_at.astimezone(local),
                        kind="task",
                        title=f"Task {task.status}: {task.title}",
                        detail=task.closed_reason,
                        tone="muted",
                    )
                )
        for message in messages:
            events.append(_message_event(message, names, local))
        events.sort(key=lambda e: e.at, reverse=True)
        upcoming = next((c for c in cards if c.state is MeetingState.UPCOMING), None)
        open_tasks = [t for t in tasks if t.status is TaskStatus.OPEN]
        return DealTimeline(
            deal=deal,
            label=label,
            owner=owner,
            tz=tz,
            contacts=self.repository.contacts_of(deal_id),
            meetings=cards,
            events=events,
            open_flags=[f for f in flags if f.cleared_at is None],
            flag_ages={f.id: f.age_days(now) for f in flags if f.cleared_at is None},
            open_tasks=open_tasks,
            task_owners={
                rep.id: rep.name or rep.id
                for rep in RepRepository(self.session).many(
                    sorted({t.owner_id for t in open_tasks} - {deal.owner_id})
                )
            },
            overdue_tasks={t.id for t in open_tasks if t.due_at <= now},
            open_steps=[s for s in steps if s.status == "open"],
            target_business_days=self.target,
            upcoming=upcoming,
            awaiting=[c for c in cards if c.state is MeetingState.AWAITING_OUTCOME],
            open_gap=bool(places and places.open_gap and deal.outcome is Outcome.OPEN),
            later=places is not None
            and any(m.id in places.attempts and m.status is MeetingStatus.HELD for m in meetings),
        )


def _who(source: str, user_id: int | None, users: dict[int, str]) -> str:
    """Who made a recorded change: the user's name and the source ("Ana Rep (app)"), or the
    source alone where no user was recorded (imports, the command line, older changes)."""
    name = users.get(user_id) if user_id is not None else None
    return f"{name} ({source})" if name else source


def _step_what(
    kind: NextStepKind, due: datetime, meeting_id: str | None, names: dict[str, str], tz: str
) -> str:
    if kind is NextStepKind.MEETING:
        return f"{names.get(meeting_id or '', 'meeting')} on {when_short(due, tz)}"
    return f"task due {when_short(due, tz)}"


def _meeting_tone(state: MeetingState, over_target: bool) -> str:
    if state in (MeetingState.NO_SHOW,):
        return "bad"
    if over_target or state is MeetingState.AWAITING_OUTCOME:
        return "warning"
    if state in (MeetingState.CANCELED, MeetingState.RESCHEDULED):
        return "muted"
    return "good" if state is MeetingState.HELD else "info"


def _message_event(message: OutboxMessage, names: dict[str, str], local) -> Event:  # type: ignore[no-untyped-def]
    delivery = delivery_of(message)
    at = {
        Delivery.SENT: message.sent_at,
        Delivery.QUEUED: message.due_at,
    }.get(delivery) or message.updated_at
    about = names.get(message.meeting_id or "", "")
    to = ", ".join(message.recipients) if message.recipients else "Slack"
    return Event(
        at=at.astimezone(local),
        kind="message",
        title=f"{KIND_LABEL[message.kind]}{' for ' + about.lower() if about else ''}: {delivery}",
        detail=f"to {to}" + (f" · {message.last_error}" if message.last_error else ""),
        tone={
            Delivery.SENT: "good",
            Delivery.FAILED: "bad",
            Delivery.WITHDRAWN: "muted",
        }.get(delivery, "info"),
        meeting_id=message.meeting_id,
    )
