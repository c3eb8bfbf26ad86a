from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base


class CoachingNote(Base):
    """A manager's dated note on a rep: read by managers over that rep and administrators,
    never by the rep."""

    __tablename__ = "coaching_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("rep.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str]
    created_at: Mapped[datetime]
