from __future__ import annotations

from pydantic import BaseModel, Field

from momentum.value_asset.models import ValueAssetKind


class NewValueAsset(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    kind: ValueAssetKind
    summary: str = Field(min_length=1, description="The teaser the reminder quotes.")
    url: str | None = Field(default=None, max_length=2000)
    tags: list[str] = Field(default_factory=list)
