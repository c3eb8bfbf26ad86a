from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from momentum.db.rows import among, plain_rows_in
from momentum.db.upsert import insert_unless_open
from momentum.deal.models import Deal
from momentum.task.models import OPEN_RULE_TASK, Task, TaskStatus

# A task to open: (deal, owner, title, rule, due), the columns of OPENED.
OpenedTask = tuple[str | None, str, str, str | None, datetime]
OPENED = ("deal_id", "owner_id", "title", "rule", "due_at")


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, task_id: int) -> Task | None:
        return self.session.get(Task, task_id)

    def add(self, task: Task) -> Task:
        self.session.add(task)
        self.session.flush()
        return task

    def for_owners(
        self, owners: Collection[str] | None, *, include_closed: bool = False
    ) -> list[Task]:
        query = select(Task).order_by(Task.due_at, Task.id)
        if owners is not None:
            query = query.where(Task.owner_id.in_(list(owners)))
        if not include_closed:
            query = query.where(Task.status == TaskStatus.OPEN)
        return list(self.session.scalars(query))

    def open_rule_tasks(self, deal_ids: Sequence[str] | None) -> list[tuple[str, str, int]]:
        """(deal, rule, task id) of every open task a rule raised, on ``deal_ids`` or all."""
        query = select(Task.deal_id, Task.rule, Task.id).where(
            Task.status == TaskStatus.OPEN, Task.rule.is_not(None), Task.deal_id.is_not(None)
        )
        return plain_rows_in(self.session, query, Task.deal_id, deal_ids)

    def insert_many(self, rows: Sequence[OpenedTask], *, created_at: datetime) -> int:
        """Open tasks, all at ``created_at``; a rule's task already open for the same deal and
        rule (a concurrent evaluation) is left as it is. Returns how many were opened."""
        return insert_unless_open(
            self.session,
            Task.__table__,  # type: ignore[arg-type]
            (*OPENED, "status", "created_at"),
            [(*row, TaskStatus.OPEN, created_at) for row in rows],
            open_when=OPEN_RULE_TASK,
        )

    def close_many(self, ids: Sequence[int], *, now: datetime, reason: str) -> None:
        query = (
            update(Task)
            .values(status=TaskStatus.DONE, closed_at=now, closed_reason=reason)
            .execution_options(synchronize_session=False)
        )
        for condition in among(self.session, Task.id, ids):
            self.session.execute(query.where(condition))

    def overdue_open(self, *, now: datetime, since: datetime) -> list[tuple[Task, Deal | None]]:
        """Open tasks that fell due in ``[since, now]``, with their deal."""
        rows = self.session.execute(
            select(Task, Deal)
            .outerjoin(Deal, Deal.id == Task.deal_id)
            .where(Task.status == TaskStatus.OPEN, Task.due_at <= now, Task.due_at >= since)
        ).all()
        return [(task, deal) for task, deal in rows]

    def page(
        self,
        owners: Collection[str] | None,
        *,
        include_closed: bool,
        deal_id: str | None,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> list[Task]:
        """Tasks by due date (then id), after the (due, id) of the previous page's last."""
        query = select(Task)
        if owners is not None:
            query = query.where(Task.owner_id.in_(sorted(owners)))
        if not include_closed:
            query = query.where(Task.status == TaskStatus.OPEN)
        if deal_id is not None:
            query = query.where(Task.deal_id == deal_id)
        if after is not None:
            due, last_id = after
            query = query.where(or_(Task.due_at > due, and_(Task.due_at == due, Task.id > last_id)))
        return list(self.session.scalars(query.order_by(Task.due_at, Task.id).limit(limit)))
