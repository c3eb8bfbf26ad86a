from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from momentum.playbook.models import PlaybookKind, PlaybookStep

STEP_TITLES = {
    PlaybookStep.LOCK_IN: "Lock in meeting two before meeting one ends",
    PlaybookStep.HOMEWORK: "Give the buyer homework",
    PlaybookStep.SELL_THE_MEETING: "Sell the next meeting",
    PlaybookStep.SHORTEN_THE_GAP: "Meeting two within 3–5 business days",
    PlaybookStep.CONFIRM_WITH_VALUE: "Confirm with value",
}


class PlaybookText(BaseModel):
    """What an author writes: a title and the text itself."""

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _stripped(self) -> PlaybookText:
        self.title = " ".join(self.title.split())
        self.body = self.body.strip().replace("\r\n", "\n")
        if not self.title or not self.body:
            raise ValueError("a playbook entry needs a title and a text")
        return self


class NewPlaybookEntry(PlaybookText):
    kind: PlaybookKind
    step: PlaybookStep | None = None

    @model_validator(mode="after")
    def _talk_tracks_name_their_step(self) -> NewPlaybookEntry:
        if self.kind is PlaybookKind.TALK_TRACK and self.step is None:
            raise ValueError("a talk track is written for a step")
        return self


class PlaybookItem(BaseModel):
    """An entry as it reads now (or at a revision): its newest version."""

    entry_id: int
    kind: PlaybookKind
    step: PlaybookStep | None
    retired: bool
    version_id: int
    version: int
    title: str
    body: str
    author_user_id: int | None
    edited_at: datetime


class PlaybookVersionView(BaseModel):
    version_id: int
    version: int
    title: str
    body: str
    author_user_id: int | None
    created_at: datetime


class PlaybookAgenda(BaseModel):
    """An agenda template as the lock-in form uses it: the seller's and the buyer's points,
    and the version they come from (so the booking can say which)."""

    entry_id: int
    version_id: int
    title: str
    seller: list[str]
    buyer: list[str]
    other: list[str]  # lines that name no side
