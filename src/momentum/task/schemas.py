from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from momentum.task.models import TaskStatus


class TaskView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    deal_id: str | None
    owner_id: str
    title: str
    rule: str | None
    due_at: datetime
    status: TaskStatus
    closed_reason: str | None


class TaskPage(BaseModel):
    items: list[TaskView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")
