from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from momentum.meeting.models import Meeting, MeetingStatus


class MeetingState(enum.StrEnum):
    """What a person sees: a scheduled meeting whose start has passed is *awaiting outcome*
    until a rep marks it held or no-show; it is never taken as held on its own."""

    UPCOMING = "upcoming"
    AWAITING_OUTCOME = "awaiting_outcome"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELED = "canceled"
    RESCHEDULED = "rescheduled"


class Scheduled(Protocol):
    """A meeting, or a row of one: what its state is read from."""

    @property
    def status(self) -> MeetingStatus: ...

    @property
    def start_at(self) -> datetime: ...


def meeting_state(meeting: Scheduled, now: datetime) -> MeetingState:
    if meeting.status is MeetingStatus.SCHEDULED:
        return MeetingState.UPCOMING if meeting.start_at > now else MeetingState.AWAITING_OUTCOME
    return MeetingState(meeting.status.value)


class MeetingView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    deal_id: str
    start_at: datetime
    end_at: datetime
    booked_at: datetime | None
    status: MeetingStatus
    state: MeetingState
    agenda: str | None
    homework: str | None
    location: str | None
    ical_uid: str | None
    sequence: int
    rescheduled_to_id: str | None

    @classmethod
    def of(cls, meeting: Meeting, now: datetime) -> MeetingView:
        return cls.model_validate(
            {
                **{name: getattr(meeting, name) for name in cls.model_fields if name != "state"},
                "state": meeting_state(meeting, now),
            }
        )


class MeetingPage(BaseModel):
    items: list[MeetingView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")
