from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text, str_enum


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELED = "canceled"
    RESCHEDULED = "rescheduled"


class Meeting(Base):
    """A meeting on a deal. ``scheduled`` moves once to ``held``, ``no_show``, ``canceled`` or
    ``rescheduled``; every change is kept in :class:`MeetingStatusChange`."""

    __tablename__ = "meeting"
    __table_args__ = (
        Index("ix_meeting_deal_id_start_at", "deal_id", "start_at"),
        # the scheduled meetings that have started: awaiting an outcome (Today)
        Index("ix_meeting_status_start_at", "status", "start_at"),
    )

    id: Mapped[str] = mapped_column(key_text(), primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime]
    booked_at: Mapped[datetime | None] = mapped_column(doc="when it was put on the calendar")
    status: Mapped[MeetingStatus] = mapped_column(str_enum(MeetingStatus, "meeting_status"))
    status_changed_at: Mapped[datetime]
    agenda: Mapped[str | None]
    homework: Mapped[str | None]
    location: Mapped[str | None] = mapped_column(
        String(500), doc="where it happens: a place or a call link (the invitation's LOCATION)"
    )
    rescheduled_to_id: Mapped[str | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL")
    )
    sequence: Mapped[int] = mapped_column(
        default=0, server_default="0", doc="iCalendar SEQUENCE of its invitation"
    )
    ical_uid: Mapped[str | None] = mapped_column(
        String(255), index=True, doc="iCalendar UID, kept by the meetings a reschedule creates"
    )
    playbook_revision: Mapped[int | None] = mapped_column(
        doc="the playbook as it stood when the meeting was booked (its newest version id)"
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MeetingStatusChange(Base):
    __tablename__ = "meeting_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[MeetingStatus | None] = mapped_column(
        str_enum(MeetingStatus, "from_status")
    )
    to_status: Mapped[MeetingStatus] = mapped_column(str_enum(MeetingStatus, "to_status"))
    changed_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(40), doc="'import:<format>', 'app', 'rule', ...")
    changed_by_user_id: Mapped[int | None] = mapped_column(
        doc="the signed-in user who made the change (a plain number, like "
        "meeting.playbook_revision: users are disabled, never deleted); empty for imports, the "
        "command line, and the changes recorded before who made them was"
    )
