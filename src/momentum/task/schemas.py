from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

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
