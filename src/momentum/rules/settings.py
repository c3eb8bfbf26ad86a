"""The rules' options as an administrator sees and sets them in the web app.

Where a value comes from, first match wins:

1. **the app**: an administrator's setting (a ``rule_override`` row, with who and when);
2. **the configuration**: the rules file's ``[rules.<key>]`` table, or the environment
   (``MOMENTUM_TARGET_BUSINESS_DAYS``, ``MOMENTUM_ON_THE_SPOT_GRACE_MINUTES``);
3. **the default**: the rule's built-in default.

Every process reads the app's settings from the store (the engine at each evaluation), so a
change applies everywhere without a restart. A change or a reset marks every open deal due,
so the worker's next sweep evaluates them all under the new values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.repository import DealRepository
from momentum.errors import InputError, NotFound, PermissionDenied
from momentum.rules.config import LoadedRules
from momentum.rules.models import RuleOverride
from momentum.rules.registry import Rule, RuleOptions
from momentum.user.models import Role, User
from momentum.user.schemas import Actor

# The option types an administrator edits in a form; others are set in the rules file.
EDITABLE_TYPES: dict[Any, str] = {bool: "bool", int: "int", float: "float"}


class Source(enum.StrEnum):
    APP = "app"
    CONFIGURED = "configured"
    DEFAULT = "default"


@dataclass(frozen=True)
class RuleSetting:
    """One option of one rule: the value in force, where it comes from, and what it would be
    without the app's setting."""

    rule_key: str
    rule_title: str
    option: str
    kind: str  # "bool", "int" or "float"
    description: str | None
    value: Any
    source: Source
    configured: Any  # the value from the configuration or the default, under the app's
    default: Any
    changed_by: str | None  # the administrator's email, for a setting made in the app
    changed_at: datetime | None


class RuleOverrideRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def values(self) -> dict[str, dict[str, Any]]:
        """Every app setting: rule key -> option -> value."""
        found: dict[str, dict[str, Any]] = {}
        rows = self.session.execute(
            select(RuleOverride.rule_key, RuleOverride.option, RuleOverride.value)
        )
        for rule_key, option, value in rows:
            found.setdefault(rule_key, {})[option] = value
        return found

    def with_authors(self) -> list[tuple[RuleOverride, str | None]]:
        query = select(RuleOverride, User.email).outerjoin(
            User, User.id == RuleOverride.changed_by_user_id
        )
        return [(row, email) for row, email in self.session.execute(query)]

    def get(self, rule_key: str, option: str) -> RuleOverride | None:
        return self.session.get(RuleOverride, (rule_key, option))


class RuleSettingsService:
    def __init__(self, session: Session, *, rules: LoadedRules, clock: Clock) -> None:
        self.session = session
        self.rules = rules
        self.clock = clock
        self.overrides = RuleOverrideRepository(session)

    # --- reading --------------------------------------------------------------------------

    def in_force(self) -> dict[str, RuleOptions]:
        """Every rule's options as the engine applies them now."""
        return self.rules.options_with(self.overrides.values())

    def settings(self) -> list[RuleSetting]:
        """Every editable option of every rule, in evaluation order."""
        stored = {
            (row.rule_key, row.option): (row, email) for row, email in self.overrides.with_authors()
        }
        in_force = self.in_force()
        found: list[RuleSetting] = []
        for rule in self.rules.registry:
            configured_table = self.rules.config.rules.get(rule.key, {})
            for option, field in rule.Options.model_fields.items():
                kind = EDITABLE_TYPES.get(field.annotation)
                if kind is None:
                    continue
                default = field.get_default(call_default_factory=True)
                configured = getattr(self.rules.options[rule.key], option)
                value = getattr(in_force[rule.key], option)
                row, email = stored.get((rule.key, option), (None, None))
                if row is not None and value == row.value:
                    source = Source.APP
                elif option in configured_table:
                    source = Source.CONFIGURED
                else:
                    source = Source.DEFAULT
                found.append(
                    RuleSetting(
                        rule_key=rule.key,
                        rule_title=rule.title,
                        option=option,
                        kind=kind,
                        description=field.description,
                        value=value,
                        source=source,
                        configured=configured,
                        default=default,
                        changed_by=email if source is Source.APP else None,
                        changed_at=row.changed_at
                        if row is not None and source is Source.APP
                        else None,
                    )
                )
        return found

    # --- writing: administrators ----------------------------------------------------------

    def set(self, actor: Actor, rule_key: str, option: str, value: str) -> RuleSetting:
        """The app's value for one option (checked as the rules file's would be); every open
        deal falls due for the rules."""
        _require_admin(actor)
        rule = self._rule(rule_key, option)
        text = value.strip()
        if not text:
            raise InputError(f"{option}: enter a value, or reset it to the default")
        table = {
            **self.rules.config.rules.get(rule_key, {}),
            **self.overrides.values().get(rule_key, {}),
            option: text,
        }
        try:
            checked = rule.Options.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or option
            raise InputError(f"{where}: {first['msg']}") from None
        typed = getattr(checked, option)
        now = self.clock.now()
        row = self.overrides.get(rule_key, option)
        if row is None:
            row = RuleOverride(rule_key=rule_key, option=option, value=typed, changed_at=now)
            self.session.add(row)
        elif row.value == typed:
            return self._setting(rule_key, option)
        row.value, row.changed_by_user_id, row.changed_at = typed, actor.user_id, now
        self.session.flush()
        DealRepository(self.session).mark_open_due(now)
        return self._setting(rule_key, option)

    def reset(self, actor: Actor, rule_key: str, option: str) -> RuleSetting:
        """Back to the configuration's value or the built-in default."""
        _require_admin(actor)
        self._rule(rule_key, option)
        row = self.overrides.get(rule_key, option)
        if row is not None:
            self.session.delete(row)
            self.session.flush()
            DealRepository(self.session).mark_open_due(self.clock.now())
        return self._setting(rule_key, option)

    # --- internals ------------------------------------------------------------------------

    def _rule(self, rule_key: str, option: str) -> Rule:
        rule = self.rules.registry.get(rule_key)
        if rule is None:
            raise NotFound(f"no rule {rule_key!r}")
        field = rule.Options.model_fields.get(option)
        if field is None or field.annotation not in EDITABLE_TYPES:
            raise NotFound(f"no option {option!r} on rule {rule_key!r} to set in the app")
        return rule

    def _setting(self, rule_key: str, option: str) -> RuleSetting:
        return next(s for s in self.settings() if (s.rule_key, s.option) == (rule_key, option))


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only administrators change the rules' settings")
