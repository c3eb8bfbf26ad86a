from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentum.deal.models import Deal

_CHUNK = 5_000  # ids per IN (...) list; well under every database's parameter limit


class DealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, deal_id: str) -> Deal | None:
        return self.session.get(Deal, deal_id)

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(Deal)).scalar_one())

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
