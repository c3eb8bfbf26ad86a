"""The outbox: every message Momentum will send, written in the transaction that caused it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class Channel(enum.StrEnum):
    EMAIL = "email"
    SLACK = "slack"


class MessageKind(enum.StrEnum):
    INVITATION = "invitation"  # iCalendar METHOD:REQUEST (a booking or its update)
    CANCELLATION = "cancellation"  # iCalendar METHOD:CANCEL
    VALUE_REMINDER = "value_reminder"
    CONFIRMATION = "confirmation"
    ALERT = "alert"  # to a rep or manager: deal flagged, task due, no-show
    DIGEST = "digest"  # to a manager: the Monday digest of the week just ended


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its due time, or claimed by a worker and being sent
    SENT = "sent"
    FAILED = "failed"  # a permanent failure, or temporary ones past the last attempt
    WITHDRAWN = "withdrawn"  # no longer to be sent (meeting canceled, moved, past ...)


class OutboxMessage(Base):
    """One message to send, once. ``key`` is its idempotency key and becomes its Message-ID.

    A worker claims a due row by writing ``lease_owner`` and ``lease_expires_at``; when the
    lease runs out (the worker died) another worker may claim it again.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    recipients: Mapped[list[str]] = mapped_column(JSON, doc="email addresses; empty for Slack")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    deal_id: Mapped[str | None] = mapped_column(
        ForeignKey("deal.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[str | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.PENDING
    )
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
