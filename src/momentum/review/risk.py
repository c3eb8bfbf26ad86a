"""Deals at risk, for a manager: the open flags grouped by rule, each with its reason, age,
owner, amount and the task the rule set; sorted by risk, amount or age; narrowed to a team or
a rep; and the task handed to another rep in scope."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from momentum.clock import Clock
from momentum.deal.changes import mark_changed
from momentum.deal.models import Deal
from momentum.deal.repository import amount_order
from momentum.errors import Conflict, InputError, NotFound, PermissionDenied
from momentum.flag.models import Flag, Severity
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.review.scope import resolve_scope, visible_reps
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role
from momentum.user.schemas import Actor

SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
SEVERITY_RANK = case(SEVERITY_ORDER, value=Flag.severity)  # a flag's SEVERITY_ORDER in SQL


class RiskSort(enum.StrEnum):
    RISK = "risk"  # most severe first, then the oldest
    AMOUNT = "amount"  # as the deals list: by currency A to Z, largest first; none last
    AGE = "age"  # oldest flag first


class RiskQuery(BaseModel):
    team: str | None = Field(default=None, max_length=200)
    rep: str | None = Field(default=None, max_length=200)
    rule: str | None = Field(default=None, max_length=80)
    sort: RiskSort = RiskSort.RISK
    page: int = Field(default=1, ge=1, le=1_000_000)  # of each rule's rows


class RiskRow(BaseModel):
    flag_id: int
    rule: str
    reason: str
    severity: Severity
    raised_at: datetime
    since: datetime  # when the flag's condition began (Flag.since)
    age_days: int  # whole days since then
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
    # (rep id, name) the task may be given to: the deal's owner and the managers above them,
    # who can open the deal (anyone else would be sent to a deal they may not see)
    assignable: list[tuple[str, str]] = []


class RiskGroup(BaseModel):
    rule: str
    title: str
    count: int
    first: int  # the position of the first row shown, from 1
    amounts: dict[str, Decimal]  # per currency ("" where none is given)
    rows: list[RiskRow]
    severity: Severity  # the most severe of all its flags
    pages: int  # of ``limit`` rows

    @property
    def shown(self) -> int:
        return len(self.rows)


class RiskBoard(BaseModel):
    query: RiskQuery
    groups: list[RiskGroup]
    assignees: list[tuple[str, str]]  # (rep id, name) a task may go to


class RiskBoardService:
    """``limit`` bounds the rows shown per rule, a page at a time (the counts and amounts
    cover all of them)."""

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
        groups = self._groups(scope.owner_ids, query)
        if query.rule and not groups and self.titles and query.rule not in self.titles:
            # a mistyped rule would read "nothing flagged"
            raise InputError(
                f"rule: {query.rule!r} is not a rule; the rules are {', '.join(self.titles)}"
            )
        reps = visible_reps(self.session, actor)
        manager_of = {rep.id: rep.manager_id for rep in reps}
        assignees = [(rep.id, rep.name or rep.id) for rep in reps]
        for row in self._rows(scope.owner_ids, query):
            openers = _openers(row.owner_id, manager_of)
            row.assignable = [pair for pair in assignees if pair[0] in openers]
            groups[row.rule].rows.append(row)
        ordered = sorted(
            groups.values(), key=lambda g: (SEVERITY_ORDER[g.severity], -g.count, g.rule)
        )
        return RiskBoard(query=query, groups=ordered, assignees=assignees)

    def _groups(self, owners: Collection[str] | None, query: RiskQuery) -> dict[str, RiskGroup]:
        """Each rule's count, amounts per currency and most severe flag, counted by the
        store (a large scope has hundreds of thousands of flags)."""
        totals = _open_flags(
            select(
                Flag.rule,
                Deal.currency,
                func.count(Flag.id),
                func.sum(Deal.amount),
                func.min(SEVERITY_RANK),
            ),
            owners,
            query,
        ).group_by(Flag.rule, Deal.currency)
        counts: dict[str, int] = {}
        ranks: dict[str, int] = {}
        amounts: dict[str, dict[str, Decimal]] = {}
        for rule, currency, count, amount, most_severe in self.session.execute(totals):
            counts[rule] = counts.get(rule, 0) + count
            ranks[rule] = min(ranks.get(rule, most_severe), most_severe)
            if amount is not None:
                amounts.setdefault(rule, {})[currency or ""] = Decimal(amount)
        severities = {order: severity for severity, order in SEVERITY_ORDER.items()}
        return {
            rule: RiskGroup(
                rule=rule,
                title=self.titles.get(rule) or rule.replace("_", " ").capitalize(),
                count=count,
                first=(query.page - 1) * self.limit + 1,
                amounts=amounts.get(rule, {}),
                rows=[],
                severity=severities[ranks[rule]],
                pages=-(-count // self.limit),
            )
            for rule, count in counts.items()
        }

    def _rows(self, owners: Collection[str] | None, query: RiskQuery) -> list[RiskRow]:
        """The page's rows of each rule, in the chosen order: the store numbers each rule's
        flags in that order, and only the page's are read."""
        order: tuple[Any, ...]
        if query.sort is RiskSort.AMOUNT:
            # the deals list's amount order (each currency's together, A to Z, largest first;
            # no currency, then no amount, last), the same on every database; then the oldest
            order = (*amount_order(), Flag.since, Flag.id)
        elif query.sort is RiskSort.AGE:
            order = (Flag.since, Flag.id)
        else:
            order = (SEVERITY_RANK, Flag.since, Flag.id)
        numbered = _open_flags(
            select(
                Flag.id,
                func.row_number().over(partition_by=Flag.rule, order_by=order).label("n"),
            ),
            owners,
            query,
        ).subquery()
        offset = (query.page - 1) * self.limit
        page = select(numbered.c.id).where(
            numbered.c.n > offset, numbered.c.n <= offset + self.limit
        )
        owner = aliased(Rep)
        assignee = aliased(Rep)
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
            .where(Flag.id.in_(page))
            .order_by(*order)
        )
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
                    since=flag.since,
                    age_days=flag.age_days(now),
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
        if deal is not None:
            reps = {rep.id: rep for rep in RepRepository(self.session).all()}
            manager_of = {rep.id: rep.manager_id for rep in reps.values()}
            if to_rep_id not in _openers(deal.owner_id, manager_of):
                named = reps[to_rep_id].name if to_rep_id in reps else None
                label = deal.account or deal.name or deal.id
                raise Conflict(
                    f"{named or to_rep_id} cannot open {label} ({deal.id}), another rep's "
                    "deal: give its task to its owner or to a manager above them"
                )
        if task.status is not TaskStatus.OPEN:
            raise Conflict(f"task {task_id} is already {task.status}")
        task.owner_id = to_rep_id
        self.session.flush()
        if task.deal_id is not None:
            mark_changed(self.session, task.deal_id)
        return task


def _openers(owner_id: str, manager_of: Mapping[str, str | None]) -> set[str]:
    """``owner_id`` and the managers above them among ``manager_of``'s reps: who can open
    the owner's deals."""
    openers: set[str] = set()
    rep: str | None = owner_id
    while rep is not None and rep in manager_of and rep not in openers:
        openers.add(rep)
        rep = manager_of[rep]
    return openers


def _open_flags(statement, owners: Collection[str] | None, query: RiskQuery):  # type: ignore[no-untyped-def]
    """``statement`` over the open flags in scope (and of ``query``'s rule), with their deals."""
    statement = statement.join(Deal, Deal.id == Flag.deal_id).where(Flag.cleared_at.is_(None))
    if owners is not None:
        statement = statement.where(Deal.owner_id.in_(sorted(owners)))
    if query.rule:
        statement = statement.where(Flag.rule == query.rule)
    return statement
