"""An administrator's setting of one rule option, made in the web app. It takes precedence
over the rules file and the environment, which take precedence over the rule's built-in
default; deleting the row ("reset") goes back to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text


class RuleOverride(Base):
    __tablename__ = "rule_override"

    rule_key: Mapped[str] = mapped_column(key_text(80), primary_key=True)
    option: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, doc="the validated value, as JSON")
    changed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime]
