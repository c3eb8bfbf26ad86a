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


class AgendaChoice(BaseModel):
    """An agenda template the lock-in form offers: the seller's points (with any line that
    names no side) and the buyer's. ``key`` is the entry's id, or ``start-N`` for the starting
    playbook's when the team's playbook has no agenda template; ``version`` is ``None`` then."""

    key: str
    title: str
    seller: list[str]
    buyer: list[str]
    version: int | None


class HomeworkChoice(BaseModel):
    """A buyer homework template the lock-in form offers (keys as for :class:`AgendaChoice`)."""

    key: str
    title: str
    text: str
    version: int | None


class LockInTemplates(BaseModel):
    agendas: list[AgendaChoice]
    homework: list[HomeworkChoice]
    revision: int | None  # the playbook's revision a booking made now records
