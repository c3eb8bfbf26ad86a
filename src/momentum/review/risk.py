"""Deals at risk, for a manager: the open flags grouped by rule, each with its reason, age,
owner, amount and the task the rule set; sorted by risk, amount or age; narrowed to a team or
a rep; and the task handed to another rep in scope."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session, aliased

from momentum.clock import Clock
from momentum.deal.changes import mark_changed
from momentum.deal.models import Deal
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.flag.models import Flag, Severity
from momentum.rep.models import Rep
from momentum.review.scope import resolve_scope, visible_reps
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role
from momentum.user.schemas import Actor

SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class RiskSort(enum.StrEnum):
    RISK = "risk"  # most severe first, then the oldest
    AMOUNT = "amount"  # largest first (deals without an amount last)
    AGE = "age"  # oldest flag first


class RiskQuery(BaseModel):
    team: str | None = Field(default=None, max_length=200)
    rep: str | None = Field(default=None, max_length=200)
    rule: str | None = Field(default=None, max_length=80)
    sort: RiskSort = RiskSort.RISK


class RiskRow(BaseModel):
    flag_id: int
    rule: str
    reason: str
    severity: Severity
    raised_at: datetime
    age_days: int
    deal_id: str
    deal_label: str
    owner_id: str
    owner_name: str
    amount: Decimal | None
    currency: str | None
    task_id: int | None
    task_title: str | None
    task_owner_id: str | None
    task_owner_name: str | None
    task_due_at: datetime | None


class RiskGroup(BaseModel):
    rule: str
    title: str
    count: int
    shown: int
    amounts: dict[str, Decimal]  # per currency ("" where none is given)
    rows: list[RiskRow]


class RiskBoard(BaseModel):
    query: RiskQuery
    groups: list[RiskGroup]
    assignees: list[tuple[str, str]]  # (rep id, name) a task may go to


class RiskBoardService:
    """``limit`` bounds the rows shown per rule (the counts and amounts cover all of them)."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        titles: Mapping[str, str] | None = None,
        limit: int = 200,
    ) -> None:
        self.session = session
        self.clock = clock
        self.titles = dict(titles or {})
        self.limit = limit

    def board(self, actor: Actor, query: RiskQuery) -> RiskBoard:
        scope = resolve_scope(self.session, actor, team=query.team, rep_id=query.rep)
        rows = self._rows(scope.owner_ids, query)
        groups: dict[str, RiskGroup] = {}
        for row in rows:
            group = groups.get(row.rule)
            if group is None:
                group = groups[row.rule] = RiskGroup(
                    rule=row.rule,
                    title=self.titles.get(row.rule) or row.rule.replace("_", " ").capitalize(),
                    count=0,
                    shown=0,
                    amounts={},
                    rows=[],
                )
            group.count += 1
            if row.amount is not None:
                currency = row.currency or ""
                group.amounts[currency] = group.amounts.get(currency, Decimal(0)) + row.amount
            if group.shown < self.limit:
                group.rows.append(row)
                group.shown += 1
        ordered = sorted(
            groups.values(),
            key=lambda g: (min(SEVERITY_ORDER[r.severity] for r in g.rows), -g.count, g.rule),
        )
        return RiskBoard(
            query=query,
            groups=ordered,
            assignees=[(rep.id, rep.name or rep.id) for rep in visible_reps(self.session, actor)],
        )

    def _rows(self, owners: Collection[str] | None, query: RiskQuery) -> list[RiskRow]:
        owner = aliased(Rep)
        assignee = aliased(Rep)
        severity = case(SEVERITY_ORDER, value=Flag.severity, else_=9)
        statement = (
            select(Flag, Deal, owner.name, Task, assignee.name)
            .join(Deal, Deal.id == Flag.deal_id)
            .join(owner, owner.id == Deal.owner_id)
            .outerjoin(
                Task,
                and_(
                    Task.deal_id == Flag.deal_id,
                    Task.rule == Flag.rule,
                    Task.status == TaskStatus.OPEN,
                ),
            )
            .outerjoin(assignee, assignee.id == Task.owner_id)
            .where(Flag.cleared_at.is_(None))
        )
        if owners is not None:
            statement = statement.where(Deal.owner_id.in_(sorted(owners)))
        if query.rule:
            statement = statement.where(Flag.rule == query.rule)
        if query.sort is RiskSort.AMOUNT:
            statement = statement.order_by(
                Deal.amount.is_(None), Deal.amount.desc(), Flag.raised_at, Flag.id
            )
        elif query.sort is RiskSort.AGE:
            statement = statement.order_by(Flag.raised_at, Flag.id)
        else:
            statement = statement.order_by(severity, Flag.raised_at, Flag.id)
        now = self.clock.now()
        found = []
        for flag, deal, owner_name, task, task_owner_name in self.session.execute(statement):
            found.append(
                RiskRow(
                    flag_id=flag.id,
                    rule=flag.rule,
                    reason=flag.reason,
                    severity=flag.severity,
                    raised_at=flag.raised_at,
                    age_days=max((now - flag.raised_at).days, 0),
                    deal_id=deal.id,
                    deal_label=deal.account or deal.name or deal.id,
                    owner_id=deal.owner_id,
                    owner_name=owner_name or deal.owner_id,
                    amount=deal.amount,
                    currency=deal.currency,
                    task_id=task.id if task else None,
                    task_title=task.title if task else None,
                    task_owner_id=task.owner_id if task else None,
                    task_owner_name=(task_owner_name or task.owner_id) if task else None,
                    task_due_at=task.due_at if task else None,
                )
            )
        return found

    def assign(self, actor: Actor, task_id: int, *, to_rep_id: str) -> Task:
        """Give an open task to another rep; the task's deal and the rep must both be in the
        manager's scope (else not found)."""
        if actor.role not in (Role.ADMIN, Role.MANAGER):
            raise PermissionDenied("only managers and administrators assign tasks")
        task = self.session.get(Task, task_id)
        deal = self.session.get(Deal, task.deal_id) if task and task.deal_id else None
        owner_of_record = deal.owner_id if deal else (task.owner_id if task else None)
        try:
            if task is None or owner_of_record is None:
                raise NotFound("")
            resolve_scope(self.session, actor, rep_id=owner_of_record)
            resolve_scope(self.session, actor, rep_id=task.owner_id)
        except NotFound:
            raise NotFound(f"no task {task_id}") from None
        resolve_scope(self.session, actor, rep_id=to_rep_id)  # NotFound names the rep
        if task.status is not TaskStatus.OPEN:
            raise Conflict(f"task {task_id} is already {task.status}")
        task.owner_id = to_rep_id
        self.session.flush()
        if task.deal_id is not None:
            mark_changed(self.session, task.deal_id)
        return task
