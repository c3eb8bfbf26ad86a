"""Changing a booked meeting from a page: mark its outcome, move it, cancel it. Each goes
through ``MeetingService``, as ``momentum meeting outcome|reschedule|cancel`` does: a move
keeps the invitation's UID with the next SEQUENCE and names the old time, a cancellation
withdraws the reminders."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.errors import InputError
from momentum.meeting.models import MeetingStatus
from momentum.schedule.slots import Slot
from momentum.web.deps import CurrentUser, DbSession, engine_of
from momentum.web.pages._rep import (
    back_to,
    chosen_start,
    deal_url,
    slot_service,
    viewer_zone,
)
from momentum.web.templating import render

router = APIRouter()


@router.post("/meetings/outcome")
def mark_outcome(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting_id: Annotated[str, Form(max_length=200)],
    outcome: Annotated[Literal["held", "no_show"], Form()],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    meetings = engine_of(request).meetings(session)
    mark = meetings.mark_held if outcome == "held" else meetings.mark_no_show
    view = mark(user.actor, meeting_id)
    back = back_to(next, deal_url(view.deal_id, outcome), done=outcome)
    return RedirectResponse(back, status_code=303)


@router.post("/meetings/cancel")
def cancel_meeting(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting_id: Annotated[str, Form(max_length=200)],
    reason: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    view = (
        engine_of(request)
        .meetings(session)
        .cancel(user.actor, meeting_id, reason=(reason or "").strip() or None)
    )
    return RedirectResponse(deal_url(view.deal_id, "canceled"), status_code=303)


def _reschedule_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting_id: str,
    *,
    values: dict[str, str],
    picked: Slot | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    meeting = engine_of(request).meetings(session).visible(user.actor, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise InputError(f"meeting {meeting_id!r} is {meeting.status.replace('_', ' ')}")
    minutes = int((meeting.end_at - meeting.start_at).total_seconds() // 60)
    suggestions = slot_service(request, session).suggest(
        user.actor, meeting.deal_id, minutes=minutes
    )
    return render(
        request,
        "rep/reschedule.html",
        {
            "meeting": meeting,
            "minutes": minutes,
            "suggestions": suggestions,
            "values": values,
            "picked": picked,
            "warnings": picked.warnings if picked else None,
            "error": error,
            "tz": viewer_zone(request, user),
        },
        status_code=status_code,
    )


@router.get("/meetings/reschedule")
def reschedule_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting: Annotated[str, Query(max_length=200)],
) -> Response:
    return _reschedule_page(request, session, user, meeting, values={})


@router.post("/meetings/reschedule")
def reschedule_meeting(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting_id: Annotated[str, Form(max_length=200)],
    slot: Annotated[str, Form(max_length=50)] = "",
    when: Annotated[str, Form(max_length=30)] = "",
    location: Annotated[str, Form(max_length=500)] = "",
    confirm: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    values = {"slot": slot, "when": when, "location": location}
    engine = engine_of(request)
    meetings = engine.meetings(session)
    meeting = meetings.visible(user.actor, meeting_id)
    rep = meetings.owner(meetings.visible_deal(user.actor, meeting.deal_id))
    try:
        start = chosen_start(slot, when, rep.timezone, now=engine.clock.now())
    except InputError as exc:
        return _reschedule_page(
            request, session, user, meeting_id, values=values, error=exc.message, status_code=422
        )
    minutes = int((meeting.end_at - meeting.start_at).total_seconds() // 60)
    checked = slot_service(request, session).check(
        user.actor, meeting.deal_id, start, minutes=minutes, ignore_meeting_id=meeting.id
    )
    if checked.warnings and confirm != start.isoformat():  # warned about this very time
        values["slot"], values["when"] = start.isoformat(), ""
        return _reschedule_page(request, session, user, meeting_id, values=values, picked=checked)
    booking = meetings.reschedule(
        user.actor, meeting_id, start=start, location=location.strip() or None
    )
    return RedirectResponse(deal_url(booking.meeting.deal_id, "moved"), status_code=303)
