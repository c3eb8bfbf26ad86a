"""The rules file: one TOML file with every knob of the engine, all optional.

See docs/rules.md for the full example; a missing file or table means the defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from momentum import defaults
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

    def options_with(self, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, RuleOptions]:
        """Every rule's options with the app's settings (rule key -> option -> value) over the
        configuration. A setting for a rule no longer registered, or one its options no longer
        accept (a plugin changed), is left out: the configured options apply."""
        if not overrides:
            return self.options
        found = dict(self.options)
        for key, values in overrides.items():
            rule = self.registry.get(key)
            if rule is None:
                continue
            try:
                found[key] = rule.Options.model_validate(
                    {**self.config.rules.get(key, {}), **values}
                )
            except ValidationError:
                continue
        return found

    def enabled(
        self, overrides: Mapping[str, Mapping[str, Any]] | None = None
    ) -> list[tuple[Any, RuleOptions]]:
        """The rules switched on, each with its options (the app's settings over the
        configuration, when given)."""
        options = self.options_with(overrides or {})
        return [(rule, options[rule.key]) for rule in self.registry if options[rule.key].enabled]


def _explain(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['msg']}"
        for error in exc.errors()
    )


def read_config(path: Path | None, settings: Settings | None = None) -> EngineConfig:
    """The engine's configuration: the rules file over the defaults, where ``settings`` gives
    the defaults it shares with the audit (grace, target days, holiday country). A setting
    left at the built-in default adds nothing to the rules' tables, so a table names only what
    the file or the environment changed."""
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
        if settings.on_the_spot_grace_minutes != defaults.ON_THE_SPOT_GRACE_MINUTES:
            rules.setdefault("meeting_two_not_booked", {}).setdefault(
                "grace_minutes", settings.on_the_spot_grace_minutes
            )
        if settings.target_business_days != defaults.TARGET_BUSINESS_DAYS:
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
