from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, func, text
from sqlalchemy.ext.hybrid import hybrid_property
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
    condition_since: Mapped[datetime | None] = mapped_column(
        doc="when the rule's condition began to hold, as the rule said (meeting one's end plus "
        "the grace, the no-show's end, ...); empty when it did not say or the flag was raised "
        "before this was recorded"
    )
    cleared_at: Mapped[datetime | None]

    @hybrid_property
    def since(self) -> datetime:
        """Since when the flag's condition holds: as the rule said, else when it was raised
        (in a query too: ``order_by(Flag.since)``)."""
        return self.condition_since or self.raised_at

    @since.inplace.expression
    @classmethod
    def _since_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.condition_since, cls.raised_at)

    def age_days(self, now: datetime) -> int:
        """Whole days the condition has held at ``now`` (from :attr:`since`)."""
        return max((now - self.since).days, 0)
