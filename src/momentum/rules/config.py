"""The rules file: one TOML file with every knob of the engine, all optional.

See docs/rules.md for the full example; a missing file or table means the defaults.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from momentum.config import Settings
from momentum.errors import ConfigurationError
from momentum.reminder.schemas import ReminderPolicy
from momentum.rules.registry import RuleOptions, RuleRegistry, build_registry
from momentum.worktime import CalendarPolicy


class AlertPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[Literal["email", "slack"]] = Field(
        default_factory=lambda: list[Literal["email", "slack"]](["email", "slack"]),
        description="Where alerts to reps and managers go (Slack only when a webhook is set).",
    )
    notify_manager: bool = Field(default=True, description="Email the owner's manager too.")
    task_due: bool = Field(default=True, description="Alert when a task falls due.")
    max_age_hours: float = Field(
        default=24.0,
        ge=0,
        description="A condition older than this when first found (imported history) is "
        "flagged without an alert.",
    )


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plugins: list[str] = Field(
        default_factory=list,
        description="Your rule modules: dotted names or .py paths, each with register(registry).",
    )
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    reminders: ReminderPolicy = Field(default_factory=ReminderPolicy)
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per rule, by key: its options table."
    )


class LoadedRules:
    """The registry plus every rule's validated options."""

    def __init__(self, config: EngineConfig, registry: RuleRegistry) -> None:
        self.config = config
        self.registry = registry
        unknown = sorted(set(config.rules) - set(registry.keys()))
        if unknown:
            raise ConfigurationError(
                f"the rules file configures unknown rules: {', '.join(unknown)} "
                f"(known: {', '.join(registry.keys())})"
            )
        self.options: dict[str, RuleOptions] = {}
        for rule in registry:
            try:
                self.options[rule.key] = rule.Options.model_validate(config.rules.get(rule.key, {}))
            except ValidationError as exc:
                raise ConfigurationError(f"[rules.{rule.key}]: {_explain(exc)}") from exc

    def enabled(self) -> list[tuple[Any, RuleOptions]]:
        return [
            (rule, self.options[rule.key])
            for rule in self.registry
            if self.options[rule.key].enabled
        ]


def _explain(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['msg']}"
        for error in exc.errors()
    )


def read_config(path: Path | None, settings: Settings | None = None) -> EngineConfig:
    """The engine's configuration: the rules file over the defaults, where ``settings`` gives
    the defaults it shares with the audit (grace, target days, holiday country)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigurationError(f"rules file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"rules file {path} is not valid TOML: {exc}") from exc
    if settings is not None:
        data.setdefault("calendar", {}).setdefault("default_country", settings.default_country)
        rules = data.setdefault("rules", {})
        rules.setdefault("meeting_two_not_booked", {}).setdefault(
            "grace_minutes", settings.on_the_spot_grace_minutes
        )
        rules.setdefault("gap_too_long", {}).setdefault(
            "target_business_days", settings.target_business_days
        )
    try:
        return EngineConfig.model_validate(data)
    except ValidationError as exc:
        where = f"rules file {path}" if path else "rules configuration"
        raise ConfigurationError(f"{where}: {_explain(exc)}") from exc


def load_rules(config: EngineConfig) -> LoadedRules:
    return LoadedRules(config, build_registry(config.plugins))
