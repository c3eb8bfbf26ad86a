"""Times as people read them: always with the zone they are in.

A buyer in New York who reads "14:00" in a subject does not know it was Berlin's; every time
Momentum writes for a person names its zone, by abbreviation and IANA name
("14:00 CET (Europe/Berlin)"). Zones without a letter abbreviation show their offset
("UTC+03").
"""

from __future__ import annotations

from datetime import datetime

from momentum.localtime import zone


def zone_abbreviation(local: datetime) -> str:
    name = local.tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def zone_label(instant: datetime, tz: str) -> str:
    """The zone of ``instant`` in ``tz`` as a reader sees it: ``CET (Europe/Berlin)``."""
    local = instant.astimezone(zone(tz))
    abbreviation = zone_abbreviation(local)
    return abbreviation if tz in ("UTC", "Etc/UTC") else f"{abbreviation} ({tz})"


def when_long(start: datetime, end: datetime, tz: str) -> str:
    """``Tuesday 10 March 2026, 14:00–14:45 CET (Europe/Berlin)``."""
    local_start, local_end = start.astimezone(zone(tz)), end.astimezone(zone(tz))
    return f"{local_start:%A %-d %B %Y, %H:%M}–{local_end:%H:%M} {zone_label(start, tz)}"


def when_short(start: datetime, tz: str) -> str:
    """``Tue 10 Mar, 14:00 CET (Europe/Berlin)``: short enough for a subject line."""
    return f"{start.astimezone(zone(tz)):%a %-d %b, %H:%M} {zone_label(start, tz)}"


def time_of_day(instant: datetime, tz: str) -> str:
    """``14:00 CET``: a time on a page that already says which day."""
    local = instant.astimezone(zone(tz))
    return f"{local:%H:%M} {zone_abbreviation(local)}"
