"""A next step that is not a meeting: a task with a due date for the deal's owner, set from
the deal page through ``NextStepService.set_task`` (what the rules' "set the next step" task
asks for when meeting two is not the next step yet)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentum.errors import InputError
from momentum.next_step.models import Side
from momentum.web.deps import CurrentUser, DbSession, engine_of
from momentum.web.pages._rep import deal_url

router = APIRouter()


@router.post("/next-steps/task")
def set_task(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: Annotated[str, Form(max_length=200)],
    title: Annotated[str, Form(min_length=1, max_length=300)],
    due: Annotated[str, Form(max_length=30)],
    side: Annotated[Side, Form()] = Side.SELLER,
) -> Response:
    try:
        due_at = datetime.fromisoformat(due.strip()).replace(tzinfo=None)
    except ValueError as exc:
        raise InputError("due: not a date and time (YYYY-MM-DD HH:MM)") from exc
    engine_of(request).next_steps(session).set_task(
        user.actor, deal_id, title=" ".join(title.split()), due_at=due_at, side=side
    )
    return RedirectResponse(deal_url(deal_id, "task"), status_code=303)
