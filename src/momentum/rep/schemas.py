from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RepView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    team: str | None
    manager_id: str | None
    timezone: str
    country: str | None
