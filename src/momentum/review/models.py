"""A rep's commitments for a week, recorded at the weekly review and checked at the next."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class CommitmentMetric(enum.StrEnum):
    """A figure of the weekly review a commitment can name, so the next review checks it."""

    ON_THE_SPOT_RATE = "on_the_spot_rate"  # at least: share of second meetings booked on the spot
    NOT_BOOKED = "not_booked"  # at most: first meetings with no second meeting booked
    GAPS_BEYOND_TARGET = "gaps_beyond_target"  # at most
    NO_SHOWS = "no_shows"  # at most
    SLIPPED = "slipped"  # at most: deals whose next step was overdue, stage unchanged


class ReviewCommitment(Base):
    """What a rep commits to for ``week`` (ISO, e.g. ``2026-W10``). With a metric and a target
    the review of that week checks it from the figures; otherwise the manager marks it."""

    __tablename__ = "review_commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("rep.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(8), index=True)
    text: Mapped[str]
    metric: Mapped[CommitmentMetric | None] = mapped_column(
        str_enum(CommitmentMetric, "commitment_metric")
    )
    target: Mapped[float | None] = mapped_column(Float)
    kept: Mapped[bool | None] = mapped_column(doc="the manager's mark, for one without a metric")
    made_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]
