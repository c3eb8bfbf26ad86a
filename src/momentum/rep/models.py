from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text


class Rep(Base):
    """A seller who owns deals. Naive times in their deals' files are in ``timezone``; their
    ``country``'s public holidays are not business days. ``work_start`` and ``work_end`` are
    their working day (local wall-clock times) where an administrator set one; otherwise the
    slot policy's."""

    __tablename__ = "rep"

    id: Mapped[str] = mapped_column(key_text(), primary_key=True)
    name: Mapped[str | None]
    email: Mapped[str | None] = mapped_column(String(320))
    team: Mapped[str | None]
    manager_id: Mapped[str | None] = mapped_column(
        ForeignKey("rep.id", ondelete="SET NULL"), index=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    work_start: Mapped[time | None]
    work_end: Mapped[time | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
