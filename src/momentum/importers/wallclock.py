"""Saying so when a wall-clock time is read differently from how it reads: in the hour the
clocks skip (it moves forward by the gap) or repeat (it is the first occurrence), as
PRODUCT.md's rule for naive times says. A problem about such a time names the clock change,
or the user sees an end "before" a start that, on the clock, comes after it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from momentum.localtime import zone


def clock_change(text: object, zone_name: str | None) -> str | None:
    """What the clock change does to the wall-clock time ``text`` in ``zone_name``, or None
    when it is in neither a skipped nor a repeated hour (or has an offset, or is not ISO)."""
    if not isinstance(text, str) or not zone_name:
        return None
    try:
        wall = datetime.fromisoformat(text)
        tz = zone(zone_name)
    except (ValueError, KeyError):
        return None
    if wall.tzinfo is not None:
        return None
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    read = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if read != wall:
        return (
            f"is in the hour skipped when the clocks went forward in {zone_name}, "
            f"so it is read as {read.isoformat(timespec='minutes')}"
        )
    offset = second.isoformat()[-6:]
    return (
        f"is in the hour repeated when the clocks went back in {zone_name}, so it is read "
        f"as the first occurrence (write the offset, {offset}, for the second)"
    )


def clock_note(record: Mapping[str, Any], names: tuple[str, ...] = ("end", "start")) -> str:
    """``: the start is in the hour skipped …`` for the first of ``names`` (read from
    ``<name>_text`` in the row's ``_zone``) a clock change moved; else nothing."""
    for name in names:
        change = clock_change(record.get(f"{name}_text"), record.get("_zone"))
        if change is not None:
            return f": the {name} {change}"
    return ""


def as_written(record: Mapping[str, Any], names: tuple[str, ...] = ("start", "end")) -> list[Any]:
    """The times ``names`` of a row as its file writes them (``_<name>_written``, which a preset
    keeps when it converts them) when it has all of them, so that they compare alike; else as
    read (``<name>_text``)."""
    written = [record.get(f"_{name}_written") for name in names]
    if all(value is not None for value in written):
        return written
    return [record.get(f"{name}_text") for name in names]
