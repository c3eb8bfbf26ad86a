"""``GET /api/v1/me``: who the token or session acts as."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from momentum.user.models import Role
from momentum.web.api._common import COMMON
from momentum.web.deps import ApiActor

router = APIRouter(tags=["me"], responses=COMMON)


class Me(BaseModel):
    user_id: int | None
    role: Role
    rep_id: str | None


@router.get("/me", response_model=Me, summary="Who the caller acts as")
def me(actor: ApiActor) -> Me:
    return Me(user_id=actor.user_id, role=actor.role, rep_id=actor.rep_id)
