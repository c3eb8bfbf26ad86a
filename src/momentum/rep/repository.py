from __future__ import annotations

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.rep.models import Rep

KNOWN_REPS = {
    "rep_id": pl.String,
    "timezone": pl.String,
    "country": pl.String,
    "manager_id": pl.String,
}


class RepRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, rep_id: str) -> Rep | None:
        return self.session.get(Rep, rep_id)

    def many(self, rep_ids: list[str]) -> list[Rep]:
        return list(self.session.scalars(select(Rep).where(Rep.id.in_(rep_ids)))) if rep_ids else []

    def all(self) -> list[Rep]:
        return list(self.session.scalars(select(Rep).order_by(Rep.id)))

    def frame(self) -> pl.DataFrame:
        """Every rep's id, zone, holiday country and manager: what an import checks against."""
        rows = self.session.execute(select(Rep.id, Rep.timezone, Rep.country, Rep.manager_id)).all()
        return pl.DataFrame(rows, schema=KNOWN_REPS, orient="row")

    def reports_of(self, manager_id: str) -> list[str]:
        """Every rep who reports to ``manager_id``, directly or through other managers."""
        found: list[str] = []
        frontier = [manager_id]
        while frontier:
            children = list(
                self.session.scalars(select(Rep.id).where(Rep.manager_id.in_(frontier)))
            )
            children = [child for child in children if child not in found and child != manager_id]
            found.extend(children)
            frontier = children
        return found
