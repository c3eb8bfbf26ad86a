"""Who may see what: the scope every query and change is checked against."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.errors import NotFound, PermissionDenied
from momentum.rep.repository import RepRepository
from momentum.rep.schemas import RepView
from momentum.user.models import Role
from momentum.user.repository import UserRepository
from momentum.user.schemas import Actor


class ScopeService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.reps = RepRepository(session)

    def actor_for_user(self, user_id: int) -> Actor:
        user = UserRepository(self.session).get(user_id)
        if user is None or not user.active:
            raise NotFound(f"no active user {user_id}")
        return Actor.of(user)

    def visible_owner_ids(self, actor: Actor) -> frozenset[str] | None:
        """The reps whose deals ``actor`` may see; ``None`` means every rep."""
        if actor.role is Role.ADMIN:
            return None
        if actor.rep_id is None:
            raise PermissionDenied("this user is not linked to a rep and sees no deals")
        if actor.role is Role.MANAGER:
            return frozenset([actor.rep_id, *self.reps.reports_of(actor.rep_id)])
        return frozenset([actor.rep_id])

    def team_members(self, actor: Actor, team: str) -> frozenset[str]:
        """The reps of ``team`` whose deals ``actor`` may see; a team with none of them is
        not found, like one that does not exist."""
        visible = self.visible_owner_ids(actor)
        members = {rep.id for rep in self.reps.all() if rep.team == team}
        if visible is not None:
            members &= visible
        if not members:
            raise NotFound(f"no team {team!r}")
        return frozenset(members)

    def visible_rep(self, actor: Actor, rep_id: str) -> None:
        """Check that ``actor`` may see the rep ``rep_id``: one outside the scope is not
        found, in the same words as one that does not exist."""
        if not self.may_see_owner(actor, rep_id) or self.reps.get(rep_id) is None:
            raise NotFound(f"no rep {rep_id!r}")

    def may_see_owner(self, actor: Actor, owner_id: str) -> bool:
        owners = self.visible_owner_ids(actor)
        return owners is None or owner_id in owners

    def visible_reps(self, actor: Actor) -> list[RepView]:
        """The reps whose deals ``actor`` may see, by name."""
        owners = self.visible_owner_ids(actor)
        reps = self.reps.all() if owners is None else self.reps.many(sorted(owners))
        return sorted(
            (RepView.model_validate(rep) for rep in reps), key=lambda r: (r.name or r.id, r.id)
        )
