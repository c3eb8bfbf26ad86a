from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from momentum.deal.models import Outcome
from momentum.flag.models import Severity
from momentum.meeting.schemas import MeetingView
from momentum.next_step.schemas import NextStepView
from momentum.task.schemas import TaskView


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
    since: datetime = Field(
        description="Since when the rule's condition holds, as the rule said (the flag's age "
        "counts from here); when it was raised where the rule did not say."
    )


class DealAtRisk(BaseModel):
    deal: DealSummary
    reasons: list[RiskReason]


class DealSort(enum.StrEnum):
    """How a deal list is ordered; each key has its natural direction."""

    RISK = "risk"  # most severe open flag first, then the most flags
    NEXT_STEP = "next_step"  # deals without a next step first, then the soonest
    AMOUNT = "amount"  # by currency (A to Z), largest first within each; none last
    NAME = "name"  # A to Z
    CREATED = "created"  # newest first


class RiskFilter(enum.StrEnum):
    ANY = "any"
    FLAGGED = "flagged"  # at least one open flag
    WARNING = "warning"  # an open flag of severity warning or worse
    CRITICAL = "critical"
    NONE = "none"  # no open flag


class NextStepFilter(enum.StrEnum):
    ANY = "any"
    MISSING = "missing"  # no future meeting, open next step or open task a person set
    SET = "set"


class OutcomeFilter(enum.StrEnum):
    """A deal's outcome, or ``all`` of them."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"
    ALL = "all"

    def outcome(self) -> Outcome | None:
        """The one outcome asked for; ``None`` for all."""
        return None if self is OutcomeFilter.ALL else Outcome(self.value)


class DealQuery(BaseModel):
    """Which deals, in what order. Everything is checked against the caller's scope."""

    outcome: OutcomeFilter = Field(
        default=OutcomeFilter.OPEN,
        description="The deals of this outcome (open unless asked); `all`: every outcome.",
    )
    rep: str | None = Field(default=None, description="Only this rep's deals.")
    team: str | None = Field(default=None, description="Only the deals of this team's reps.")
    stage: str | None = None
    risk: RiskFilter = RiskFilter.ANY
    next_step: NextStepFilter = NextStepFilter.ANY
    q: str | None = Field(
        default=None, max_length=200, description="Text in the deal's name, account or id."
    )
    sort: DealSort = Field(
        default=DealSort.RISK,
        description="`risk`: the most severe open flag first. `next_step`: deals without a "
        "next step first, then the soonest. `amount`: by currency (A to Z), the largest "
        "amount first within each currency, since amounts in different currencies are never "
        "compared; then amounts without a currency, largest first; deals without an amount "
        "last. `name`: A to Z. `created`: newest first. Ties go by deal id; a cursor carries "
        "every value of the order it came from (for `amount`: the currency and the amount).",
    )

    @field_validator("rep", "team", "stage", "q", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty form field means no filter."""
        return None if isinstance(value, str) and not value.strip() else value


class NextStepBrief(BaseModel):
    kind: str  # "meeting" or "task"
    due_at: datetime
    title: str


class FlagBrief(BaseModel):
    rule: str
    reason: str
    severity: Severity
    raised_at: datetime
    since: datetime = Field(
        description="Since when the rule's condition holds, as the rule said (the flag's age "
        "counts from here); when it was raised where the rule did not say."
    )


class DealRow(BaseModel):
    id: str
    name: str | None
    account: str | None
    owner_id: str
    owner_name: str | None
    stage: str | None
    amount: Decimal | None
    currency: str | None
    outcome: Outcome
    next_step: NextStepBrief | None
    flags: list[FlagBrief]
    risk: Severity | None = Field(description="The most severe open flag's; none: not at risk.")


class DealPage(BaseModel):
    items: list[DealRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")


class DealDetail(BaseModel):
    """A deal with everything on it: its meetings (by start), open next steps, tasks (open
    and closed, by due date) and open flags."""

    deal: DealRow
    meetings: list[MeetingView]
    next_steps: list[NextStepView]
    tasks: list[TaskView]
