from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from momentum.db.base import UTCDateTime
from momentum.db.bulk import update_rows
from momentum.db.rows import among
from momentum.deal.models import Deal, Outcome
from momentum.deal.schemas import DealQuery, DealSort, NextStepFilter, RiskFilter
from momentum.flag.models import Flag, Severity
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.next_step.models import NextStep, NextStepStatus
from momentum.rep.models import Rep
from momentum.task.models import Task, TaskStatus

_CHUNK = 5_000  # ids per IN (...) list; well under every database's parameter limit

SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}
# What a missing sort value sorts as: no next step first, no amount last.
_NO_NEXT_STEP = datetime(1900, 1, 1, tzinfo=UTC)
_NO_AMOUNT = -1.0
# The amount sort's groups, in order: an amount in a currency, one without, none.
_PRICED_GROUP, _NO_CURRENCY_GROUP, _NO_AMOUNT_GROUP = 0, 1, 2


def _risk_rank() -> ColumnElement[int]:
    ranked = case(
        *((Flag.severity == severity, rank) for severity, rank in SEVERITY_RANK.items()),
        else_=0,
    )
    return func.coalesce(
        select(func.max(ranked))
        .where(Flag.deal_id == Deal.id, Flag.cleared_at.is_(None))
        .scalar_subquery(),
        0,
    )


def _next_due(now: datetime) -> ColumnElement[datetime]:
    """When the deal's next step is due: its soonest open next step, future meeting or open
    task a person set (a rule's task is a reminder, not a next step); null without one."""
    candidates = union_all(
        select(NextStep.due_at.label("due"))
        .where(NextStep.deal_id == Deal.id, NextStep.status == NextStepStatus.OPEN)
        .correlate(Deal),
        select(Meeting.start_at.label("due"))
        .where(
            Meeting.deal_id == Deal.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.start_at > now,
        )
        .correlate(Deal),
        select(Task.due_at.label("due"))
        .where(Task.deal_id == Deal.id, Task.status == TaskStatus.OPEN, Task.rule.is_(None))
        .correlate(Deal),
    ).subquery()
    return select(func.min(candidates.c.due)).scalar_subquery()


@dataclass(frozen=True)
class _SortKey:
    """One column of a deal list's order: its expression, the type its cursor value is
    bound as, and its direction."""

    expression: ColumnElement[Any]
    type: TypeEngine[Any]
    descending: bool = False

    def ordered(self) -> ColumnElement[Any]:
        """The column as an ``ORDER BY`` term, in its direction."""
        return self.expression.desc() if self.descending else self.expression


def _order(
    sort: DealSort, *, risk: ColumnElement[int], next_due: ColumnElement[datetime]
) -> list[_SortKey]:
    """The columns a deal list is ordered by, before the deal's id (each sort in its natural
    direction, see :class:`DealSort`)."""
    if sort is DealSort.RISK:
        return [_SortKey(risk, risk.type, descending=True)]
    if sort is DealSort.NEXT_STEP:
        due = func.coalesce(next_due, literal(_NO_NEXT_STEP, UTCDateTime()))
        return [_SortKey(due, UTCDateTime())]
    if sort is DealSort.AMOUNT:
        return _amount_keys()
    if sort is DealSort.NAME:
        return [_SortKey(func.coalesce(Deal.name, ""), Deal.name.type)]
    created = func.coalesce(Deal.opened_at, Deal.created_at)
    return [_SortKey(created, UTCDateTime(), descending=True)]


def _amount_keys() -> list[_SortKey]:
    """Amounts in different currencies are not comparable: each currency's together (A to
    Z), largest first within it; an amount without its currency after them, then the deals
    without an amount (tied, whatever their currency: it says nothing). No column is left
    null, so SQLite (nulls first) and PostgreSQL (nulls last) agree."""
    group = case(
        (Deal.amount.is_(None), _NO_AMOUNT_GROUP),
        (Deal.currency.is_(None), _NO_CURRENCY_GROUP),
        else_=_PRICED_GROUP,
    )
    currency = case((Deal.amount.is_(None), ""), else_=func.coalesce(Deal.currency, ""))
    return [
        _SortKey(group, Integer()),
        _SortKey(currency, String()),
        _SortKey(func.coalesce(Deal.amount, _NO_AMOUNT).cast(Float), Float(), descending=True),
    ]


def amount_order() -> list[ColumnElement[Any]]:
    """``ORDER BY`` terms for deals by amount, as the deals list orders them (see
    :func:`_amount_keys`); a list of something else by its deals' amounts (the deals at risk)
    adds its own tie-breakers after them."""
    return [key.ordered() for key in _amount_keys()]


def _beyond(
    order: Sequence[_SortKey], values: tuple[Any, ...], last_id: str
) -> ColumnElement[bool]:
    """The deals after (``values``, ``last_id``) in ``order``, then by id: beyond it in the
    first column, or equal there and beyond it in the next, and so on."""
    equal: list[ColumnElement[bool]] = []
    either: list[ColumnElement[bool]] = []
    for key, value in zip(order, values, strict=True):
        bound = literal(value, key.type)
        either.append(
            and_(*equal, key.expression < bound if key.descending else key.expression > bound)
        )
        equal.append(key.expression == bound)
    either.append(and_(*equal, Deal.id > last_id))
    return or_(*either)


class DealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, deal_id: str) -> Deal | None:
        return self.session.get(Deal, deal_id)

    def owners_frame(self, deal_ids: Sequence[str]) -> pl.DataFrame:
        rows: list[tuple[str, str]] = []
        for start in range(0, len(deal_ids), _CHUNK):
            chunk = deal_ids[start : start + _CHUNK]
            rows.extend(
                self.session.execute(select(Deal.id, Deal.owner_id).where(Deal.id.in_(chunk))).all()
            )
        return pl.DataFrame(
            rows, schema={"deal_id": pl.String, "owner_id": pl.String}, orient="row"
        )

    def lock(self, deal_id: str) -> Deal | None:
        return self.session.scalars(
            select(Deal)
            .where(Deal.id == deal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def open_without_next_step(
        self, owners: Collection[str] | None, *, now: datetime
    ) -> list[Deal]:
        """Open deals with no future meeting, no open next step and no open task a person set."""
        future_meeting = exists().where(
            Meeting.deal_id == Deal.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.start_at > now,
        )
        open_step = exists().where(
            NextStep.deal_id == Deal.id, NextStep.status == NextStepStatus.OPEN
        )
        manual_task = exists().where(
            Task.deal_id == Deal.id, Task.status == TaskStatus.OPEN, Task.rule.is_(None)
        )
        query = (
            select(Deal)
            .where(Deal.outcome == Outcome.OPEN, ~future_meeting, ~open_step, ~manual_task)
            .order_by(Deal.owner_id, Deal.id)
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(list(owners)))
        return list(self.session.scalars(query))

    def of_meetings(self, meeting_ids: Sequence[str]) -> list[Deal]:
        found: list[Deal] = []
        for start in range(0, len(meeting_ids), _CHUNK):
            chunk = list(meeting_ids[start : start + _CHUNK])
            found.extend(
                self.session.scalars(
                    select(Deal)
                    .join(Meeting, Meeting.deal_id == Deal.id)
                    .where(Meeting.id.in_(chunk))
                ).unique()
            )
        return found

    def page(
        self,
        owners: Collection[str] | None,
        query: DealQuery,
        *,
        now: datetime,
        after: tuple[tuple[Any, ...], str] | None,
        limit: int,
    ) -> list[tuple[Deal, tuple[Any, ...]]]:
        """One page of deals as ``query`` filters and sorts them: (deal, sort key) pairs, the
        key one value per column of the order (:func:`_order`). ``after`` is the (sort key,
        id) of the previous page's last deal (keyset paging, so a page is as fast deep in the
        list as at its start)."""
        risk = _risk_rank()
        next_due = _next_due(now)
        order = _order(query.sort, risk=risk, next_due=next_due)
        keys = [key.expression.label(f"sort_key_{n}") for n, key in enumerate(order)]
        statement = select(Deal, *keys)
        if owners is not None:
            statement = statement.where(Deal.owner_id.in_(sorted(owners)))
        if query.team is not None:
            statement = statement.where(
                Deal.owner_id.in_(select(Rep.id).where(Rep.team == query.team))
            )
        if query.rep is not None:
            statement = statement.where(Deal.owner_id == query.rep)
        if (outcome := query.outcome.outcome()) is not None:
            statement = statement.where(Deal.outcome == outcome)
        if query.stage:  # as a person types it: "negotiation" finds "Negotiation"
            statement = statement.where(func.lower(Deal.stage) == query.stage.strip().lower())
        if query.q:
            text = query.q.strip().lower()
            statement = statement.where(
                or_(
                    func.lower(Deal.name).contains(text, autoescape=True),
                    func.lower(Deal.account).contains(text, autoescape=True),
                    func.lower(Deal.id).contains(text, autoescape=True),
                )
            )
        risk_filters = {
            RiskFilter.FLAGGED: risk > 0,
            RiskFilter.WARNING: risk >= SEVERITY_RANK[Severity.WARNING],
            RiskFilter.CRITICAL: risk >= SEVERITY_RANK[Severity.CRITICAL],
            RiskFilter.NONE: risk == 0,
        }
        if query.risk in risk_filters:
            statement = statement.where(risk_filters[query.risk])
        if query.next_step is NextStepFilter.MISSING:
            statement = statement.where(next_due.is_(None))
        elif query.next_step is NextStepFilter.SET:
            statement = statement.where(next_due.is_not(None))
        if after is not None:
            statement = statement.where(_beyond(order, *after))
        statement = statement.order_by(
            *(key.ordered() for key in order),
            Deal.id,
        )
        rows = self.session.execute(statement.limit(limit)).all()
        return [(row[0], tuple(row[1:])) for row in rows]

    def owner_names(self, owner_ids: Collection[str]) -> dict[str, str | None]:
        rows = self.session.execute(select(Rep.id, Rep.name).where(Rep.id.in_(list(owner_ids))))
        return {row.id: row.name for row in rows}

    def next_steps(
        self, deal_ids: Sequence[str], *, now: datetime
    ) -> dict[str, tuple[str, datetime, str]]:
        """Each deal's soonest next step as (kind, due, title): an open next step, a future
        meeting, or an open task a person set."""
        found: dict[str, tuple[str, datetime, str]] = {}

        def offer(deal_id: str, kind: str, due: datetime, title: str) -> None:
            if deal_id not in found or due < found[deal_id][1]:
                found[deal_id] = (kind, due, title)

        ids = list(deal_ids)
        if not ids:
            return found
        steps = self.session.execute(
            select(NextStep.deal_id, NextStep.kind, NextStep.due_at, Task.title)
            .outerjoin(Task, Task.id == NextStep.task_id)
            .where(NextStep.deal_id.in_(ids), NextStep.status == NextStepStatus.OPEN)
        )
        for deal_id, kind, due, title in steps:
            offer(deal_id, str(kind), due, title or "meeting")
        meetings = self.session.execute(
            select(Meeting.deal_id, Meeting.start_at).where(
                Meeting.deal_id.in_(ids),
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.start_at > now,
            )
        )
        for deal_id, start in meetings:
            offer(deal_id, "meeting", start, "meeting")
        tasks = self.session.execute(
            select(Task.deal_id, Task.due_at, Task.title).where(
                Task.deal_id.in_(ids), Task.status == TaskStatus.OPEN, Task.rule.is_(None)
            )
        )
        for task_deal_id, due, title in tasks:
            if task_deal_id is not None:
                offer(task_deal_id, "task", due, title)
        return found

    # --- when the rules next need to look at a deal ----------------------------------------

    def due_for_rules(self, now: datetime) -> list[str]:
        """The deals the rules must look at again: open ones never evaluated, fallen due, or
        changed since (the deal, one of its meetings, or its owner: their ``updated_at`` is
        later than the latest change the rules saw); and deals closed since."""
        seen = Deal.rules_seen_at
        changed_meeting = exists().where(Meeting.deal_id == Deal.id, Meeting.updated_at > seen)
        open_and_due = and_(
            Deal.outcome == Outcome.OPEN,
            or_(
                seen.is_(None),
                Deal.rules_due_at <= now,
                Deal.updated_at > seen,
                Rep.updated_at > seen,
                changed_meeting,
            ),
        )
        closed_since = and_(Deal.outcome != Outcome.OPEN, Deal.updated_at > seen)
        query = (
            select(Deal.id)
            .join(Rep, Rep.id == Deal.owner_id)
            .where(or_(open_and_due, closed_since))
            .order_by(Deal.id)
        )
        return list(self.session.scalars(query))

    def set_rules_due(self, rows: Sequence[tuple[str, datetime | None, datetime]]) -> None:
        """(deal, when its rules are next due or ``None``, the latest change they saw) for
        each open deal just evaluated."""
        update_rows(
            self.session,
            Deal.__table__,  # type: ignore[arg-type]
            "id",
            ["rules_due_at", "rules_seen_at"],
            rows,
        )

    def mark_open_due(self, now: datetime) -> None:
        """Every open deal due for the rules at ``now``: the rules' settings changed, so the
        worker's next sweep evaluates them all again."""
        self.session.execute(
            update(Deal)
            .where(Deal.outcome == Outcome.OPEN)
            .values(rules_due_at=now)
            .execution_options(synchronize_session=False)
        )

    def settle_closed(self, deal_ids: Sequence[str] | None) -> None:
        """The closed deals among ``deal_ids`` (or all) that closed since the rules last saw
        them: seen, and never due again while closed."""
        query = (
            update(Deal)
            .where(Deal.outcome != Outcome.OPEN, Deal.updated_at > Deal.rules_seen_at)
            .values(rules_due_at=None, rules_seen_at=Deal.updated_at)
            .execution_options(synchronize_session=False)
        )
        if deal_ids is None:
            self.session.execute(query)
            return
        for condition in among(self.session, Deal.id, deal_ids):
            self.session.execute(query.where(condition))
