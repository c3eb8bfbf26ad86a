from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from momentum.value_asset.models import ValueAssetKind

WEB_SCHEMES = ("http", "https")


def is_web_link(url: str) -> bool:
    """Whether ``url`` is an absolute http or https address with a host, and nothing a mail
    client or browser could read differently (spaces, control characters). A value asset's
    link goes into buyers' emails: ``javascript:``, ``data:``, ``file:`` and the like never
    do."""
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


class NewValueAsset(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    kind: ValueAssetKind
    summary: str = Field(min_length=1, description="The teaser the reminder quotes.")
    url: str | None = Field(
        default=None, max_length=2000, description="An http:// or https:// link."
    )
    tags: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _web_link(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not is_web_link(value):
            raise PydanticCustomError(
                "web_link",
                "the value asset's link must be an http:// or https:// address with a host, "
                "not {shown}",
                {"shown": repr(value[:80])},
            )
        return value


class ValueAssetVersionView(BaseModel):
    """One version of a value asset, with the value reminders that recorded it."""

    version_id: int
    version: int
    title: str
    kind: ValueAssetKind
    summary: str
    url: str | None
    tags: str | None
    author_user_id: int | None
    created_at: datetime
    reminders: int
