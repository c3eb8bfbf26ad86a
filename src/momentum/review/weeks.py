"""ISO weeks as the review names them: ``2026-W10``, Monday to Sunday in each rep's zone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from momentum.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def monday_of(week: str) -> date:
    found = _WEEK.match(week.strip())
    if found is None:
        raise InputError(f"week {week!r} is not an ISO week such as 2026-W10")
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise InputError(f"week {week!r} does not exist") from None


def shift(week: str, weeks: int) -> str:
    try:
        return week_of(monday_of(week) + timedelta(weeks=weeks))
    except OverflowError:  # the review of 9999-W52 would need the week after it
        raise InputError(
            f"week {week!r} is out of range: the weeks around it do not exist"
        ) from None


def last_complete(now: datetime) -> str:
    """The week before the one ``now`` is in (in UTC)."""
    return week_of(now.date() - timedelta(days=7))


def open_for_commitments(now: datetime) -> tuple[str, str]:
    """The weeks a commitment may be recorded for (in UTC, as ``last_complete``): the week
    under way, at the review of the last complete week, and the next one, at the review of
    the week under way. A week that is over has figures, not plans; one further ahead has no
    review yet to be recorded at."""
    under_way = week_of(now.date())
    return under_way, shift(under_way, 1)


def days(week: str) -> tuple[date, date]:
    """Monday and the following Monday (the end, excluded)."""
    return monday_of(week), monday_of(shift(week, 1))
