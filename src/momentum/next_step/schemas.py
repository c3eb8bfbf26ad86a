from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from momentum.contact.schemas import Attendee
from momentum.meeting.schemas import MeetingView
from momentum.next_step.models import NextStepKind, NextStepStatus, Side
from momentum.reminder.schemas import PlannedReminder


def _date_and_time(value: object) -> object:
    """A date-time written out, or a datetime: pydantic would read a number as seconds since
    1970 and a date alone as its midnight, and book that."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value.strip()) <= len("2026-03-10"):
        raise ValueError("expected a date and a time, such as 2026-03-10T14:00")
    return value


def _whole_minutes(value: object) -> object:
    if isinstance(value, bool):  # pydantic would read true as 1
        raise ValueError("expected a whole number of minutes")
    return value


DateTimeInput = Annotated[datetime, BeforeValidator(_date_and_time)]
# a meeting's length; the bounds come before the validator, so the schema states them
Minutes = Annotated[int, Field(ge=5, le=480), BeforeValidator(_whole_minutes)]

_PREFIX = {Side.SELLER: "Seller: ", Side.BUYER: "Buyer: "}
_NAMED_SIDE = re.compile(r"(seller|buyer)\s*:\s*", re.IGNORECASE)


class AgendaItem(BaseModel):
    """One point of a two-sided agenda: what the seller brings, or what the buyer brings."""

    model_config = ConfigDict(extra="forbid")
    side: Side
    text: str = Field(min_length=1, max_length=500)


def format_agenda(items: list[AgendaItem]) -> str | None:
    """The agenda as stored on the meeting: one line per item, its side first."""
    if not items:
        return None
    return "\n".join(_PREFIX[item.side] + " ".join(item.text.split()) for item in items)


def parse_agenda(text: str | None) -> list[tuple[Side | None, str]]:
    """Stored agenda text back into (side, text) lines; free text (an import) has no side."""
    lines: list[tuple[Side | None, str]] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        named = _NAMED_SIDE.match(line)  # as written here, or typed: "SELLER:", "buyer :"
        if named:
            lines.append((Side(named.group(1).lower()), line[named.end() :]))
        else:
            lines.append((None, line))
    return lines


def is_two_sided(text: str | None) -> bool:
    sides = {side for side, _ in parse_agenda(text)}
    return {Side.SELLER, Side.BUYER} <= sides


# a meeting two is with a few people; more is a mistake, or mail sent to a list
MAX_ATTENDEES = 50


class LockIn(BaseModel):
    """Everything meeting two needs, agreed before meeting one ends. A field it does not
    know is refused: a misspelt ``homework`` would otherwise be dropped without a word."""

    model_config = ConfigDict(extra="forbid")

    start: DateTimeInput = Field(description="Aware, or naive in the owner rep's time zone.")
    minutes: Minutes = 30
    agenda: list[AgendaItem] = Field(default_factory=list)
    buyer_homework: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(
        default=None,
        max_length=500,
        description="Where it happens: a place or a call link (the invitation's LOCATION).",
    )
    value_asset_id: int | None = Field(
        default=None, description="The asset the value reminder carries; unset: the library's."
    )
    attendees: list[Attendee] = Field(
        default_factory=list,
        max_length=MAX_ATTENDEES,
        description="Buyer-side people to invite (added as contacts).",
    )


class NextStepView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    deal_id: str
    kind: NextStepKind
    meeting_id: str | None
    task_id: int | None
    due_at: datetime
    agenda: str | None
    buyer_homework: str | None
    owner_side: Side
    value_asset_id: int | None
    value_asset_version_id: int | None = Field(
        default=None, description="The version of the value asset it used."
    )
    status: NextStepStatus


class LockedIn(BaseModel):
    meeting: MeetingView
    next_step: NextStepView
    reminders: list[PlannedReminder]
    notes: list[str] = Field(default_factory=list, description="What was not planned, and why.")
