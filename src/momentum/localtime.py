"""Wall-clock times in a rep's time zone, and the rules PRODUCT.md gives for them.

A naive time is in the owner rep's zone. In the hour repeated when clocks go back it is the
first occurrence; in the hour skipped when clocks go forward it moves forward by the gap. Both
are exactly what :mod:`zoneinfo` does with ``fold=0`` (PEP 495), so scalar code uses that, and
the vectorized reader falls back to it for the rare skipped times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; raises ``KeyError`` when there is none."""
    if not is_timezone(name):
        raise KeyError(name)
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    if name in _known_zones():
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def localize(naive: datetime, tz: str) -> datetime:
    """The UTC instant of a wall-clock time in ``tz`` (first occurrence; gaps move forward)."""
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()
