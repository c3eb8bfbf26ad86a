from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything
    MANAGER = "manager"  # their own deals and those of the reps who report to them
    REP = "rep"  # their own deals


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None]
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    rep_id: Mapped[str | None] = mapped_column(ForeignKey("rep.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
