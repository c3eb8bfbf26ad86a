"""Deals: the list (filtered, sorted, paged), one deal with everything on it, and locking in
the next meeting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from momentum.deal.schemas import DealDetail, DealPage, DealQuery
from momentum.next_step.schemas import LockedIn, LockIn
from momentum.web.api._common import (
    COMMON,
    CONFLICT,
    JSON_BODY,
    NOT_FOUND,
    Cursor,
    JsonBodies,
    Limit,
)
from momentum.web.deps import ApiActor, DbSession, engine_of

router = APIRouter(tags=["deals"], responses=COMMON, dependencies=[JsonBodies])
DealId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/deals", response_model=DealPage, responses=NOT_FOUND, summary="List deals")
def list_deals(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    query: Annotated[DealQuery, Query()],
    cursor: Cursor = None,
    limit: Limit = 50,
) -> DealPage:
    """The deals the caller may see, with next step, open flags and risk. A `rep` outside
    the caller's scope answers 404."""
    return engine_of(request).deals(session).list_deals(actor, query, cursor=cursor, limit=limit)


@router.get("/deals/{deal_id}", response_model=DealDetail, responses=NOT_FOUND, summary="One deal")
def get_deal(request: Request, session: DbSession, actor: ApiActor, deal_id: DealId) -> DealDetail:
    return engine_of(request).deals(session).detail(actor, deal_id)


@router.post(
    "/deals/{deal_id}/lock-in",
    response_model=LockedIn,
    status_code=201,
    responses={**NOT_FOUND, **CONFLICT, **JSON_BODY},
    summary="Lock in the next meeting",
)
def lock_in(
    request: Request, session: DbSession, actor: ApiActor, deal_id: DealId, body: LockIn
) -> LockedIn:
    """Book the next meeting with its two-sided agenda, the buyer's homework and the value
    asset: the invitation and the reminders are queued, the rules re-evaluated."""
    return engine_of(request).next_steps(session).lock_in_next_meeting(actor, deal_id, body)
