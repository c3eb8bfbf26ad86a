"""Open flags: deals at risk and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from momentum.flag.schemas import FlagPage
from momentum.flag.service import FlagService
from momentum.web.api._common import COMMON, NOT_FOUND, Cursor, Limit
from momentum.web.deps import ApiActor, DbSession

router = APIRouter(tags=["flags"], responses=COMMON)


@router.get("/flags", response_model=FlagPage, responses=NOT_FOUND, summary="List open flags")
def list_flags(
    session: DbSession,
    actor: ApiActor,
    rule: Annotated[str | None, Query(max_length=80, description="Only this rule's.")] = None,
    deal: Annotated[str | None, Query(max_length=200, description="Only this deal's.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> FlagPage:
    """The open flags on deals the caller may see, newest first."""
    return FlagService(session).open_flags(
        actor, rule=rule, deal_id=deal, cursor=cursor, limit=limit
    )
