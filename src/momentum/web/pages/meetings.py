"""Changing a booked meeting from a page: mark its outcome, move it, cancel it. Each goes
through ``MeetingService``, as ``momentum meeting outcome|reschedule|cancel`` does: a move
keeps the invitation's UID with the next SEQUENCE and names the old time, a cancellation
withdraws the reminders. A meeting imported without a buyer contact is moved once the form
names who gets the update (the lock-in's attendee fields); they become the deal's contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.errors import InputError
from momentum.meeting.models import MeetingStatus
from momentum.schedule.slots import Slot, SlotService
from momentum.web.deps import CurrentUser, DbSession, engine_of
from momentum.web.pages._rep import (
    attendee_problems,
    back_to,
    chosen_start,
    deal_url,
    in_form_order,
    slot_service,
    valid_zones,
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
    """Mark a meeting held or no-show, and go back where the rep was. The same outcome sent
    again (a second click, a resubmitted form) changes nothing and says so; another outcome
    for a meeting that has one, or one that was canceled or moved, is refused, in words."""
    meetings = engine_of(request).meetings(session)
    meeting = meetings.visible(user.actor, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        same = str(meeting.status) == outcome
        done = f"already_{outcome}" if same else f"was_{meeting.status}"
        back = back_to(next, deal_url(meeting.deal_id, done), done=done)
        return RedirectResponse(back, status_code=303)
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
    """Cancel a booked meeting. Sent again (a second click, a resubmitted form), or for a
    meeting no longer booked, it changes nothing and says so on the deal."""
    meetings = engine_of(request).meetings(session)
    meeting = meetings.visible(user.actor, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        done = "already_canceled" if meeting.status is MeetingStatus.CANCELED else "not_canceled"
        return RedirectResponse(deal_url(meeting.deal_id, done), status_code=303)
    view = meetings.cancel(user.actor, meeting_id, reason=(reason or "").strip() or None)
    return RedirectResponse(deal_url(view.deal_id, "canceled"), status_code=303)


def _buyer_zones(slots: SlotService, deal_id: str, typed: str | None) -> list[str]:
    """The buyer's zones on file, and the one typed for who gets the update (when it is
    one): their hours count for the slots and the warnings too."""
    return valid_zones(*slots.buyer_zones(deal_id), typed)


def _reschedule_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    meeting_id: str,
    *,
    values: dict[str, str],
    picked: Slot | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    meeting = engine_of(request).meetings(session).visible(user.actor, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise InputError(f"meeting {meeting_id!r} is {meeting.status.replace('_', ' ')}")
    minutes = int((meeting.end_at - meeting.start_at).total_seconds() // 60)
    slots = slot_service(request, session)
    zones = _buyer_zones(slots, meeting.deal_id, values.get("attendee_tz"))
    suggestions = slots.suggest(user.actor, meeting.deal_id, minutes=minutes, buyer_zones=zones)
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
            "errors": in_form_order(errors or {}),
            # a meeting imported without a buyer contact: the form asks who gets the update
            "needs_attendee": not slots.repository.contacts_of(meeting.deal_id),
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
    attendee_email: Annotated[str, Form(max_length=320)] = "",
    attendee_name: Annotated[str, Form(max_length=200)] = "",
    attendee_tz: Annotated[str, Form(max_length=64)] = "",
    confirm: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    values = {
        "slot": slot,
        "when": when,
        "location": location,
        "attendee_email": attendee_email,
        "attendee_name": attendee_name,
        "attendee_tz": attendee_tz,
    }
    engine = engine_of(request)
    meetings = engine.meetings(session)
    meeting = meetings.visible(user.actor, meeting_id)
    rep = meetings.owner(meetings.visible_deal(user.actor, meeting.deal_id))
    slots = slot_service(request, session)
    # every problem of the form at once, each by its field
    errors: dict[str, str] = {}
    start: datetime | None = None
    try:
        start = chosen_start(slot, when, rep.timezone, now=engine.clock.now())
    except InputError as exc:
        errors["when"] = exc.message
    attendee, wrong = attendee_problems(attendee_email, attendee_name, attendee_tz)
    errors.update(wrong)
    if not attendee_email.strip() and not slots.repository.contacts_of(meeting.deal_id):
        # checked before the time, so no "Move anyway" leads to a refusal
        errors["attendee_email"] = (
            "add the buyer's e-mail address: the update needs someone to go to"
        )
    if errors or start is None:
        return _reschedule_page(
            request, session, user, meeting_id, values=values, errors=errors, status_code=422
        )
    minutes = int((meeting.end_at - meeting.start_at).total_seconds() // 60)
    zones = _buyer_zones(slots, meeting.deal_id, attendee.timezone if attendee else None)
    checked = slots.check(
        user.actor,
        meeting.deal_id,
        start,
        minutes=minutes,
        ignore_meeting_id=meeting.id,
        buyer_zones=zones,
    )
    if checked.warnings and confirm != start.isoformat():  # warned about this very time
        values["slot"], values["when"] = start.isoformat(), ""
        return _reschedule_page(request, session, user, meeting_id, values=values, picked=checked)
    booking = meetings.reschedule(
        user.actor,
        meeting_id,
        start=start,
        location=location.strip() or None,
        attendees=[attendee] if attendee else [],
    )
    return RedirectResponse(deal_url(booking.meeting.deal_id, "moved"), status_code=303)
