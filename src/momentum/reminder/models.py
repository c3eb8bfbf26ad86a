from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class ReminderKind(enum.StrEnum):
    VALUE = "value"  # an insight, article or data point two business days before
    CONFIRMATION = "confirmation"  # the agreed agenda and homework the business day before


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"


class Reminder(Base):
    """A message planned for the buyer ahead of a meeting; one per meeting and kind."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("meeting_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(str_enum(ReminderKind, "reminder_kind"))
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[ReminderStatus] = mapped_column(
        str_enum(ReminderStatus, "reminder_status"), default=ReminderStatus.PENDING
    )
    value_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("value_asset.id", ondelete="SET NULL")
    )
    value_asset_version_id: Mapped[int | None] = mapped_column(
        index=True,
        doc="the version of the value asset it carries, recorded when it was planned (a plain "
        "number, like playbook_revision: versions are never deleted but with their asset)",
    )
    status_reason: Mapped[str | None] = mapped_column(doc="why it was withdrawn or failed")
    playbook_revision: Mapped[int | None] = mapped_column(
        doc="the playbook as it stood when the reminder was planned (its newest version id)"
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
