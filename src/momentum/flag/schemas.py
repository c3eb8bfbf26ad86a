from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from momentum.flag.models import Severity


class FlagView(BaseModel):
    id: int
    deal_id: str
    deal_name: str | None
    owner_id: str
    rule: str
    reason: str
    severity: Severity
    raised_at: datetime
    since: datetime = Field(
        description="Since when the rule's condition holds, as the rule said (the flag's age "
        "counts from here); when it was raised where the rule did not say."
    )


class FlagPage(BaseModel):
    items: list[FlagView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")
