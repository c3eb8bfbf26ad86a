"""The playbook's tables: an entry (a talk track, an agenda template, a homework template) and
its versions. An edit never changes a version: it adds the next one."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class PlaybookKind(enum.StrEnum):
    TALK_TRACK = "talk_track"  # what to say at a step, e.g. to lock in meeting two
    AGENDA_TEMPLATE = "agenda_template"  # a two-sided meeting-two agenda
    HOMEWORK_TEMPLATE = "homework_template"  # light, relevant buyer homework


class PlaybookStep(enum.StrEnum):
    """The five steps of the known fix; talk tracks are written for one of them."""

    LOCK_IN = "lock_in"  # book meeting two before meeting one ends
    HOMEWORK = "homework"  # give the buyer homework
    SELL_THE_MEETING = "sell_the_meeting"  # an agenda that makes meeting two essential
    SHORTEN_THE_GAP = "shorten_the_gap"  # meeting two within 3-5 business days
    CONFIRM_WITH_VALUE = "confirm_with_value"  # a value reminder, not a bare confirmation


class PlaybookEntry(Base):
    __tablename__ = "playbook_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlaybookKind] = mapped_column(str_enum(PlaybookKind, "playbook_kind"))
    step: Mapped[PlaybookStep | None] = mapped_column(str_enum(PlaybookStep, "playbook_step"))
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class PlaybookVersion(Base):
    """One version of an entry. Ids only grow, so the newest version id at a moment names the
    whole playbook as it stood then: its *revision*."""

    __tablename__ = "playbook_version"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("playbook_entry.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str]
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
