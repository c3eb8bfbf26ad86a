from __future__ import annotations

from datetime import datetime, time

from pydantic import BaseModel, Field

from momentum.reminder.models import ReminderKind, ReminderStatus


class ReminderPolicy(BaseModel):
    """When the buyer hears from us before a booked meeting (the owner rep's calendar)."""

    value_business_days: int = Field(
        default=2, ge=1, description="Business days before the meeting for the value reminder."
    )
    confirmation_business_days: int = Field(
        default=1, ge=1, description="Business days before the meeting for the confirmation."
    )
    send_at: time = Field(default=time(9, 0), description="Local time of day both go out.")


class PlannedReminder(BaseModel):
    id: int
    kind: ReminderKind
    due_at: datetime
    status: ReminderStatus
    value_asset_id: int | None
    value_asset_version_id: int | None = Field(
        default=None, description="The version of the value asset it used."
    )
