"""A rep's day: the tasks to do (each with its action one click away), the meetings that
await an outcome, and the coming second meetings with their agenda, homework, value asset,
place and the state of the invitation and the reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.models import Deal
from momentum.errors import NotFound
from momentum.localtime import zone
from momentum.meeting.models import Meeting
from momentum.next_step.models import Side
from momentum.next_step.schemas import parse_agenda
from momentum.schedule.positions import Place, places_of
from momentum.schedule.repository import ScheduleRepository
from momentum.schedule.slots import deal_label
from momentum.schedule.states import MessageState, meeting_message_states
from momentum.task.models import Task
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.value_asset.models import ValueAsset
from momentum.worktime import CalendarPolicy, WorkCalendar

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


@dataclass
class AwaitingMeeting:
    id: str
    deal_id: str
    deal_label: str
    place: Place
    start: datetime  # in the viewer's zone
    end: datetime


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


@dataclass
class Today:
    tz: str
    today: date
    tasks: list[TodayTask] = field(default_factory=list)
    awaiting: list[AwaitingMeeting] = field(default_factory=list)
    coming: list[ComingSecond] = field(default_factory=list)


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

    def today(self, actor: Actor, *, tz: str, rep_id: str | None = None) -> Today:
        """``actor``'s day (a manager's or admin's covers the reps they see, or ``rep_id``)."""
        owners = self.scope.visible_owner_ids(actor)
        if rep_id is not None:
            if owners is not None and rep_id not in owners:
                raise NotFound(f"no rep {rep_id!r} among the reps you can see")
            owners = frozenset([rep_id])
        now = self.clock.now()
        local = zone(tz)
        view = Today(tz=tz, today=now.astimezone(local).date())
        for task, deal in self.repository.open_tasks(owners):
            view.tasks.append(
                TodayTask(
                    id=task.id,
                    title=task.title,
                    rule=task.rule,
                    due=task.due_at.astimezone(local),
                    overdue=task.due_at <= now,
                    deal_id=task.deal_id,
                    deal_label=deal_label(deal) if deal else None,
                    lock_in=_locks_in(task, deal),
                )
            )
        scheduled = self.repository.scheduled_meetings(
            owners, started_before=now, starting_from=now, until=now + self.horizon
        )
        deal_ids = sorted({deal.id for _, deal in scheduled})
        places = places_of(self.repository.meeting_rows(deal_ids))
        coming: list[tuple[Meeting, Deal]] = []
        for meeting, deal in scheduled:
            place = places[deal.id].places.get(meeting.id, Place.MEETING_ONE)
            if meeting.start_at <= now:
                view.awaiting.append(
                    AwaitingMeeting(
                        id=meeting.id,
                        deal_id=deal.id,
                        deal_label=deal_label(deal),
                        place=place,
                        start=meeting.start_at.astimezone(local),
                        end=meeting.end_at.astimezone(local),
                    )
                )
            elif place is Place.MEETING_TWO:
                coming.append((meeting, deal))
        view.coming = self._coming(coming, places, tz)
        return view

    def _coming(self, coming: list[tuple[Meeting, Deal]], places, tz: str) -> list[ComingSecond]:  # type: ignore[no-untyped-def]
        ids = [m.id for m, _ in coming]
        messages = self.repository.messages_for_meetings(ids)
        reminders = self.repository.reminders_for_meetings(ids)
        steps = {s.meeting_id: s for s in self.repository.steps_for_meetings(ids)}
        asset_ids = {r.value_asset_id for r in reminders if r.value_asset_id is not None}
        asset_ids |= {s.value_asset_id for s in steps.values() if s.value_asset_id is not None}
        assets = self.repository.assets(asset_ids)
        reps = {r.id: r for r in self.repository.reps({d.owner_id for _, d in coming})}
        found: list[ComingSecond] = []
        local = zone(tz)
        for meeting, deal in coming:
            lines = parse_agenda(meeting.agenda)
            its_reminders = [r for r in reminders if r.meeting_id == meeting.id]
            asset_id = next(
                (r.value_asset_id for r in its_reminders if r.value_asset_id is not None),
                steps[meeting.id].value_asset_id if meeting.id in steps else None,
            )
            gap = None
            m1_start = places[deal.id].m1_start
            rep = reps.get(deal.owner_id)
            if m1_start is not None and rep is not None:
                work = WorkCalendar(
                    tz=rep.timezone, country=rep.country, policy=self.calendar_policy
                )
                gap = work.business_days_between(
                    work.local_date(m1_start), work.local_date(meeting.start_at)
                )
            found.append(
                ComingSecond(
                    id=meeting.id,
                    deal_id=deal.id,
                    deal_label=deal_label(deal),
                    start=meeting.start_at.astimezone(local),
                    end=meeting.end_at.astimezone(local),
                    location=meeting.location,
                    agenda_seller=[t for s, t in lines if s is Side.SELLER],
                    agenda_buyer=[t for s, t in lines if s is Side.BUYER],
                    agenda_other=[t for s, t in lines if s is None],
                    homework=meeting.homework,
                    asset=assets.get(asset_id) if asset_id is not None else None,
                    messages=meeting_message_states(
                        [m for m in messages if m.meeting_id == meeting.id], its_reminders
                    ),
                    gap_business_days=gap,
                    over_target=gap is not None and gap > self.target,
                )
            )
        return found


def _locks_in(task: Task, deal: Deal | None) -> bool:
    return deal is not None and task.rule in LOCK_IN_RULES
