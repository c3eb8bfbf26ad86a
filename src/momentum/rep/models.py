from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text


class Rep(Base):
    """A seller who owns deals. Naive times in their deals' files are in ``timezone``; their
    ``country``'s public holidays are not business days."""

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
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
