"""The queries behind the day, the calendar, the deal's timeline and the slot finder. Every
one takes the owners in scope (``None``: every rep) from the caller, who got them from
:class:`momentum.user.service.ScopeService`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple, TypeVarTuple

from sqlalchemy import Result, Select, and_, any_, case, func, select
from sqlalchemy.orm import Session, aliased

from momentum.contact.models import Contact
from momentum.deal.models import Deal, Outcome
from momentum.flag.models import Flag
from momentum.meeting.definitions import BOOKED as BOOKED_STATUSES
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.next_step.models import NextStep
from momentum.outbox.models import OutboxMessage
from momentum.reminder.models import Reminder
from momentum.rep.models import Rep
from momentum.schedule.positions import MeetingRow
from momentum.task.models import Task, TaskStatus
from momentum.value_asset.models import ValueAsset

_CHUNK = 5_000
_Row = TypeVarTuple("_Row")
# Meetings that take up a rep's time: booked or done (not called off, not moved away).
BUSY = (MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW)
# Meetings that book a meeting two (the definitions': not canceled).
_BOOKED = sorted(MeetingStatus(status) for status in BOOKED_STATUSES)
# (id, deal, start, end, status): what places a meeting in its deal (``MeetingRow``)
_MEETING_ROW = select(Meeting.id, Meeting.deal_id, Meeting.start_at, Meeting.end_at, Meeting.status)
# a meeting with what a page shows of its deal (``ShownMeeting``), its deal joined by the caller
_SHOWN_MEETING = _MEETING_ROW.add_columns(Deal.owner_id, Deal.outcome, Deal.account, Deal.name)


class TaskRow(NamedTuple):
    """An open task as the day lists it, with what its deal is called (the deal's fields are
    empty when the task has no deal, or its deal is gone)."""

    id: int
    title: str
    rule: str | None
    due_at: datetime
    deal_id: str | None
    owner_id: str
    deal_found: bool
    deal_account: str | None
    deal_name: str | None


class ShownMeeting(NamedTuple):
    """What the calendar and the day show of a meeting and its deal."""

    id: str
    deal_id: str
    start_at: datetime
    end_at: datetime
    status: MeetingStatus
    owner_id: str
    outcome: Outcome
    account: str | None
    name: str | None


class DealLabel(NamedTuple):
    """What a list shows of a deal: whose it is, whether it is open, what it is called."""

    id: str
    owner_id: str
    outcome: Outcome
    account: str | None
    name: str | None


class MeetingCard(NamedTuple):
    """What the day shows of a coming meeting and its deal."""

    id: str
    deal_id: str
    start_at: datetime
    end_at: datetime
    location: str | None
    agenda: str | None
    homework: str | None
    owner_id: str
    deal_account: str | None
    deal_name: str | None


def _owned(query, owners: Collection[str] | None):  # type: ignore[no-untyped-def]
    return query if owners is None else query.where(Deal.owner_id.in_(sorted(owners)))


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _of_owners(self, query, owners: Collection[str] | None):  # type: ignore[no-untyped-def]
        """``query`` of meetings narrowed to the deals of ``owners``."""
        if owners is None:
            return query
        return self._of_deals(query, Meeting, _owned(select(Deal.id), owners))

    def _of_deals(
        self, query: Select[*_Row], meeting: type[Meeting], deals: Select[str]
    ) -> Select[*_Row]:
        """``query`` of ``meeting`` (the table or an alias of it) narrowed to the deals that
        ``deals`` (a query of deal ids) selects. PostgreSQL is handed the deals as an array
        (``deal_id = ANY(ARRAY(SELECT ...))``) and looks up each deal's meetings in the
        (deal, start) index; joined to the deals, it scanned a period's meetings of every rep
        to keep those of a team (31,000 rows for 600)."""
        if self.session.get_bind().dialect.name == "postgresql":
            return query.where(meeting.deal_id == any_(func.array(deals.scalar_subquery())))
        return query.where(meeting.deal_id.in_(deals))

    # --- deals and their meetings -------------------------------------------------------

    def open_gap_candidate_rows(
        self, owners: Collection[str] | None, start: datetime, end: datetime
    ) -> list[MeetingRow]:
        """(id, deal, start, end, status) of every meeting of the open deals with a held
        meeting starting in ``[start, end)`` and no meeting that books anything (a canceled
        one does not: ``BOOKED``) starting after it ended: every deal whose meeting one in
        that window has no meeting two booked is among them (which are, the definitions
        decide on all their meetings).

        Of a deal's held meetings in the window, the one that ends last decides: the deal is
        a candidate when no booked meeting starts after that end (that meeting is booked
        itself, so a deal with one has a latest booked start). The store works that out in
        one pass over each open deal's meetings, grouped by deal, and sends back the
        candidates' meetings in the same statement. Asked held meeting by held meeting
        whether a later one was booked, PostgreSQL looked up each deal's meetings twice, in
        parallel workers, and the candidates' meetings were read by id in a second statement
        (ten reps' deals, in process on the web benchmark's store: 38 ms, now 23)."""
        seen = aliased(Meeting)
        held_in_window = and_(
            seen.status == MeetingStatus.HELD, seen.start_at >= start, seen.start_at < end
        )
        last_held_end = func.max(seen.end_at).filter(held_in_window)
        last_booked_start = func.max(seen.start_at).filter(seen.status.in_(_BOOKED))
        open_deals = _owned(select(Deal.id).where(Deal.outcome == Outcome.OPEN), owners)
        candidates = (
            self._of_deals(select(seen.deal_id), seen, open_deals)
            .group_by(seen.deal_id)
            .having(last_booked_start <= last_held_end)
        )
        return self._rows(self._of_deals(_MEETING_ROW, Meeting, candidates))

    def meeting_rows(self, deal_ids: Sequence[str]) -> list[MeetingRow]:
        """(id, deal, start, end, status) of every meeting of ``deal_ids``."""
        rows: list[MeetingRow] = []
        for first in range(0, len(deal_ids), _CHUNK):
            chunk = list(deal_ids[first : first + _CHUNK])
            rows += self._rows(_MEETING_ROW.where(Meeting.deal_id.in_(chunk)))
        return rows

    def _rows(self, query: Select[str, str, datetime, datetime, MeetingStatus]) -> list[MeetingRow]:
        return [(r[0], r[1], r[2], r[3], str(r[4])) for r in self._plain(query)]

    def _plain(self, query: Select[*_Row]) -> Result[*_Row]:
        """The rows of a query of columns, without the ORM's per-row work (pending changes
        are flushed first, as the session would)."""
        self.session.flush()
        return self.session.connection().execute(query)

    def first_of_each_day(
        self, owners: Collection[str] | None, midnights: Sequence[datetime], limit: int | None
    ) -> tuple[list[ShownMeeting], list[int]]:
        """The days between consecutive ``midnights``: each day's first ``limit`` meetings
        (all without a limit) with what the calendar shows of their deals, in start order,
        and each day's count. The store numbers and counts each day's meetings, so a crowded
        week sends back only what is shown, with their deals, in the same statement (read by
        id in a second one, they cost a crowded week 3 ms more). Plain rows of the columns
        shown: as objects, every column of both tables went through the ORM (ten reps' week,
        in process: 11.3 ms, now 10.0)."""
        day = case(
            *((Meeting.start_at < m, n) for n, m in enumerate(midnights[1:])), else_=None
        ).label("day")
        in_day = func.row_number().over(partition_by=day, order_by=(Meeting.start_at, Meeting.id))
        numbered = self._of_owners(
            _MEETING_ROW.add_columns(
                day, in_day.label("n"), func.count().over(partition_by=day).label("total")
            ).where(Meeting.start_at >= midnights[0], Meeting.start_at < midnights[-1]),
            owners,
        ).subquery()
        query = select(
            numbered.c.id,
            numbered.c.deal_id,
            numbered.c.start_at,
            numbered.c.end_at,
            numbered.c.status,
            Deal.owner_id,
            Deal.outcome,
            Deal.account,
            Deal.name,
            numbered.c.day,
            numbered.c.total,
        ).join(Deal, Deal.id == numbered.c.deal_id)
        if limit is not None:
            query = query.where(numbered.c.n <= limit)
        totals = [0] * (len(midnights) - 1)
        shown = []
        for row in self._plain(query.order_by(numbered.c.day, numbered.c.n)):
            shown.append(ShownMeeting._make(row[:-2]))
            totals[row[-2]] = row[-1]
        return shown, totals

    def meeting_cards(self, meeting_ids: Sequence[str]) -> list[MeetingCard]:
        """What the day shows of the meetings ``meeting_ids`` and their deals, in start order:
        plain rows of the columns it shows (as objects, every column of both tables went
        through the ORM)."""
        found: list[MeetingCard] = []
        for first in range(0, len(meeting_ids), _CHUNK):
            query = (
                select(
                    Meeting.id,
                    Meeting.deal_id,
                    Meeting.start_at,
                    Meeting.end_at,
                    Meeting.location,
                    Meeting.agenda,
                    Meeting.homework,
                    Deal.owner_id,
                    Deal.account,
                    Deal.name,
                )
                .join(Deal, Deal.id == Meeting.deal_id)
                .where(Meeting.id.in_(list(meeting_ids[first : first + _CHUNK])))
            )
            found.extend(MeetingCard._make(row) for row in self._plain(query))
        return sorted(found, key=lambda card: (card.start_at, card.id))

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

    def deal_labels(self, deal_ids: Collection[str]) -> dict[str, DealLabel]:
        """What a list shows of the deals ``deal_ids`` (plain rows, not objects)."""
        found: dict[str, DealLabel] = {}
        ids = sorted(deal_ids)
        for first in range(0, len(ids), _CHUNK):
            query = select(Deal.id, Deal.owner_id, Deal.outcome, Deal.account, Deal.name).where(
                Deal.id.in_(ids[first : first + _CHUNK])
            )
            found.update((row[0], DealLabel._make(row)) for row in self._plain(query))
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

    def open_tasks(
        self, owners: Collection[str] | None, *, limit: int, offset: int = 0
    ) -> list[TaskRow]:
        """A page of the open tasks, the earliest due first (the overdue ones lead), with
        what their deals are called. The page is taken before the deals are joined (joined
        first, PostgreSQL read every deal for a page of tasks)."""
        page = (
            _open_tasks(
                select(Task.id, Task.title, Task.rule, Task.due_at, Task.deal_id, Task.owner_id),
                owners,
            )
            .order_by(Task.due_at, Task.id)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        query = (
            select(page, Deal.id.is_not(None), Deal.account, Deal.name)
            .outerjoin(Deal, Deal.id == page.c.deal_id)
            .order_by(page.c.due_at, page.c.id)
        )
        return [TaskRow._make(row) for row in self._plain(query)]

    def count_open_tasks(self, owners: Collection[str] | None) -> int:
        return self.session.scalar(_open_tasks(select(func.count(Task.id)), owners)) or 0

    def awaiting_outcome(
        self, owners: Collection[str] | None, now: datetime, *, limit: int, offset: int = 0
    ) -> list[ShownMeeting]:
        """A page of the scheduled meetings that started by ``now`` (their outcome is
        unknown), the earliest first."""
        query = _awaiting(_SHOWN_MEETING, owners, now).order_by(Meeting.start_at, Meeting.id)
        return [ShownMeeting._make(row) for row in self._plain(query.limit(limit).offset(offset))]

    def count_awaiting_outcome(self, owners: Collection[str] | None, now: datetime) -> int:
        return self.session.scalar(_awaiting(select(func.count(Meeting.id)), owners, now)) or 0

    def coming_scheduled(
        self,
        owners: Collection[str] | None,
        after: datetime,
        until: datetime,
        *,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[tuple[str, str]], list[MeetingRow]]:
        """(id, deal) of a page of the scheduled meetings starting in ``(after, until)``, the
        earliest first, and (id, deal, start, end, status) of every meeting of their deals,
        which place them. The store sends back both in one statement (read apart, the page's
        deals went back to it as a list of ids, a second round trip)."""
        page = (
            self._of_owners(
                select(Meeting.id, Meeting.deal_id)
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.start_at > after,
                    Meeting.start_at < until,
                )
                .order_by(Meeting.start_at, Meeting.id),
                owners,
            )
            .limit(limit)
            .offset(offset)
            .cte("page")
        )
        query = _MEETING_ROW.add_columns(Meeting.id.in_(select(page.c.id)).label("on_page")).where(
            Meeting.deal_id.in_(select(page.c.deal_id))
        )
        rows: list[MeetingRow] = []
        on_page: list[MeetingRow] = []
        for r in self._plain(query):
            row = (r[0], r[1], r[2], r[3], str(r[4]))
            rows.append(row)
            if r[5]:
                on_page.append(row)
        on_page.sort(key=lambda row: (row[2], row[0]))
        return [(row[0], row[1]) for row in on_page], rows


def _open_tasks(query, owners: Collection[str] | None):  # type: ignore[no-untyped-def]
    query = query.where(Task.status == TaskStatus.OPEN)
    return query if owners is None else query.where(Task.owner_id.in_(sorted(owners)))


def _awaiting(query, owners: Collection[str] | None, now: datetime):  # type: ignore[no-untyped-def]
    return _owned(
        query.select_from(Meeting)
        .join(Deal, Deal.id == Meeting.deal_id)
        .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.start_at <= now),
        owners,
    )
