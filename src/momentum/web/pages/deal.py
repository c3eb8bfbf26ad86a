"""One deal: its meetings with their status history, bookings, next steps, flags with reasons,
tasks and messages to the buyer with their delivery state, in one timeline; and the actions
(lock in meeting two, move or cancel the booked meeting, mark an outcome)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.web.deps import CurrentUser, DbSession
from momentum.web.pages._rep import timeline_service, viewer_zone
from momentum.web.templating import render

router = APIRouter()

NOTICES = {
    "booked": "Meeting two is booked: the invitation and the reminders are queued.",
    "booked_later": "The next meeting is booked: the invitation and the reminders are queued.",
    "moved": "The meeting moved: the buyer gets the update, the reminders moved with it.",
    "canceled": "The meeting is canceled: the reminders are withdrawn, the buyer is told.",
    "held": "Marked held.",
    "no_show": "Marked no-show: rebook it.",
    "task": "Next step set: the task is on the owner's list.",
}


@router.get("/deals/{deal_id:path}")
def deal_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    tz = viewer_zone(request, user)
    page = timeline_service(request, session).timeline(user.actor, deal_id, tz=tz)
    return render(
        request, "rep/deal.html", {"page": page, "tz": tz, "notice": NOTICES.get(done or "")}
    )
