"""One deal: its meetings with their status history, bookings, next steps, flags with reasons,
tasks and messages to the buyer with their delivery state, in one timeline; and the actions
(lock in meeting two, move or cancel the booked meeting, mark an outcome)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.web.deps import CurrentUser, DbSession
from momentum.web.pages._rep import timeline_service, viewer_zone
from momentum.web.templating import render

router = APIRouter()


@dataclass(frozen=True)
class Notice:
    """What a page says after an action (``?done=KEY``): always one of these fixed texts,
    never what the address says; ``tone`` is its style (``ok``, or ``warn`` when nothing
    changed)."""

    text: str
    tone: str = "ok"


NOTICES = {
    "booked": Notice("Meeting two is booked: the invitation and the reminders are queued."),
    "booked_later": Notice(
        "The next meeting is booked: the invitation and the reminders are queued."
    ),
    "moved": Notice(
        "The meeting moved: the buyer gets the update, and its reminders are planned again for "
        "the new time (one whose time has already passed is not sent: see each below)."
    ),
    "canceled": Notice("The meeting is canceled: the reminders are withdrawn, the buyer is told."),
    "held": Notice("Marked held."),
    "no_show": Notice("Marked no-show: rebook it."),
    "task": Notice("Next step set: the task is on the owner's list."),
    # an outcome sent again (a second click, a resubmitted form): nothing changed
    "already_held": Notice("It was already marked held: nothing changed."),
    "already_no_show": Notice("It was already marked no-show: nothing changed."),
    # another outcome for a meeting that has one: refused
    "was_held": Notice(
        "Not changed: this meeting was already marked held, so it cannot be a no-show too.",
        "warn",
    ),
    "was_no_show": Notice(
        "Not changed: this meeting was already marked no-show, so it cannot be held too.",
        "warn",
    ),
    "was_canceled": Notice(
        "Not changed: this meeting was canceled, so it has no outcome to mark.", "warn"
    ),
    "was_rescheduled": Notice(
        "Not changed: this meeting was moved; mark the outcome on its new time.", "warn"
    ),
    # a cancel sent again, or for a meeting that is no longer booked
    "already_canceled": Notice("It was already canceled: nothing changed."),
    "not_canceled": Notice(
        "Not changed: this meeting is no longer booked (it was held, missed or moved), so "
        "there is nothing to cancel.",
        "warn",
    ),
}


def notice_of(done: str | None) -> Notice | None:
    return NOTICES.get(done or "")


def deal_response(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    *,
    notice: Notice | None = None,
    task_form: Mapping[str, str] | None = None,
    task_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The deal page; with ``task_form`` and ``task_errors``, the task form as it was typed
    and what is wrong with it, next to it."""
    tz = viewer_zone(request, user)
    page = timeline_service(request, session).timeline(user.actor, deal_id, tz=tz)
    return render(
        request,
        "rep/deal.html",
        {
            "page": page,
            "tz": tz,
            "notice": notice,
            "task_form": task_form,
            "task_errors": task_errors,
        },
        status_code=status_code,
    )


@router.get("/deals/{deal_id:path}")
def deal_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    deal_id: str,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return deal_response(request, session, user, deal_id, notice=notice_of(done))
