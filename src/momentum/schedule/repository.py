"""The queries behind the day, the calendar, the deal's timeline and the slot finder. Every
one takes the owners in scope (``None``: every rep) from the caller, who got them from
:class:`momentum.user.service.ScopeService`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from momentum.contact.models import Contact
from momentum.deal.models import Deal, Outcome
from momentum.flag.models import Flag
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.next_step.models import NextStep
from momentum.outbox.models import OutboxMessage
from momentum.reminder.models import Reminder
from momentum.rep.models import Rep
from momentum.schedule.positions import MeetingRow
from momentum.task.models import Task, TaskStatus
from momentum.value_asset.models import ValueAsset

_CHUNK = 5_000
# Meetings that take up a rep's time: booked or done (not called off, not moved away).
BUSY = (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW)


def _owned(query, owners: Collection[str] | None):  # type: ignore[no-untyped-def]
    return query if owners is None else query.where(Deal.owner_id.in_(sorted(owners)))


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- deals and their meetings -------------------------------------------------------

    def deal_ids_with_meetings_between(
        self, owners: Collection[str] | None, start: datetime, end: datetime
    ) -> list[str]:
        query = _owned(
            select(Meeting.deal_id)
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(Meeting.start_at >= start, Meeting.start_at < end)
            .distinct(),
            owners,
        )
        return list(self.session.scalars(query))

    def meeting_rows(self, deal_ids: Sequence[str]) -> list[MeetingRow]:
        """(id, deal, start, end, status) of every meeting of ``deal_ids``."""
        rows: list[MeetingRow] = []
        for first in range(0, len(deal_ids), _CHUNK):
            chunk = list(deal_ids[first : first + _CHUNK])
            for row in self.session.execute(
                select(
                    Meeting.id, Meeting.deal_id, Meeting.start_at, Meeting.end_at, Meeting.status
                ).where(Meeting.deal_id.in_(chunk))
            ):
                rows.append((row[0], row[1], row[2], row[3], str(row[4])))
        return rows

    def meetings_between(
        self, owners: Collection[str] | None, start: datetime, end: datetime
    ) -> list[tuple[Meeting, Deal]]:
        query = _owned(
            select(Meeting, Deal)
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(Meeting.start_at >= start, Meeting.start_at < end)
            .order_by(Meeting.start_at, Meeting.id),
            owners,
        )
        return [(m, d) for m, d in self.session.execute(query)]

    def busy_between(self, owner_id: str, start: datetime, end: datetime) -> list[Meeting]:
        """The rep's meetings that overlap ``[start, end)`` and take up their time."""
        return list(
            self.session.scalars(
                select(Meeting)
                .join(Deal, Deal.id == Meeting.deal_id)
                .where(
                    Deal.owner_id == owner_id,
                    Meeting.status.in_(BUSY),
                    Meeting.start_at < end,
                    Meeting.end_at > start,
                )
                .order_by(Meeting.start_at)
            )
        )

    def deals(self, deal_ids: Collection[str]) -> dict[str, Deal]:
        found: dict[str, Deal] = {}
        ids = sorted(deal_ids)
        for first in range(0, len(ids), _CHUNK):
            for deal in self.session.scalars(
                select(Deal).where(Deal.id.in_(ids[first : first + _CHUNK]))
            ):
                found[deal.id] = deal
        return found

    def open_deal_ids(self, deal_ids: Collection[str]) -> set[str]:
        return {d.id for d in self.deals(deal_ids).values() if d.outcome is Outcome.OPEN}

    def reps(self, owners: Collection[str] | None) -> list[Rep]:
        query = select(Rep).order_by(Rep.name, Rep.id)
        if owners is not None:
            query = query.where(Rep.id.in_(sorted(owners)))
        return list(self.session.scalars(query))

    # --- one deal -----------------------------------------------------------------------

    def meetings_of(self, deal_id: str) -> list[Meeting]:
        return list(
            self.session.scalars(
                select(Meeting)
                .where(Meeting.deal_id == deal_id)
                .order_by(Meeting.start_at, Meeting.end_at, Meeting.id)
            )
        )

    def status_changes_of(self, deal_id: str) -> list[MeetingStatusChange]:
        return list(
            self.session.scalars(
                select(MeetingStatusChange)
                .join(Meeting, Meeting.id == MeetingStatusChange.meeting_id)
                .where(Meeting.deal_id == deal_id)
                .order_by(MeetingStatusChange.changed_at, MeetingStatusChange.id)
            )
        )

    def contacts_of(self, deal_id: str) -> list[Contact]:
        return list(
            self.session.scalars(
                select(Contact).where(Contact.deal_id == deal_id).order_by(Contact.id)
            )
        )

    def flags_of(self, deal_id: str) -> list[Flag]:
        return list(
            self.session.scalars(
                select(Flag).where(Flag.deal_id == deal_id).order_by(Flag.raised_at, Flag.id)
            )
        )

    def tasks_of(self, deal_id: str) -> list[Task]:
        return list(
            self.session.scalars(
                select(Task).where(Task.deal_id == deal_id).order_by(Task.created_at, Task.id)
            )
        )

    def next_steps_of(self, deal_id: str) -> list[NextStep]:
        return list(
            self.session.scalars(
                select(NextStep)
                .where(NextStep.deal_id == deal_id)
                .order_by(NextStep.created_at, NextStep.id)
            )
        )

    def messages_of(self, deal_id: str) -> list[OutboxMessage]:
        return list(
            self.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.deal_id == deal_id)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        )

    # --- meetings' messages and reminders -----------------------------------------------

    def messages_for_meetings(self, meeting_ids: Sequence[str]) -> list[OutboxMessage]:
        found: list[OutboxMessage] = []
        for first in range(0, len(meeting_ids), _CHUNK):
            found.extend(
                self.session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.meeting_id.in_(list(meeting_ids[first : first + _CHUNK])))
                    .order_by(OutboxMessage.created_at, OutboxMessage.id)
                )
            )
        return found

    def reminders_for_meetings(self, meeting_ids: Sequence[str]) -> list[Reminder]:
        found: list[Reminder] = []
        for first in range(0, len(meeting_ids), _CHUNK):
            found.extend(
                self.session.scalars(
                    select(Reminder).where(
                        Reminder.meeting_id.in_(list(meeting_ids[first : first + _CHUNK]))
                    )
                )
            )
        return found

    def steps_for_meetings(self, meeting_ids: Sequence[str]) -> list[NextStep]:
        found: list[NextStep] = []
        for first in range(0, len(meeting_ids), _CHUNK):
            found.extend(
                self.session.scalars(
                    select(NextStep).where(
                        NextStep.meeting_id.in_(list(meeting_ids[first : first + _CHUNK]))
                    )
                )
            )
        return found

    def assets(self, asset_ids: Collection[int]) -> dict[int, ValueAsset]:
        if not asset_ids:
            return {}
        return {
            a.id: a
            for a in self.session.scalars(
                select(ValueAsset).where(ValueAsset.id.in_(sorted(asset_ids)))
            )
        }

    # --- the day ------------------------------------------------------------------------

    def open_tasks(self, owners: Collection[str] | None) -> list[tuple[Task, Deal | None]]:
        query = (
            select(Task, Deal)
            .outerjoin(Deal, Deal.id == Task.deal_id)
            .where(Task.status == TaskStatus.OPEN)
            .order_by(Task.due_at, Task.id)
        )
        if owners is not None:
            query = query.where(Task.owner_id.in_(sorted(owners)))
        return [(t, d) for t, d in self.session.execute(query)]

    def scheduled_meetings(
        self,
        owners: Collection[str] | None,
        *,
        started_before: datetime | None = None,
        starting_from: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[Meeting, Deal]]:
        """Scheduled meetings: those that started before ``started_before`` (awaiting an
        outcome), or those starting in ``[starting_from, until)``."""
        conditions = [Meeting.status == MeetingStatus.SCHEDULED]
        window = []
        if started_before is not None:
            window.append(Meeting.start_at <= started_before)
        if starting_from is not None:
            upcoming = [Meeting.start_at > starting_from]
            if until is not None:
                upcoming.append(Meeting.start_at < until)
            window.append(and_(*upcoming))
        if window:
            conditions.append(or_(*window))
        query = _owned(
            select(Meeting, Deal)
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(*conditions)
            .order_by(Meeting.start_at, Meeting.id),
            owners,
        )
        return [(m, d) for m, d in self.session.execute(query)]
