"""A next step that is not a meeting: a task with a due date for the deal's owner, set from
the deal page through ``NextStepService.set_task`` (what the rules' "set the next step" task
asks for when meeting two is not the next step yet). A missing title, a due date that is not
one, has passed or is skipped by the clocks come back on the deal page's form (422),
everything typed kept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentum.errors import InputError
from momentum.meeting.service import as_instant
from momentum.next_step.models import Side
from momentum.web.deps import CurrentUser, DbSession, engine_of
from momentum.web.pages._rep import deal_url, slot_service
from momentum.web.pages.deal import deal_response

router = APIRouter()


@router.post("/next-steps/task")
def set_task(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: Annotated[str, Form(max_length=200)],
    title: Annotated[str, Form(max_length=300)] = "",
    due: Annotated[str, Form(max_length=30)] = "",
    side: Annotated[Side, Form()] = Side.SELLER,
) -> Response:
    engine = engine_of(request)
    _, owner = slot_service(request, session).deal_and_rep(user.actor, deal_id)  # 404 first
    what = " ".join(title.split())
    errors: dict[str, str] = {}
    if not what:
        errors["title"] = "say what the next step is"
    due_at: datetime | None = None
    if not due.strip():
        errors["due"] = "give the date and time it is due"
    else:
        try:
            due_at = datetime.fromisoformat(due.strip()).replace(tzinfo=None)
            instant = as_instant(due_at, owner.timezone, field="due")  # skipped by the clocks?
        except ValueError:
            errors["due"] = "the due date is not a date and time (YYYY-MM-DD HH:MM)"
        except InputError as error:
            errors["due"] = error.message.removeprefix("due: ")
        else:
            if instant <= engine.clock.now():
                errors["due"] = "this due date has passed: pick one in the future"
    if errors or due_at is None:
        typed = {"title": title, "due": due, "side": str(side)}
        return deal_response(
            request, session, user, deal_id, task_form=typed, task_errors=errors, status_code=422
        )
    engine.next_steps(session).set_task(user.actor, deal_id, title=what, due_at=due_at, side=side)
    return RedirectResponse(deal_url(deal_id, "task"), status_code=303)
