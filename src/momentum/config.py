"""Momentum's settings, from ``MOMENTUM_*`` environment variables (and a ``.env`` file).

Read once at the edge (the CLI or the web app factory) and passed down; nothing below
``cli/`` and ``web/`` reads the environment.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from momentum import defaults
from momentum.businessdays import holiday_country
from momentum.localtime import is_timezone


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOMENTUM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
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
        default=defaults.ON_THE_SPOT_GRACE_MINUTES,
        ge=0,
        description="How long after meeting one ends a booking still counts as made on the spot.",
    )
    target_business_days: int = Field(
        default=defaults.TARGET_BUSINESS_DAYS,
        ge=0,
        description="The target gap between meeting one and meeting two.",
    )
    import_batch_rows: int = Field(
        default=100_000, ge=1, description="Rows read and validated at a time during an import."
    )
    audit_batch_rows: int = Field(
        default=500_000,
        ge=1,
        description="Rows read and validated at a time when auditing files: larger batches "
        "are faster; the audit holds every meeting in memory anyway.",
    )

    # --- the engine: rules, reminders, alerts and the dispatcher -----------------------------
    rules_file: Path | None = Field(
        default=None,
        description="TOML file with the rules' settings (grace, target days, reminder offsets, "
        "quiet hours, alert channels, your own rule modules). Unset: the built-in defaults.",
    )
    templates_dir: Path | None = Field(
        default=None,
        description="Folder of Jinja2 templates that override the built-in email and Slack "
        "templates, file by file (same names as in momentum/templates/).",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server for outgoing email.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_starttls: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="STARTTLS: 'auto' upgrades the connection whenever the server offers it, "
        "'required' refuses to send over a server that does not, 'off' never upgrades "
        "(true and false are read as required and off). The certificate is always checked.",
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP login; unset: send without authenticating."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_allow_plaintext_login: bool = Field(
        default=False,
        description="Allow the SMTP login (and its password) over a connection that is not "
        "encrypted. Off: without STARTTLS, nothing is sent rather than the password.",
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long an SMTP connect or command may take."
    )
    mail_from: str = Field(
        default="Momentum <momentum@localhost>",
        description="The From address of every email; its domain also names Message-IDs.",
    )
    slack_webhook_url: SecretStr | None = Field(
        default=None,
        description="Slack incoming-webhook URL for alerts; unset: no Slack alerts.",
    )
    slack_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a Slack webhook call may take."
    )
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker owns the messages it claimed; after that a crashed "
        "worker's messages are claimed again.",
    )
    worker_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often an idle worker looks for due messages."
    )
    worker_batch_size: int = Field(
        default=100, ge=1, description="Messages a worker claims at a time."
    )
    worker_max_attempts: int = Field(
        default=8, ge=1, description="Attempts before a temporarily failing message fails."
    )
    worker_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        description="First retry delay after a temporary failure; doubles each attempt "
        "(at most an hour).",
    )
    worker_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often the worker evaluates every open deal's rules and due tasks.",
    )

    # --- the web app ------------------------------------------------------------------------
    session_hours: float = Field(
        default=12.0, gt=0, description="How long a browser session lasts after signing in."
    )
    sign_in_window_minutes: float = Field(
        default=15.0, gt=0, description="The window in which failed sign-ins are counted."
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins for one email address, within the window, after which "
        "signing in as it is refused until the window has passed.",
    )
    sign_in_max_failures_per_client: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one client address (any email), within the window, "
        "after which that address is refused.",
    )

    # --- the manager's week -------------------------------------------------------------------
    public_url: str | None = Field(
        default=None,
        description="Where the web app is reached (e.g. https://momentum.example.com), for the "
        "links in the Monday digest; unset: the digest has no link.",
    )
    dashboard_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long each web process keeps the store's frames and a dashboard view's "
        "audit before reading them again (figures at most this old); 0: always read the store.",
    )
    digest_send_at: time = Field(
        default=time(7, 0),
        description="When each manager's Monday digest is queued, on Monday in their own time "
        "zone (the worker's rule sweep queues it).",
    )

    @field_validator("smtp_starttls", mode="before")
    @classmethod
    def _starttls_as_before(cls, value: object) -> object:
        """The setting was a boolean: true (upgrade, or fail) and false (never) still work."""
        if isinstance(value, bool):
            return "required" if value else "off"
        if isinstance(value, str):
            lowered = value.strip().lower()
            legacy = {"true": "required", "1": "required", "false": "off", "0": "off"}
            return legacy.get(lowered, lowered)
        return value

    @field_validator(
        "default_timezone",
        "default_country",
        "rules_file",
        "templates_dir",
        "smtp_username",
        "smtp_password",
        "slack_webhook_url",
        "public_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """``MOMENTUM_DEFAULT_COUNTRY=`` is as good as unset where there is something to fall
        back on; the store's URL, and the others, must say something."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name or ""].default
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value

    @field_validator("default_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        return holiday_country(value)

    @property
    def smtp_configured(self) -> bool:
        """Whether an SMTP server was named (``MOMENTUM_SMTP_HOST`` or ``MOMENTUM_SMTP_PORT``,
        in the environment, a ``.env`` file or by the caller). If not, email still goes to the
        defaults, localhost:25, but nobody said a mail server is there."""
        return not {"smtp_host", "smtp_port"}.isdisjoint(self.model_fields_set)

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
