from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base


class ManagerDigest(Base):
    """The digest of ``week`` for one manager, as composed: at most one per manager and week
    (the unique constraint decides between two workers)."""

    __tablename__ = "manager_digest"
    __table_args__ = (UniqueConstraint("user_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
