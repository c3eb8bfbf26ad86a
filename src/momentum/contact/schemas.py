from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from momentum.localtime import is_timezone


class Attendee(BaseModel):
    """A person on the buyer's side who gets the invitation and the reminders."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, never dropped

    email: str = Field(max_length=320)
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="The person's IANA time zone: e-mails to them give times in it.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and not is_timezone(value):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)")
        return value

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        value = value.strip()
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in value) or "\n" in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()
