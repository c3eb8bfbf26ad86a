from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base, str_enum


class ValueAssetKind(enum.StrEnum):
    INSIGHT = "insight"
    ARTICLE = "article"
    DATA_POINT = "data_point"
    CASE_STUDY = "case_study"
    ROI_MODEL = "roi_model"


class ValueAsset(Base):
    """Something worth the buyer's time, sent ahead of meeting two instead of a bare reminder."""

    __tablename__ = "value_asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    kind: Mapped[ValueAssetKind] = mapped_column(str_enum(ValueAssetKind, "value_asset_kind"))
    summary: Mapped[str] = mapped_column(doc="the teaser the reminder quotes")
    url: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[str | None] = mapped_column(doc="comma-separated, e.g. 'manufacturing,roi'")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
