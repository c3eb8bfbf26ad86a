"""Momentum's settings, from ``MOMENTUM_*`` environment variables (and a ``.env`` file).

Read once at the edge (the CLI or the web app factory) and passed down; nothing below
``cli/`` and ``web/`` reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from momentum.businessdays import is_country
from momentum.localtime import is_timezone


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOMENTUM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///momentum.db",
        description="SQLAlchemy URL of the store. SQLite by default (momentum.db in the working "
        "folder); PostgreSQL as postgresql+psycopg://user@host/db.",
    )
    default_timezone: str = Field(
        default="UTC", description="IANA zone for reps that do not name one."
    )
    default_country: str | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 holiday country for reps that do not name one.",
    )
    on_the_spot_grace_minutes: int = Field(
        default=60,
        ge=0,
        description="How long after meeting one ends a booking still counts as made on the spot.",
    )
    target_business_days: int = Field(
        default=5, ge=0, description="The target gap between meeting one and meeting two."
    )
    import_batch_rows: int = Field(
        default=100_000, ge=1, description="Rows read and validated at a time during an import."
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value

    @field_validator("default_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not is_country(value):
            raise ValueError(f"no public-holiday calendar for country {value!r}")
        return value.upper()

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
