"""Rules: what must be true of every open deal, checked on each change and on a schedule.

Built-in rules live in :mod:`momentum.rules.builtin` and are registered exactly as your own
rules are (see docs/rules.md): a module with a ``register(registry)`` function, named in the
rules file's ``plugins`` list.
"""

from momentum.rules.registry import (
    Finding,
    Rule,
    RuleContext,
    RuleOptions,
    RuleRegistry,
    TaskRequest,
)

__all__ = ["Finding", "Rule", "RuleContext", "RuleOptions", "RuleRegistry", "TaskRequest"]
