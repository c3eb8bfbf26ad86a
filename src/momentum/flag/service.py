"""Open flags as a person sees them: scoped to the deals they may see, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from momentum.deal.repository import DealRepository
from momentum.errors import InputError, NotFound
from momentum.flag.repository import FlagRepository
from momentum.flag.schemas import FlagPage, FlagView
from momentum.paging import decode_cursor, encode_cursor, listing
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService


class FlagService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.flags = FlagRepository(session)
        self.scope = ScopeService(session)

    def open_flags(
        self,
        actor: Actor,
        *,
        rule: str | None = None,
        deal_id: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> FlagPage:
        owners = self.scope.visible_owner_ids(actor)
        if deal_id is not None:
            deal = DealRepository(self.session).get(deal_id)
            if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
                raise NotFound(f"no deal {deal_id!r}")
        name = listing("flags", rule=rule, deal=deal_id)
        after = None
        if cursor:
            raised, last_id = decode_cursor(cursor, name)
            if not isinstance(raised, datetime) or not isinstance(last_id, int):
                raise InputError("the cursor is not one this list gave out")
            after = (raised, last_id)
        found = self.flags.page(owners, rule=rule, deal_id=deal_id, after=after, limit=limit + 1)
        items = [
            FlagView(
                id=flag.id,
                deal_id=deal.id,
                deal_name=deal.name,
                owner_id=deal.owner_id,
                rule=flag.rule,
                reason=flag.reason,
                severity=flag.severity,
                raised_at=flag.raised_at,
                since=flag.since,
            )
            for flag, deal in found[:limit]
        ]
        last = found[limit - 1][0] if len(found) > limit else None
        return FlagPage(
            items=items,
            next_cursor=encode_cursor(name, last.raised_at, last.id) if last else None,
        )
