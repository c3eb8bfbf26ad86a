"""Meetings: the list, one meeting, and moving, cancelling or closing one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from momentum.contact.schemas import Attendee
from momentum.meeting.schemas import MeetingPage, MeetingState, MeetingView
from momentum.next_step.schemas import MAX_ATTENDEES, DateTimeInput, Minutes
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

router = APIRouter(tags=["meetings"], responses=COMMON, dependencies=[JsonBodies])
MeetingId = Annotated[str, Path(min_length=1, max_length=200)]


class Reschedule(BaseModel):
    """A field it does not know is refused (a misspelt ``minutes`` would be dropped)."""

    model_config = ConfigDict(extra="forbid")

    start: DateTimeInput = Field(description="Aware, or naive in the deal owner's time zone.")
    minutes: Minutes | None = Field(default=None, description="Unset: the meeting's length.")
    location: str | None = Field(
        default=None,
        max_length=500,
        description="A new place or call link (the invitation's LOCATION); unset: the same.",
    )
    attendees: list[Attendee] = Field(
        default_factory=list,
        max_length=MAX_ATTENDEES,
        description="Buyer-side people to send the update to, added as the deal's contacts "
        "(as a lock-in's are): a meeting imported without a buyer contact needs one.",
    )


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class OutcomeKind(StrEnum):
    HELD = "held"
    NO_SHOW = "no_show"


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeKind


@router.get("/meetings", response_model=MeetingPage, responses=NOT_FOUND, summary="List meetings")
def list_meetings(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    deal: Annotated[str | None, Query(max_length=200, description="Only this deal's.")] = None,
    state: Annotated[MeetingState | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> MeetingPage:
    """The meetings the caller may see, by start."""
    return (
        engine_of(request)
        .meetings(session)
        .list_meetings(actor, deal_id=deal, state=state, cursor=cursor, limit=limit)
    )


@router.get(
    "/meetings/{meeting_id}", response_model=MeetingView, responses=NOT_FOUND, summary="One meeting"
)
def get_meeting(
    request: Request, session: DbSession, actor: ApiActor, meeting_id: MeetingId
) -> MeetingView:
    meetings = engine_of(request).meetings(session)
    return meetings.view(meetings.visible(actor, meeting_id))


@router.post(
    "/meetings/{meeting_id}/reschedule",
    response_model=MeetingView,
    status_code=201,
    responses={**NOT_FOUND, **CONFLICT, **JSON_BODY},
    summary="Move a booked meeting",
)
def reschedule(
    request: Request, session: DbSession, actor: ApiActor, meeting_id: MeetingId, body: Reschedule
) -> MeetingView:
    """The meeting becomes `rescheduled` and points to the new one it answers (same
    invitation UID, next SEQUENCE); the buyer gets the update, the reminders move. A deal
    without a buyer contact (a meeting imported without attendees) answers 409 unless the
    body names `attendees`."""
    meetings = engine_of(request).meetings(session)
    booking = meetings.reschedule(
        actor,
        meeting_id,
        start=body.start,
        minutes=body.minutes,
        location=body.location,
        attendees=body.attendees,
    )
    return meetings.view(booking.meeting)


@router.post(
    "/meetings/{meeting_id}/cancel",
    response_model=MeetingView,
    responses={**NOT_FOUND, **CONFLICT, **JSON_BODY},
    summary="Cancel a booked meeting",
)
def cancel(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    meeting_id: MeetingId,
    body: Cancel | None = None,
) -> MeetingView:
    """The reminders are withdrawn and the buyer gets the cancellation. The body (a reason)
    may be left out."""
    reason = body.reason if body is not None else None
    return engine_of(request).meetings(session).cancel(actor, meeting_id, reason=reason)


@router.post(
    "/meetings/{meeting_id}/outcome",
    response_model=MeetingView,
    responses={**NOT_FOUND, **CONFLICT, **JSON_BODY},
    summary="Say how a meeting went",
)
def outcome(
    request: Request, session: DbSession, actor: ApiActor, meeting_id: MeetingId, body: Outcome
) -> MeetingView:
    """Held or no-show, for a meeting that has started. The same outcome again (a retry)
    changes nothing and answers the meeting; another outcome for a meeting that has one is
    a conflict."""
    meetings = engine_of(request).meetings(session)
    if body.outcome is OutcomeKind.HELD:
        return meetings.mark_held(actor, meeting_id)
    return meetings.mark_no_show(actor, meeting_id)
