"""Deals as a rep or manager sees them: which lack a next step, which are at risk and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.models import Deal
from momentum.deal.repository import SEVERITY_RANK, DealRepository
from momentum.deal.schemas import (
    DealAtRisk,
    DealDetail,
    DealPage,
    DealQuery,
    DealRow,
    DealSort,
    DealSummary,
    FlagBrief,
    NextStepBrief,
    RiskReason,
)
from momentum.errors import InputError, NotFound
from momentum.flag.repository import FlagRepository
from momentum.meeting.repository import MeetingRepository
from momentum.meeting.schemas import MeetingView
from momentum.next_step.repository import NextStepRepository
from momentum.next_step.schemas import NextStepView
from momentum.paging import decode_cursor, encode_cursor, listing
from momentum.task.repository import TaskRepository
from momentum.task.schemas import TaskView
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService


class DealService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.deals = DealRepository(session)
        self.scope = ScopeService(session)

    def without_next_step(self, actor: Actor) -> list[DealSummary]:
        """Open deals with no future meeting and no open next step or task set by a person."""
        owners = self.scope.visible_owner_ids(actor)
        return [
            DealSummary.model_validate(deal)
            for deal in self.deals.open_without_next_step(owners, now=self.clock.now())
        ]

    def at_risk(self, actor: Actor) -> list[DealAtRisk]:
        """Deals with at least one uncleared flag, each with the rules' plain reasons."""
        owners = self.scope.visible_owner_ids(actor)
        found: dict[str, DealAtRisk] = {}
        for flag, deal in FlagRepository(self.session).open_with_deals(owners):
            entry = found.setdefault(
                deal.id, DealAtRisk(deal=DealSummary.model_validate(deal), reasons=[])
            )
            entry.reasons.append(
                RiskReason(
                    rule=flag.rule,
                    reason=flag.reason,
                    severity=flag.severity,
                    raised_at=flag.raised_at,
                    since=flag.since,
                )
            )
        return list(found.values())

    def at_risk_counts(self, actor: Actor) -> tuple[int, dict[str, int]]:
        """How many deals :meth:`at_risk` would list, and how many of them each rule flags."""
        return FlagRepository(self.session).open_counts(self.scope.visible_owner_ids(actor))

    def list_deals(
        self, actor: Actor, query: DealQuery, *, cursor: str | None = None, limit: int = 50
    ) -> DealPage:
        """One page of the deals ``actor`` may see, filtered and sorted by ``query``, each with
        its next step, its open flags and its risk (the most severe flag). A rep or a team
        outside the scope is not found, like one that does not exist (as on every page)."""
        owners = self.scope.visible_owner_ids(actor)
        if query.rep is not None:
            self.scope.visible_rep(actor, query.rep)
        if query.team is not None:
            self.scope.team_members(actor, query.team)
        after = _deal_cursor(cursor, query) if cursor else None
        now = self.clock.now()
        found = self.deals.page(owners, query, now=now, after=after, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        items = self._rows([deal for deal, _ in found], now=now)
        last = found[-1] if more else None
        return DealPage(
            items=items,
            next_cursor=_next_cursor(query, *last) if last else None,
        )

    def _rows(self, deals: list[Deal], *, now: datetime) -> list[DealRow]:
        """Each deal with its owner's name, its soonest next step and its open flags."""
        ids = [deal.id for deal in deals]
        flags: dict[str, list[FlagBrief]] = {}
        for flag in FlagRepository(self.session).open_for_deals(ids):
            flags.setdefault(flag.deal_id, []).append(
                FlagBrief(
                    rule=flag.rule,
                    reason=flag.reason,
                    severity=flag.severity,
                    raised_at=flag.raised_at,
                    since=flag.since,
                )
            )
        steps = self.deals.next_steps(ids, now=now)
        names = self.deals.owner_names({deal.owner_id for deal in deals})
        items = []
        for deal in deals:
            deal_flags = flags.get(deal.id, [])
            step = steps.get(deal.id)
            items.append(
                DealRow(
                    id=deal.id,
                    name=deal.name,
                    account=deal.account,
                    owner_id=deal.owner_id,
                    owner_name=names.get(deal.owner_id),
                    stage=deal.stage,
                    amount=deal.amount,
                    currency=deal.currency,
                    outcome=deal.outcome,
                    next_step=NextStepBrief(kind=step[0], due_at=step[1], title=step[2])
                    if step
                    else None,
                    flags=deal_flags,
                    risk=max(
                        (f.severity for f in deal_flags),
                        key=SEVERITY_RANK.__getitem__,
                        default=None,
                    ),
                )
            )
        return items

    def detail(self, actor: Actor, deal_id: str) -> DealDetail:
        deal = self.deals.get(deal_id)
        if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
            raise NotFound(f"no deal {deal_id!r}")
        now = self.clock.now()
        return DealDetail(
            deal=self._rows([deal], now=now)[0],
            meetings=[
                MeetingView.of(m, now) for m in MeetingRepository(self.session).for_deal(deal_id)
            ],
            next_steps=[
                NextStepView.model_validate(step)
                for step in NextStepRepository(self.session).open_for_deal(deal_id)
            ],
            tasks=[
                TaskView.model_validate(task)
                for task in TaskRepository(self.session).page(
                    None, include_closed=True, deal_id=deal_id, after=None, limit=1000
                )
            ],
        )


def _listing(query: DealQuery) -> str:
    return listing(f"deals.{query.sort}", **query.model_dump(exclude={"sort"}))


def _next_cursor(query: DealQuery, deal: Deal, key: tuple[Any, ...]) -> str:
    # an order on one column carries its value alone, as every other list's cursor does
    return encode_cursor(_listing(query), key[0] if len(key) == 1 else key, deal.id)


def _deal_cursor(cursor: str, query: DealQuery) -> tuple[tuple[Any, ...], str]:
    key, deal_id = decode_cursor(cursor, _listing(query))
    values = key if isinstance(key, tuple) else (key,)
    expected = _CURSOR_KEY_TYPES[query.sort]
    if (
        not isinstance(deal_id, str)
        or len(values) != len(expected)
        or any(
            isinstance(value, bool) or not isinstance(value, kind)
            for value, kind in zip(values, expected, strict=True)
        )
    ):
        raise InputError("the cursor is not one this list gave out")
    return values, deal_id


# The type of each value of a cursor's sort key, by the columns of the order
# (``DealRepository.page``): the amount sort's are its group, currency and amount.
_CURSOR_KEY_TYPES: dict[DealSort, tuple[type | tuple[type, ...], ...]] = {
    DealSort.RISK: (int,),
    DealSort.NEXT_STEP: (datetime,),
    DealSort.AMOUNT: (int, str, (int, float)),
    DealSort.NAME: (str,),
    DealSort.CREATED: (datetime,),
}
