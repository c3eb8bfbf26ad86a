from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class NextStepKind(enum.StrEnum):
    MEETING = "meeting"
    TASK = "task"


class Side(enum.StrEnum):
    SELLER = "seller"
    BUYER = "buyer"


class NextStepStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"
    SUPERSEDED = "superseded"  # a newer next step was set on the deal while it was open


class NextStep(Base):
    """What happens next on a deal and when: a booked meeting or a task with a due date,
    with the agreed agenda, the buyer's homework and the side that owns it.

    A deal has at most one open next step: setting a new one closes the open one as
    ``superseded`` (the row stays, with when it was closed, for the deal's timeline)."""

    __tablename__ = "next_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NextStepKind] = mapped_column(str_enum(NextStepKind, "next_step_kind"))
    meeting_id: Mapped[str | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    agenda: Mapped[str | None]
    buyer_homework: Mapped[str | None]
    owner_side: Mapped[Side] = mapped_column(str_enum(Side, "side"), default=Side.SELLER)
    value_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("value_asset.id", ondelete="SET NULL")
    )
    value_asset_version_id: Mapped[int | None] = mapped_column(
        doc="the version of the value asset chosen at the booking (a plain number, like "
        "meeting.playbook_revision)"
    )
    status: Mapped[NextStepStatus] = mapped_column(
        str_enum(NextStepStatus, "next_step_status"), default=NextStepStatus.OPEN
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
