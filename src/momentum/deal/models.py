from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, key_text, str_enum


class Outcome(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Deal(Base):
    __tablename__ = "deal"

    id: Mapped[str] = mapped_column(key_text(), primary_key=True)
    name: Mapped[str | None]
    account: Mapped[str | None]
    owner_id: Mapped[str] = mapped_column(ForeignKey("rep.id"), index=True)
    opened_at: Mapped[datetime | None] = mapped_column(doc="`created_at` in the CRM")
    stage: Mapped[str | None]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "outcome"), index=True)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    rules_due_at: Mapped[datetime | None] = mapped_column(
        doc="when the passing of time alone may next change what the rules find (empty: never)"
    )
    rules_seen_at: Mapped[datetime | None] = mapped_column(
        doc="the latest change to the deal, its meetings or its owner that the rules last "
        "evaluated (empty: never evaluated)"
    )


class DealStageEntry(Base):
    """A deal entered ``stage`` at ``entered_at``: its stage history, as the CRM recorded it
    (HubSpot's "Date entered" columns, Salesforce's OpportunityHistory, ``deal_stages.csv``).
    An import that carries a stage history replaces each of its deals' entries."""

    __tablename__ = "deal_stage_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str]
    entered_at: Mapped[datetime]
