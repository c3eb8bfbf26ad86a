from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.deal.models import Deal, Outcome


def open_deal_ids(session: Session, owner_id: str) -> list[str]:
    """The rep's open deals, whose rules depend on the rep's calendar."""
    return list(
        session.scalars(
            select(Deal.id).where(Deal.owner_id == owner_id, Deal.outcome == Outcome.OPEN)
        )
    )
