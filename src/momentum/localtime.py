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


# The instants the store accepts: every one of them can be written and read back on SQLite (whose
# text dates Python's datetime must parse: years 1 to 9999) and PostgreSQL, in any zone, with
# room to spare for the defaults computed from them (a meeting's end, a reminder's send time).
EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
END_OF_INSTANTS = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive
INSTANT_RANGE = "from 1900-01-01T00:00Z up to, not including, 2200-01-01T00:00Z"
# a wall-clock time further out than this cannot become an accepted instant in any zone
WALL_EARLIEST = datetime(1899, 12, 30)
WALL_LATEST = datetime(2200, 1, 2)


def storable(value: datetime, tz: str) -> datetime | None:
    """The UTC instant of ``value`` (naive: wall-clock time in ``tz``) when it is within the
    accepted range, else ``None``."""
    if not WALL_EARLIEST <= value.replace(tzinfo=None) <= WALL_LATEST:
        return None
    instant = localize(value, tz)
    return instant if EARLIEST_INSTANT <= instant < END_OF_INSTANTS else None


def localize(naive: datetime, tz: str) -> datetime:
    """The UTC instant of a wall-clock time in ``tz`` (first occurrence; gaps move forward)."""
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def exists(naive: datetime, tz: str) -> bool:
    """Whether the wall-clock time ``naive`` happens in ``tz``: not when the clocks go forward
    over it (02:30 on the night summer time starts, in most of the US and Europe)."""
    return localize(naive, tz).astimezone(zone(tz)).replace(tzinfo=None) == naive


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()
