from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.changes import mark_changed
from momentum.deal.repository import DealRepository
from momentum.errors import Conflict, InputError, NotFound
from momentum.next_step.models import NextStepStatus
from momentum.next_step.repository import NextStepRepository
from momentum.paging import decode_cursor, encode_cursor, listing
from momentum.task.models import Task, TaskStatus
from momentum.task.repository import TaskRepository
from momentum.task.schemas import TaskPage, TaskView
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService


class TaskService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.tasks = TaskRepository(session)
        self.scope = ScopeService(session)

    def tasks_for(
        self, actor: Actor, *, owner_id: str | None = None, include_closed: bool = False
    ) -> list[TaskView]:
        """Open tasks (by due date) that ``actor`` may see; only ``owner_id``'s when given."""
        owners = self.scope.visible_owner_ids(actor)
        if owner_id is not None:
            self.scope.visible_rep(actor, owner_id)
            owners = frozenset([owner_id])
        return [
            TaskView.model_validate(task)
            for task in self.tasks.for_owners(owners, include_closed=include_closed)
        ]

    def list_tasks(
        self,
        actor: Actor,
        *,
        owner_id: str | None = None,
        deal_id: str | None = None,
        include_closed: bool = False,
        cursor: str | None = None,
        limit: int = 50,
    ) -> TaskPage:
        """A page of the tasks ``actor`` may see, by due date; only ``owner_id``'s or
        ``deal_id``'s when given (outside the scope: not found)."""
        owners = self.scope.visible_owner_ids(actor)
        if owner_id is not None:
            self.scope.visible_rep(actor, owner_id)
            owners = frozenset([owner_id])
        if deal_id is not None:
            deal = DealRepository(self.session).get(deal_id)
            if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
                raise NotFound(f"no deal {deal_id!r}")
        name = listing("tasks", rep=owner_id, deal=deal_id, include_closed=include_closed)
        after = None
        if cursor:
            due, last_id = decode_cursor(cursor, name)
            if not isinstance(due, datetime) or not isinstance(last_id, int):
                raise InputError("the cursor is not one this list gave out")
            after = (due, last_id)
        found = self.tasks.page(
            owners, include_closed=include_closed, deal_id=deal_id, after=after, limit=limit + 1
        )
        last = found[limit - 1] if len(found) > limit else None
        return TaskPage(
            items=[TaskView.model_validate(t) for t in found[:limit]],
            next_cursor=encode_cursor(name, last.due_at, last.id) if last else None,
        )

    def visible(self, actor: Actor, task_id: int) -> Task:
        task = self.tasks.get(task_id)
        if task is None or not self.scope.may_see_owner(actor, task.owner_id):
            raise NotFound(f"no task {task_id}")
        return task

    def complete(self, actor: Actor, task_id: int) -> TaskView:
        """Done by hand. A rule's task whose condition still holds comes back at the next
        evaluation; finish what it asks instead."""
        task = self.visible(actor, task_id)
        if task.status is not TaskStatus.OPEN:
            raise Conflict(f"task {task_id} is already {task.status}")
        task.status = TaskStatus.DONE
        task.closed_at = self.clock.now()
        task.closed_reason = "done"
        self.session.flush()
        # a task set as the deal's next step: that step is done too, so the deal needs a new
        # one (the rules then ask for it)
        NextStepRepository(self.session).close_for_task(
            task.id, status=NextStepStatus.DONE, now=task.closed_at
        )
        if task.deal_id is not None:
            mark_changed(self.session, task.deal_id)
        return TaskView.model_validate(task)
