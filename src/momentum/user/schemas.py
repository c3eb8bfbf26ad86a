from __future__ import annotations

from dataclasses import dataclass

from momentum.user.models import Role, User


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: what they may see follows from their role and their rep.

    A rep sees their own deals; a manager their own and those of every rep who reports to
    them, directly or through other managers; an admin (and the system itself: the worker,
    the CLI) sees everything.
    """

    role: Role
    rep_id: str | None = None
    user_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(role=Role.ADMIN)

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(role=user.role, rep_id=user.rep_id, user_id=user.id)
