"""What a rule is, and the registry every rule (built-in or yours) is added to."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from momentum.errors import ConfigurationError
from momentum.flag.models import Severity
from momentum.rules.facts import DealFacts
from momentum.worktime import CalendarPolicy, WorkCalendar

DEFAULT_RULE_MODULES = ("momentum.rules.builtin",)


class RuleOptions(BaseModel):
    """Options every rule has; a rule's own ``Options`` subclass adds its settings. They are
    read from the rules file's ``[rules.<key>]`` table."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    alert: bool = Field(
        default=False, description="Alert the owner (and manager) when the flag is raised."
    )


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """The one task a finding asks the deal's owner to do."""

    title: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule fired on a deal: the flag's plain reason, and a task where action is needed.

    ``since`` is when the condition became true; alerts go out only for fresh ones, so
    importing a year of history does not page anybody, and the flag keeps it
    (``flag.condition_since``): its age counts from it, not from when it was raised."""

    reason: str
    severity: Severity = Severity.WARNING
    task: TaskRequest | None = None
    since: datetime | None = None


@dataclass
class RuleContext:
    """What a rule may use besides the deal: the time, its options, the owner's calendar."""

    now: datetime
    options: Any
    calendar_policy: CalendarPolicy
    _calendars: dict[tuple[str, str | None], WorkCalendar] = field(default_factory=dict)
    _days: dict[date, str] = field(default_factory=dict)
    _recheck: datetime | None = None  # the earliest recheck_at on the deal being evaluated

    def recheck_at(self, instant: datetime) -> None:
        """Have the deal evaluated again at ``instant``: when the passing of time alone may
        change what this rule finds on it (a deadline passes, a meeting starts). Until then,
        and unless the deal changes, the worker's sweeps skip it."""
        if self._recheck is None or instant < self._recheck:
            self._recheck = instant

    def take_recheck(self) -> datetime | None:
        """The instant asked for on the deal just evaluated (the engine's, between deals)."""
        instant, self._recheck = self._recheck, None
        return instant

    def calendar(self, deal: DealFacts) -> WorkCalendar:
        """The deal owner's business days, holidays, time zone and quiet hours."""
        key = (deal.owner_timezone, deal.owner_country)
        found = self._calendars.get(key)
        if found is None:
            found = WorkCalendar(
                tz=deal.owner_timezone, country=deal.owner_country, policy=self.calendar_policy
            )
            self._calendars[key] = found
        return found

    def day(self, deal: DealFacts, instant: datetime) -> str:
        """The local date of ``instant`` for the deal's owner, for a reason ("Wed 4 Mar 2026":
        no leading zero, as every date the app shows)."""
        local = instant.astimezone(self.calendar(deal).zone).date()
        found = self._days.get(local)
        if found is None:
            found = self._days[local] = local.strftime("%a %-d %b %Y")
        return found


class Rule(ABC):
    """Subclass, set ``key`` and ``title``, optionally an ``Options`` model, and implement
    :meth:`evaluate`. Return ``None`` when the deal is fine: its flag clears and its task
    closes itself.

    Set ``declares_recheck`` when :meth:`evaluate` calls ``context.recheck_at`` wherever the
    passing of time alone may change its answer; the worker's sweeps then evaluate a deal
    only when it changed or one of its rules asked for it. A rule that does not declare it is
    evaluated on every open deal in every sweep."""

    key: ClassVar[str]
    title: ClassVar[str]
    Options: ClassVar[type[RuleOptions]] = RuleOptions
    declares_recheck: ClassVar[bool] = False

    @abstractmethod
    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None: ...


class RuleRegistry:
    """The rules in force, in the order they are evaluated (a rule sees the tasks raised by
    the rules before it, so "no next step" does not fire next to "book meeting two")."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, rule: Rule) -> Rule:
        key = getattr(rule, "key", None)
        if not isinstance(key, str) or not key or len(key) > 80:
            raise ConfigurationError(f"rule {rule!r} needs a key of 1 to 80 characters")
        if key in self._rules:
            raise ConfigurationError(f"two rules are registered as {key!r}")
        self._rules[key] = rule
        return rule

    def get(self, key: str) -> Rule | None:
        return self._rules.get(key)

    def __iter__(self) -> Iterator[Rule]:
        return iter(list(self._rules.values()))

    def __len__(self) -> int:
        return len(self._rules)

    def keys(self) -> list[str]:
        return list(self._rules)

    def load(self, module_name: str) -> None:
        """Import a module (dotted name, or a path to a ``.py`` file) and call its
        ``register(registry)``."""
        module = _import(module_name)
        register = getattr(module, "register", None)
        if not callable(register):
            raise ConfigurationError(f"rule module {module_name!r} has no register(registry)")
        register(self)


def _import(name: str) -> Any:
    if name.endswith(".py"):
        path = Path(name).expanduser().resolve()
        if not path.is_file():
            raise ConfigurationError(f"rule module file {name!r} does not exist")
        module_name = f"momentum_user_rules_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"cannot load rule module file {name!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import rule module {name!r}: {exc}") from exc


def build_registry(plugins: list[str]) -> RuleRegistry:
    registry = RuleRegistry()
    for module_name in (*DEFAULT_RULE_MODULES, *plugins):
        registry.load(module_name)
    return registry
