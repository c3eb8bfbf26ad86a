from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from momentum.deal.models import Outcome
from momentum.flag.models import Severity


class DealSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    account: str | None
    owner_id: str
    outcome: Outcome


class RiskReason(BaseModel):
    rule: str
    reason: str
    severity: Severity
    raised_at: datetime


class DealAtRisk(BaseModel):
    deal: DealSummary
    reasons: list[RiskReason]
