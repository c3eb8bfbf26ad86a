"""Business days: weekends and a country's public holidays, numpy's busday functions.

One :class:`BusinessCalendar` per (country, weekmask); the audit uses :meth:`count` on whole
arrays, the rules use the scalar helpers. Holidays come from the ``holidays`` package.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

import holidays
import numpy as np
import numpy.typing as npt

WEEKMASK = "1111100"  # Monday..Friday are business days; Saturday and Sunday are not.


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    from holidays.registry import COUNTRIES  # the index alone; loading every country is slow

    return frozenset(names[1] for names in COUNTRIES.values())


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code the ``holidays`` package has a
    public-holiday calendar for."""
    return code.upper() in _country_codes()


def holiday_country(value: str | None) -> str | None:
    """A settings value as a country code with a holiday calendar (upper case), or None for
    none; ``ValueError`` for anything else. Every setting that names a country uses this."""
    if value in (None, ""):
        return None
    assert value is not None
    if not is_country(value):
        raise ValueError(f"no public-holiday calendar for country {value!r}")
    return value.upper()


class BusinessCalendar:
    """Business days for one holiday country (``None``: weekends only)."""

    def __init__(self, country: str | None, years: Iterable[int], weekmask: str = WEEKMASK) -> None:
        self.country = country.upper() if country else None
        self.weekmask = weekmask
        self.years = sorted(set(years))
        days: list[date] = []
        if self.country and self.years:
            days = sorted(holidays.country_holidays(self.country, years=self.years).keys())
        self.holidays = np.array(days, dtype="datetime64[D]")
        self._cal = np.busdaycalendar(weekmask=weekmask, holidays=self.holidays)

    def count(self, begin: Any, end: Any) -> npt.NDArray[np.int64]:
        """Business days in ``[begin, end)``, element-wise (negative when end < begin)."""
        return np.busday_count(
            np.asarray(begin, dtype="datetime64[D]"),
            np.asarray(end, dtype="datetime64[D]"),
            busdaycal=self._cal,
        ).astype(np.int64)

    def is_business_day(self, day: date) -> bool:
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._cal))

    def add(self, day: date, days: int) -> date:
        """The business day ``days`` business days from ``day``. A ``day`` that is not a
        business day counts from the next one: ``0`` is that next one, ``+1`` the one after it
        (Tuesday from a Saturday), ``-1`` the latest business day strictly before ``day``
        (Friday from a Saturday; ``roll="backward"`` would give Thursday)."""
        result = np.busday_offset(
            np.datetime64(day, "D"), days, roll="forward", busdaycal=self._cal
        )
        return result.astype(date)  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def calendar_for(country: str | None, first_year: int, last_year: int) -> BusinessCalendar:
    return BusinessCalendar(country, range(first_year, last_year + 1))
