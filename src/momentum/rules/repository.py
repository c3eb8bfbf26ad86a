"""The queries the rule engine runs: set-based, so 100,000 deals load in a few round trips."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, type_coerce, union_all
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from momentum.deal.models import Deal, Outcome
from momentum.meeting.models import Meeting, MeetingStatusChange
from momentum.next_step.models import NextStep, NextStepKind, NextStepStatus
from momentum.rep.models import Rep
from momentum.task.models import Task, TaskStatus

_CHUNK = 5_000


def raw(column: Any) -> Any:
    """The column as the driver returns it, without SQLAlchemy's per-value processing (read
    with :func:`utc_reader`): at 100,000 deals that processing is most of the load time."""
    return type_coerce(column, NullType())


def utc_reader(session: Session) -> Any:
    """Raw instants as aware UTC datetimes, for the session's database (SQLite gives text,
    PostgreSQL naive datetimes): the loop over 100,000s of rows calls it once per value."""
    if session.get_bind().dialect.name == "sqlite":
        parse = datetime.fromisoformat
        return lambda value: None if value is None else parse(value + "+00:00")
    return lambda value: None if value is None else value.replace(tzinfo=UTC)


class FactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, query: Any, column: Any, ids: Sequence[str] | None) -> list[Any]:
        connection = self.session.connection()  # Core rows: no ORM result machinery
        if ids is None:
            return list(connection.execute(query).all())
        rows: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            rows.extend(connection.execute(query.where(column.in_(chunk))).all())
        return rows

    def open_deals(self, ids: Sequence[str] | None) -> list[Any]:
        query = (
            select(
                Deal.id,
                Deal.name,
                Deal.account,
                Deal.owner_id,
                Rep.timezone,
                Rep.country,
                raw(Deal.opened_at),
                raw(Deal.created_at),
            )
            .join(Rep, Rep.id == Deal.owner_id)
            .where(Deal.outcome == Outcome.OPEN)
        )
        return self._rows(query, Deal.id, ids)

    def meetings(self, ids: Sequence[str] | None) -> list[Any]:
        query = select(
            Meeting.deal_id,
            Meeting.id,
            raw(Meeting.start_at),
            raw(Meeting.end_at),
            raw(Meeting.status),
            raw(Meeting.booked_at),
            Meeting.agenda,
            Meeting.homework,
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
        query = select(every.c.deal_id, raw(func.max(every.c.at))).group_by(every.c.deal_id)
        return self._rows(query, every.c.deal_id, ids)
