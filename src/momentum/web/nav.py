"""The navigation: each page module names its entries in ``NAV``; the base layout shows those
the signed-in user's role may open, by ``order``."""

from __future__ import annotations

from dataclasses import dataclass, field

from momentum.user.models import Role


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    path: str
    order: int = 50
    roles: frozenset[Role] = field(default_factory=lambda: frozenset(Role))

    def visible_to(self, role: Role) -> bool:
        return role in self.roles
