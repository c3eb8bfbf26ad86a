"""What a check at send time decides for one message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Send:
    """Go ahead."""


@dataclass(frozen=True, slots=True)
class Defer:
    """Not now (quiet hours, a weekend): try again at ``until``."""

    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Never (the meeting was canceled, moved, or has started)."""

    reason: str


SendDecision = Send | Defer | Withdraw
