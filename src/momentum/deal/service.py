"""Deals as a rep or manager sees them: which lack a next step, which are at risk and why."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.repository import SEVERITY_RANK, DealRepository
from momentum.deal.schemas import (
    DealAtRisk,
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
                )
            )
        return list(found.values())

    def list_deals(
        self, actor: Actor, query: DealQuery, *, cursor: str | None = None, limit: int = 50
    ) -> DealPage:
        """One page of the deals ``actor`` may see, filtered and sorted by ``query``, each with
        its next step, its open flags and its risk (the most severe flag). A rep or team
        outside the scope is not found, like one that does not exist."""
        owners = self.scope.visible_owner_ids(actor)
        if query.rep is not None and owners is not None and query.rep not in owners:
            raise NotFound(f"no rep {query.rep!r}")
        after = decode_cursor(cursor, query.sort) if cursor else None
        now = self.clock.now()
        found = self.deals.page(owners, query, now=now, after=after, limit=limit + 1)
        more = len(found) > limit
        found = found[:limit]
        ids = [deal.id for deal, _ in found]
        flags: dict[str, list[FlagBrief]] = {}
        for flag in FlagRepository(self.session).open_for_deals(ids):
            flags.setdefault(flag.deal_id, []).append(
                FlagBrief(
                    rule=flag.rule,
                    reason=flag.reason,
                    severity=flag.severity,
                    raised_at=flag.raised_at,
                )
            )
        steps = self.deals.next_steps(ids, now=now)
        names = self.deals.owner_names({deal.owner_id for deal, _ in found})
        items = []
        for deal, _ in found:
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
        last = found[-1] if more else None
        return DealPage(
            items=items,
            next_cursor=encode_cursor(query.sort, last[1], last[0].id) if last else None,
        )


def encode_cursor(sort: DealSort, key: Any, deal_id: str) -> str:
    """An opaque cursor: the sort it belongs to, the last row's sort key and id."""
    if isinstance(key, datetime):
        key = {"t": key.isoformat()}
    elif isinstance(key, Decimal):
        key = float(key)
    raw = json.dumps([sort.value, key, deal_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: DealSort) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, deal_id = json.loads(raw)
        if isinstance(key, dict):
            key = datetime.fromisoformat(key["t"])
        if not isinstance(deal_id, str) or not isinstance(key, (str, int, float, datetime)):
            raise ValueError("malformed")
    except (ValueError, TypeError, KeyError):
        raise InputError("the cursor is not one this list gave out") from None
    if cursor_sort != sort.value:
        raise InputError("the cursor belongs to another sort order: start again without it")
    return key, deal_id
