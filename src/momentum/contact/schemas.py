from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class Attendee(BaseModel):
    """A person on the buyer's side who gets the invitation and the reminders."""

    email: str = Field(max_length=320)
    name: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        value = value.strip()
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in value) or "\n" in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()
