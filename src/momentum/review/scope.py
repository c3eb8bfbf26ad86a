"""Which reps a page or figure covers: the viewer's scope, narrowed to a team or a rep.

A rep or team outside what the viewer may see answers ``NotFound``, exactly like one that
does not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from momentum.audit.store import load_dataset
from momentum.canonical import Dataset
from momentum.errors import NotFound
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService


@dataclass(frozen=True)
class Scope:
    """The reps covered (``None``: every rep) and how to say so."""

    owner_ids: frozenset[str] | None
    team: str | None = None
    rep_id: str | None = None
    rep_name: str | None = None

    @property
    def label(self) -> str:
        """The scope as a heading says it (names as they are written)."""
        if self.rep_id is not None:
            named = f"{self.rep_name} ({self.rep_id})" if self.rep_name else self.rep_id
            return f"Rep {named}"
        if self.team is not None:
            return f"Team {self.team}"
        return "Everyone you can see"


def resolve_scope(
    session: Session, actor: Actor, *, team: str | None = None, rep_id: str | None = None
) -> Scope:
    scopes = ScopeService(session)
    visible = scopes.visible_owner_ids(actor)
    reps = RepRepository(session)
    team = (team or "").strip() or None
    rep_id = (rep_id or "").strip() or None
    if rep_id is not None:
        rep = reps.get(rep_id)
        if rep is None or (visible is not None and rep_id not in visible):
            raise NotFound(f"no rep {rep_id!r}")
        if team is not None and rep.team != team:
            raise NotFound(f"no rep {rep_id!r} in team {team!r}")
        return Scope(frozenset([rep_id]), team=team, rep_id=rep_id, rep_name=rep.name)
    if team is not None:
        return Scope(scopes.team_members(actor, team), team=team)
    return Scope(visible)


def visible_reps(session: Session, actor: Actor) -> list[Rep]:
    """The reps ``actor`` may see, by name."""
    visible = ScopeService(session).visible_owner_ids(actor)
    reps = RepRepository(session).all()
    if visible is not None:
        reps = [rep for rep in reps if rep.id in visible]
    return sorted(reps, key=lambda rep: ((rep.name or rep.id).lower(), rep.id))


def restrict(data: Dataset, owner_ids: Collection[str] | None) -> Dataset:
    """The deals (and their meetings and owners) of ``owner_ids``; all when ``None``. Rows
    stay in their order (filters, not joins: a scope's view filters the whole store's frames,
    and a filter costs half a join)."""
    if owner_ids is None:
        return data
    owners = pl.Series(sorted(owner_ids), dtype=pl.String).implode()
    deals = data.deals.filter(pl.col("owner_id").is_in(owners))
    deal_ids = deals["deal_id"].implode()
    return Dataset(
        reps=data.reps.filter(pl.col("rep_id").is_in(owners)),
        deals=deals,
        meetings=data.meetings.filter(pl.col("deal_id").is_in(deal_ids)),
        stages=(
            None if data.stages is None else data.stages.filter(pl.col("deal_id").is_in(deal_ids))
        ),
    )


def scoped_dataset(session: Session, scope: Scope) -> Dataset:
    """The store's frames of ``scope``, read from the store (only its deals' rows)."""
    return load_dataset(session, scope.owner_ids)


def local_dates(instants: pl.Series, zones: pl.Series) -> pl.Series:
    """Each instant's date in its zone (zones null: UTC)."""
    dates = pl.repeat(None, instants.len(), dtype=pl.Date, eager=True)
    zones = zones.fill_null("UTC")
    for zone in zones.unique().to_list():
        rows = (zones == zone).arg_true()
        dates = dates.scatter(rows, instants.gather(rows).dt.convert_time_zone(str(zone)).dt.date())
    return dates
