"""The queries the rule engine runs: set-based, so 100,000 deals load in a few round trips.

Rows come back as the driver's plain tuples (no SQLAlchemy row or type processing: at 100,000
deals that processing is most of the load time), instants as the driver reads them: aware
datetimes from PostgreSQL (``timestamptz``), naive UTC text from SQLite, either made an aware
UTC datetime by :attr:`FactsRepository.aware`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, type_coerce, union_all
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from momentum.db.bulk import dialect
from momentum.db.rows import plain_rows_in
from momentum.deal.models import Deal, Outcome
from momentum.meeting.models import Meeting, MeetingStatusChange
from momentum.next_step.models import NextStep, NextStepKind, NextStepStatus
from momentum.rep.models import Rep
from momentum.task.models import Task, TaskStatus

_PARSE = datetime.fromisoformat


def raw(column: Any) -> Any:
    """The column as the driver returns it, without SQLAlchemy's per-value processing."""
    return type_coerce(column, NullType())


def _aware_from_text(text: str) -> datetime:
    return _PARSE(text + "+00:00")


def _aware_already(value: datetime) -> datetime:
    return value


class FactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        postgresql = dialect(session) == "postgresql"
        # An instant selected with :meth:`instant` as an aware UTC datetime.
        self.aware: Callable[[Any], datetime] = _aware_already if postgresql else _aware_from_text
        self.postgresql = postgresql

    def instant(self, column: Any) -> Any:
        """An instant column as the driver reads it: from PostgreSQL an aware UTC datetime
        (the stored naive UTC as ``timestamptz``, which psycopg builds in C in the session's
        time zone, UTC: see momentum.db.engine), from SQLite the naive UTC text it stores
        (``2026-03-04 09:30:00.000000``). Both come out faster than SQLAlchemy's datetimes
        (made aware one ``replace`` at a time, a microsecond each) or PostgreSQL's text."""
        if self.postgresql:
            return func.timezone("UTC", column)
        return raw(column)

    def _rows(self, query: Any, column: Any, ids: Sequence[str] | None) -> list[Any]:
        return plain_rows_in(self.session, query, column, ids)

    def open_deals(self, ids: Sequence[str] | None) -> list[Any]:
        query = (
            select(
                Deal.id,
                Deal.name,
                Deal.account,
                Deal.owner_id,
                Rep.timezone,
                Rep.country,
                self.instant(func.coalesce(Deal.opened_at, Deal.created_at)),
                self.instant(Deal.updated_at),
                self.instant(Rep.updated_at),
            )
            .join(Rep, Rep.id == Deal.owner_id)
            .where(Deal.outcome == Outcome.OPEN)
        )
        return self._rows(query, Deal.id, ids)

    def meetings(self, ids: Sequence[str] | None) -> list[Any]:
        query = select(
            Meeting.deal_id,
            Meeting.id,
            self.instant(Meeting.start_at),
            self.instant(Meeting.end_at),
            raw(Meeting.status),
            self.instant(Meeting.booked_at),
            Meeting.agenda,
            Meeting.homework,
            self.instant(Meeting.updated_at),
        ).order_by(Meeting.deal_id, Meeting.start_at, Meeting.id)
        if ids is None:
            query = query.join(Deal, Deal.id == Meeting.deal_id).where(Deal.outcome == Outcome.OPEN)
        return self._rows(query, Meeting.deal_id, ids)

    def task_step_deals(self, ids: Sequence[str] | None) -> set[str]:
        query = select(NextStep.deal_id).where(
            NextStep.status == NextStepStatus.OPEN, NextStep.kind == NextStepKind.TASK
        )
        return {row[0] for row in self._rows(query, NextStep.deal_id, ids)}

    def manual_task_deals(self, ids: Sequence[str] | None) -> set[str]:
        query = select(Task.deal_id).where(
            Task.status == TaskStatus.OPEN, Task.rule.is_(None), Task.deal_id.is_not(None)
        )
        return {row[0] for row in self._rows(query, Task.deal_id, ids)}

    def activity(self, ids: Sequence[str] | None) -> list[Any]:
        """The latest activity per deal besides meetings themselves: status changes made in
        the app (imports restate history, they are not activity), next steps set, tasks done."""
        changes = (
            select(Meeting.deal_id.label("deal_id"), MeetingStatusChange.changed_at.label("at"))
            .join(Meeting, Meeting.id == MeetingStatusChange.meeting_id)
            .where(MeetingStatusChange.source.not_like("import:%"))
        )
        steps = select(NextStep.deal_id.label("deal_id"), NextStep.created_at.label("at"))
        tasks = select(Task.deal_id.label("deal_id"), Task.closed_at.label("at")).where(
            Task.status == TaskStatus.DONE, Task.rule.is_(None), Task.deal_id.is_not(None)
        )
        every = union_all(changes, steps, tasks).subquery()
        query = select(every.c.deal_id, self.instant(func.max(every.c.at))).group_by(
            every.c.deal_id
        )
        return self._rows(query, every.c.deal_id, ids)
