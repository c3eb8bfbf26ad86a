from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class ValueAssetKind(enum.StrEnum):
    INSIGHT = "insight"
    ARTICLE = "article"
    DATA_POINT = "data_point"
    CASE_STUDY = "case_study"
    ROI_MODEL = "roi_model"


class ValueAsset(Base):
    """Something worth the buyer's time, sent ahead of meeting two instead of a bare reminder.
    Its title, kind, summary, link and tags are those of its newest version; an edit adds a
    version (:class:`ValueAssetVersion`) and never changes an older one."""

    __tablename__ = "value_asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    kind: Mapped[ValueAssetKind] = mapped_column(str_enum(ValueAssetKind, "value_asset_kind"))
    summary: Mapped[str] = mapped_column(doc="the teaser the reminder quotes")
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[str | None] = mapped_column(doc="comma-separated, e.g. 'manufacturing,roi'")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ValueAssetVersion(Base):
    """One version of a value asset, as a reminder carried it. Reminders and bookings record
    the version they used; the asset's first version is written when it is added."""

    __tablename__ = "value_asset_version"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("value_asset.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    title: Mapped[str]
    kind: Mapped[ValueAssetKind] = mapped_column(str_enum(ValueAssetKind, "value_asset_kind"))
    summary: Mapped[str]
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[str | None]
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
