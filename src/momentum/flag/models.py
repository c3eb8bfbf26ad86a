from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text, str_enum


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# Where a flag is open: at most one such per deal and rule (the partial unique index).
OPEN_FLAG = "cleared_at IS NULL"


class Flag(Base):
    """A deal at risk, raised by a rule with a plain reason; cleared when the rule stops firing.
    At most one uncleared flag per deal and rule."""

    __tablename__ = "flag"
    __table_args__ = (
        Index(
            "uq_flag_open_rule",
            "deal_id",
            "rule",
            unique=True,
            sqlite_where=text(OPEN_FLAG),
            postgresql_where=text(OPEN_FLAG),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(key_text(80))
    reason: Mapped[str]
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
