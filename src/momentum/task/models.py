from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text, str_enum


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"


# Where a task is a rule's open one: at most one such per deal and rule (the partial unique
# index).
OPEN_RULE_TASK = "status = 'open' AND rule IS NOT NULL"


class Task(Base):
    """Something a rep must do. Tasks a rule creates carry the rule's key; at most one such
    task is open per deal and rule, and it closes itself when the rule's condition clears."""

    __tablename__ = "task"
    __table_args__ = (
        Index(
            "uq_task_open_rule",
            "deal_id",
            "rule",
            unique=True,
            sqlite_where=text(OPEN_RULE_TASK),
            postgresql_where=text(OPEN_RULE_TASK),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str | None] = mapped_column(
        ForeignKey("deal.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("rep.id"), index=True)
    title: Mapped[str]
    rule: Mapped[str | None] = mapped_column(key_text(80))
    due_at: Mapped[datetime]
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.OPEN
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None]
