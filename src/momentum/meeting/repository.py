from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, text
from sqlalchemy.orm import Session

from momentum.db.base import UTCDateTime
from momentum.deal.models import Deal
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange

_CHANGES = "stage_status_change"

# Built once: the dispatcher locks a meeting for every message it sends, and building the
# statement anew costs more than running it.
_LOCK, _LOCK_SHARED = (
    select(Meeting)
    .where(Meeting.id == bindparam("meeting_id"))
    .with_for_update(read=shared)
    .execution_options(populate_existing=True)
    for shared in (False, True)
)


class MeetingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, meeting_id: str) -> Meeting | None:
        return self.session.get(Meeting, meeting_id)

    def capture_staged_status_changes(self, stage: str, *, now: datetime, source: str) -> None:
        """Before staged meetings are merged: note each new or changed status (from what, to
        what), and keep the old ``status_changed_at`` on meetings whose status is unchanged."""
        temp = "" if self.session.get_bind().dialect.name == "postgresql" else "temp."
        self.session.execute(text(f"DROP TABLE IF EXISTS {temp}{_CHANGES}"))
        self.session.execute(
            text(
                f"CREATE TEMP TABLE {_CHANGES} AS "
                f"SELECT s.id AS meeting_id, m.status AS from_status, s.status AS to_status "
                f"FROM {stage} s LEFT JOIN meeting m ON m.id = s.id "
                f"WHERE m.id IS NULL OR m.status <> s.status"
            )
        )
        self.session.execute(
            text(
                f"UPDATE {stage} SET status_changed_at = (SELECT m.status_changed_at FROM meeting m "
                f"WHERE m.id = {stage}.id) WHERE EXISTS (SELECT 1 FROM meeting m "
                f"WHERE m.id = {stage}.id AND m.status = {stage}.status)"
            )
        )
        self._pending = (now, source)

    def persist_captured_status_changes(self) -> None:
        """After the merge: write what :meth:`capture_staged_status_changes` noted."""
        now, source = self._pending
        self.session.execute(
            text(
                "INSERT INTO meeting_status_change "
                "(meeting_id, from_status, to_status, changed_at, source) "
                f"SELECT meeting_id, from_status, to_status, :now, :source FROM {_CHANGES}"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": now, "source": source},
        )
        self.session.execute(text(f"DROP TABLE {_CHANGES}"))

    def add(self, meeting: Meeting) -> Meeting:
        self.session.add(meeting)
        self.session.flush()
        return meeting

    def add_status_change(self, change: MeetingStatusChange) -> None:
        self.session.add(change)

    def lock(self, meeting_id: str, *, shared: bool = False) -> Meeting | None:
        """The meeting, row-locked until the unit of work ends (PostgreSQL; on SQLite the
        writing unit of work already holds the database's write lock).

        Every change to a booked meeting takes the exclusive lock; the dispatcher takes the
        shared one while it checks and sends the meeting's messages, so a cancel either waits
        for a send in progress or is seen by it."""
        statement = _LOCK_SHARED if shared else _LOCK
        return self.session.scalars(statement, {"meeting_id": meeting_id}).first()

    def for_deal(self, deal_id: str) -> list[Meeting]:
        return list(
            self.session.scalars(
                select(Meeting).where(Meeting.deal_id == deal_id).order_by(Meeting.start_at)
            )
        )

    def awaiting_outcome(self, owners: Collection[str] | None, *, now: datetime) -> list[Meeting]:
        """Scheduled meetings whose start has passed: nobody said yet how they went."""
        query = (
            select(Meeting)
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.start_at <= now)
            .order_by(Meeting.start_at)
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(list(owners)))
        return list(self.session.scalars(query))

    def upcoming(self, owners: Collection[str] | None, *, now: datetime) -> list[Meeting]:
        query = (
            select(Meeting)
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.start_at > now)
            .order_by(Meeting.start_at)
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(list(owners)))
        return list(self.session.scalars(query))

    def page(
        self,
        owners: Collection[str] | None,
        *,
        deal_id: str | None,
        state: str | None,
        now: datetime,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Meeting]:
        """Meetings by start (then id), after the (start, id) of the previous page's last.
        ``state``: "upcoming" or "awaiting_outcome" (scheduled, and start after or before
        ``now``), or any status's value."""
        query = select(Meeting).join(Deal, Deal.id == Meeting.deal_id)
        if owners is not None:
            query = query.where(Deal.owner_id.in_(sorted(owners)))
        if deal_id is not None:
            query = query.where(Meeting.deal_id == deal_id)
        if state == "upcoming":
            query = query.where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.start_at > now)
        elif state == "awaiting_outcome":
            query = query.where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.start_at <= now)
        elif state is not None:
            query = query.where(Meeting.status == MeetingStatus(state))
        if after is not None:
            start, last_id = after
            query = query.where(
                or_(Meeting.start_at > start, and_(Meeting.start_at == start, Meeting.id > last_id))
            )
        return list(self.session.scalars(query.order_by(Meeting.start_at, Meeting.id).limit(limit)))
