from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base


class Contact(Base):
    """A person on the buyer's side of a deal; reminders and invitations go to them."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("deal_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None]
    email: Mapped[str] = mapped_column(String(320))
    timezone: Mapped[str | None] = mapped_column(
        String(64), doc="IANA zone; buyer e-mails give times in it when known"
    )
    created_at: Mapped[datetime]
