"""A rep's day: the tasks to do (each with its action one click away), the meetings that
await an outcome, and the coming second meetings with their agenda, homework, value asset,
place and the state of the invitation and the reminders.

Tasks and meetings awaiting an outcome come a page of ``PAGE_SIZE`` at a time, the earliest
first, with their totals; the coming second meetings are the next ``COMING_LIMIT`` (the
calendar has them all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.localtime import zone
from momentum.next_step.models import Side
from momentum.next_step.schemas import parse_agenda
from momentum.outbox.models import OutboxMessage
from momentum.reminder.models import Reminder
from momentum.schedule.positions import (
    DealPlaces,
    Place,
    meeting_names,
    places_of,
)
from momentum.schedule.repository import MeetingCard, ScheduleRepository, TaskRow
from momentum.schedule.slots import deal_label_of
from momentum.schedule.states import MessageState, meeting_message_states
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.value_asset.models import ValueAsset
from momentum.worktime import CalendarPolicy, WorkCalendar

PAGE_SIZE = 50  # tasks, and meetings awaiting an outcome, listed a page
COMING_LIMIT = 50  # coming second meetings listed on the day (the calendar has them all)
_COMING_BATCH = 200  # coming scheduled meetings read at a time to find the second ones
# The rules whose task is done by locking in a meeting.
LOCK_IN_RULES = frozenset({"meeting_two_not_booked", "no_show", "next_step_missing"})


@dataclass
class TodayTask:
    id: int
    title: str
    rule: str | None
    due: datetime  # in the viewer's zone
    overdue: bool
    deal_id: str | None
    deal_label: str | None
    lock_in: bool  # the action is locking in the next meeting (else: open the deal)
    owner: str | None = None  # whose task, when it is not the viewer's own


@dataclass
class AwaitingMeeting:
    id: str
    deal_id: str
    deal_label: str
    place: Place
    name: str  # "Meeting one", "Meeting two", "Meeting 3"… (positions.meeting_names)
    start: datetime  # in the viewer's zone
    end: datetime
    owner: str | None = None  # whose meeting, when it is not the viewer's own


@dataclass
class ComingSecond:
    id: str
    deal_id: str
    deal_label: str
    start: datetime  # in the viewer's zone
    end: datetime
    location: str | None
    agenda_seller: list[str]
    agenda_buyer: list[str]
    agenda_other: list[str]
    homework: str | None
    asset: ValueAsset | None
    messages: list[MessageState]
    gap_business_days: int | None
    over_target: bool
    owner: str | None = None  # whose meeting, when it is not the viewer's own


@dataclass
class Today:
    tz: str
    today: date
    page: int = 1  # of the tasks and of the meetings awaiting an outcome
    page_size: int = PAGE_SIZE
    tasks: list[TodayTask] = field(default_factory=list)
    tasks_total: int = 0
    awaiting: list[AwaitingMeeting] = field(default_factory=list)
    awaiting_total: int = 0
    coming: list[ComingSecond] = field(default_factory=list)
    coming_more: bool = False  # second meetings beyond ``coming`` in the horizon
    rep_id: str | None = None  # the one rep the day covers, when narrowed to one
    rep_name: str | None = None

    @property
    def first_shown(self) -> int:
        """The position of the page's first task or meeting, counting from 1."""
        return (self.page - 1) * self.page_size + 1

    @property
    def pages(self) -> int:
        """Pages of tasks or meetings awaiting an outcome, whichever has more."""
        most = max(self.tasks_total, self.awaiting_total, 1)
        return (most + self.page_size - 1) // self.page_size


class TodayService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        calendar_policy: CalendarPolicy,
        target_business_days: int,
        horizon_days: int = 21,
    ) -> None:
        self.session = session
        self.clock = clock
        self.calendar_policy = calendar_policy
        self.target = target_business_days
        self.horizon = timedelta(days=horizon_days)
        self.repository = ScheduleRepository(session)
        self.scope = ScopeService(session)

    def today(self, actor: Actor, *, tz: str, rep_id: str | None = None, page: int = 1) -> Today:
        """``actor``'s day (a manager's or admin's covers the reps they see, or ``rep_id``);
        ``page`` of the tasks and of the meetings awaiting an outcome. A rep that does not
        exist or is outside the scope is not found, whoever asks."""
        owners = self.scope.visible_owner_ids(actor)
        rep_name = None
        if rep_id is not None:
            self.scope.visible_rep(actor, rep_id)
            owners = frozenset([rep_id])
            rep_name = next((r.name for r in self.repository.reps(owners)), None)
        now = self.clock.now()
        local = zone(tz)
        page = max(page, 1)
        offset = (page - 1) * PAGE_SIZE
        view = Today(
            tz=tz,
            today=now.astimezone(local).date(),
            page=page,
            rep_id=rep_id,
            rep_name=rep_name,
        )
        tasks = self.repository.open_tasks(owners, limit=PAGE_SIZE, offset=offset)
        awaiting = self.repository.awaiting_outcome(owners, now, limit=PAGE_SIZE, offset=offset)
        # a manager's day mixes their reps': each item says whose it is (narrowed to one rep,
        # the heading says it)
        others = {t.owner_id for t in tasks} | {m.owner_id for m in awaiting}
        others.discard(actor.rep_id or "")
        rep_names = (
            {r.id: r.name or r.id for r in self.repository.reps(others)}
            if others and rep_id is None
            else {}
        )

        def whose(owner_id: str) -> str | None:
            if owner_id == actor.rep_id or rep_id is not None:
                return None
            return rep_names.get(owner_id, owner_id)

        view.tasks_total = _total(
            len(tasks), offset, count=lambda: self.repository.count_open_tasks(owners)
        )
        for task in tasks:
            view.tasks.append(
                TodayTask(
                    id=task.id,
                    title=task.title,
                    rule=task.rule,
                    due=task.due_at.astimezone(local),
                    overdue=task.due_at <= now,
                    deal_id=task.deal_id,
                    deal_label=_deal_label(task),
                    lock_in=task.deal_found and task.rule in LOCK_IN_RULES,
                    owner=whose(task.owner_id),
                )
            )
        view.awaiting_total = _total(
            len(awaiting), offset, count=lambda: self.repository.count_awaiting_outcome(owners, now)
        )
        rows = self.repository.meeting_rows(sorted({m.deal_id for m in awaiting}))
        places = places_of(rows)
        names = {deal_id: meeting_names(p) for deal_id, p in places.items()}
        for meeting in awaiting:
            view.awaiting.append(
                AwaitingMeeting(
                    id=meeting.id,
                    deal_id=meeting.deal_id,
                    deal_label=deal_label_of(
                        account=meeting.account, name=meeting.name, deal_id=meeting.deal_id
                    ),
                    place=places[meeting.deal_id].places.get(meeting.id, Place.MEETING_ONE),
                    name=names[meeting.deal_id][meeting.id],
                    start=meeting.start_at.astimezone(local),
                    end=meeting.end_at.astimezone(local),
                    owner=whose(meeting.owner_id),
                )
            )
        coming, places = self._next_seconds(owners, now, COMING_LIMIT + 1)
        view.coming_more = len(coming) > COMING_LIMIT
        view.coming = self._coming(coming[:COMING_LIMIT], places, tz, viewer=rep_id or actor.rep_id)
        return view

    def _next_seconds(
        self, owners: frozenset[str] | None, now: datetime, wanted: int
    ) -> tuple[list[MeetingCard], dict[str, DealPlaces]]:
        """The first ``wanted`` scheduled second meetings of the horizon, with their deals'
        places: the coming scheduled meetings are read a batch at a time, earliest first, and
        placed in their deals until enough are meetings two."""
        seconds: list[str] = []
        places: dict[str, DealPlaces] = {}
        offset = 0
        while len(seconds) < wanted:
            batch, rows = self.repository.coming_scheduled(
                owners, now, now + self.horizon, limit=_COMING_BATCH, offset=offset
            )
            places |= places_of(rows)
            seconds += [
                meeting_id
                for meeting_id, deal_id in batch
                if places[deal_id].places.get(meeting_id) is Place.MEETING_TWO
            ]
            if len(batch) < _COMING_BATCH:
                break
            offset += _COMING_BATCH
        return self.repository.meeting_cards(seconds[:wanted]), places

    def _coming(
        self,
        coming: list[MeetingCard],
        places: dict[str, DealPlaces],
        tz: str,
        *,
        viewer: str | None,
    ) -> list[ComingSecond]:
        ids = [m.id for m in coming]
        messages = self.repository.messages_for_meetings(ids)
        reminders = self.repository.reminders_for_meetings(ids)
        steps = {s.meeting_id: s for s in self.repository.steps_for_meetings(ids)}
        asset_ids = {r.value_asset_id for r in reminders if r.value_asset_id is not None}
        asset_ids |= {s.value_asset_id for s in steps.values() if s.value_asset_id is not None}
        assets = self.repository.assets(asset_ids)
        reps = {r.id: r for r in self.repository.reps({m.owner_id for m in coming})}
        found: list[ComingSecond] = []
        local = zone(tz)
        messages_of: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            messages_of.setdefault(message.meeting_id or "", []).append(message)
        reminders_of: dict[str, list[Reminder]] = {}
        for reminder in reminders:
            reminders_of.setdefault(reminder.meeting_id, []).append(reminder)
        calendars: dict[str, WorkCalendar] = {}
        for meeting in coming:
            lines = parse_agenda(meeting.agenda)
            its_reminders = reminders_of.get(meeting.id, [])
            asset_id = next(
                (r.value_asset_id for r in its_reminders if r.value_asset_id is not None),
                steps[meeting.id].value_asset_id if meeting.id in steps else None,
            )
            gap = None
            m1_start = places[meeting.deal_id].m1_start
            rep = reps.get(meeting.owner_id)
            if m1_start is not None and rep is not None:
                if rep.id not in calendars:
                    calendars[rep.id] = WorkCalendar(
                        tz=rep.timezone, country=rep.country, policy=self.calendar_policy
                    )
                work = calendars[rep.id]
                gap = work.business_days_between(
                    work.local_date(m1_start), work.local_date(meeting.start_at)
                )
            found.append(
                ComingSecond(
                    id=meeting.id,
                    deal_id=meeting.deal_id,
                    deal_label=deal_label_of(
                        account=meeting.deal_account,
                        name=meeting.deal_name,
                        deal_id=meeting.deal_id,
                    ),
                    start=meeting.start_at.astimezone(local),
                    end=meeting.end_at.astimezone(local),
                    location=meeting.location,
                    agenda_seller=[t for s, t in lines if s is Side.SELLER],
                    agenda_buyer=[t for s, t in lines if s is Side.BUYER],
                    agenda_other=[t for s, t in lines if s is None],
                    homework=meeting.homework,
                    asset=assets.get(asset_id) if asset_id is not None else None,
                    messages=meeting_message_states(messages_of.get(meeting.id, []), its_reminders),
                    gap_business_days=gap,
                    over_target=gap is not None and gap > self.target,
                    owner=None
                    if meeting.owner_id == viewer
                    else (rep.name or rep.id if rep else meeting.owner_id),
                )
            )
        return found


def _total(shown: int, offset: int, *, count: Callable[[], int]) -> int:
    """How many there are in all, ``shown`` on the page from ``offset``: a page that is not
    full is the last, so the store is asked to ``count`` only after a full page, or an empty
    one past the first."""
    if shown < PAGE_SIZE and (shown or not offset):
        return offset + shown
    return count()


def _deal_label(task: TaskRow) -> str | None:
    """What the task's deal is called (none when the task has no deal or its deal is gone)."""
    if not task.deal_found or task.deal_id is None:
        return None
    return deal_label_of(account=task.deal_account, name=task.deal_name, deal_id=task.deal_id)
