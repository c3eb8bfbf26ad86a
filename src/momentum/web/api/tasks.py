"""Tasks: the list, and marking one done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from momentum.task.schemas import TaskPage, TaskView
from momentum.web.api._common import COMMON, CONFLICT, NOT_FOUND, Cursor, Limit
from momentum.web.deps import ApiActor, DbSession, engine_of

router = APIRouter(tags=["tasks"], responses=COMMON)


@router.get("/tasks", response_model=TaskPage, responses=NOT_FOUND, summary="List tasks")
def list_tasks(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    rep: Annotated[str | None, Query(max_length=200, description="Only this rep's.")] = None,
    deal: Annotated[str | None, Query(max_length=200, description="Only this deal's.")] = None,
    include_closed: Annotated[bool, Query(description="Also done and canceled ones.")] = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> TaskPage:
    """The tasks the caller may see, by due date."""
    return (
        engine_of(request)
        .tasks(session)
        .list_tasks(
            actor,
            owner_id=rep,
            deal_id=deal,
            include_closed=include_closed,
            cursor=cursor,
            limit=limit,
        )
    )


@router.post(
    "/tasks/{task_id}/complete",
    response_model=TaskView,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Mark a task done",
)
def complete(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> TaskView:
    return engine_of(request).tasks(session).complete(actor, task_id)
