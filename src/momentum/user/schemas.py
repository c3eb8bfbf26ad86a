from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from momentum.user.models import ApiToken, Role, User


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


class UserView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    role: Role
    rep_id: str | None
    active: bool


class ApiTokenView(BaseModel):
    id: int
    email: str
    name: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken, user: User) -> ApiTokenView:
        return cls(
            id=token.id,
            email=user.email,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
        )
