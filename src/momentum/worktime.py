"""A rep's working time: their zone, their business days and the quiet hours.

Everything the engine schedules against a rep's calendar goes through :class:`WorkCalendar`:
"one business day after the meeting", "two business days before it at 09:00", "not in quiet
hours". Business days are numpy's busday functions over the ``holidays`` package (see
:mod:`momentum.businessdays`), with the weekend the configuration names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from momentum.businessdays import BusinessCalendar, holiday_country
from momentum.localtime import localize, zone

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_YEARS_AROUND = 2  # holiday years loaded either side of the one asked about
_COUNT_FROM = date(1970, 1, 1)  # business days are counted from here, then subtracted


class CalendarPolicy(BaseModel):
    """Which days are business days and which hours are quiet, for every rep."""

    default_country: str | None = Field(
        default=None, description="Holiday country for reps without one (ISO 3166-1 alpha-2)."
    )
    weekend: list[Weekday] = Field(
        default_factory=lambda: list[Weekday](["saturday", "sunday"]),
        description="Days that are never business days.",
    )
    quiet_hours_start: time = Field(
        default=time(19, 0),
        description="From this local time on, no reminder goes to a buyer (invitations, "
        "updates and cancellations go at once).",
    )
    quiet_hours_end: time = Field(
        default=time(8, 0), description="Until this local time no reminder goes to a buyer."
    )

    @field_validator("default_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        return holiday_country(value)

    @property
    def weekmask(self) -> str:
        return "".join("0" if day in self.weekend else "1" for day in WEEKDAYS)

    def in_quiet_hours(self, local: time) -> bool:
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start == end:
            return False  # no quiet hours
        if start < end:
            return start <= local < end
        return local >= start or local < end


@lru_cache(maxsize=1024)
def _business_calendar(country: str | None, weekmask: str, year: int) -> BusinessCalendar:
    return BusinessCalendar(
        country, range(year - _YEARS_AROUND, year + _YEARS_AROUND + 1), weekmask=weekmask
    )


class WorkCalendar:
    """One rep's calendar: ``tz``, the holidays of ``country`` and the policy's weekend and
    quiet hours."""

    def __init__(self, *, tz: str, country: str | None, policy: CalendarPolicy) -> None:
        self.tz = tz
        self.zone = zone(tz)
        self.country = (country or policy.default_country or None) or None
        self.policy = policy
        self._weekmask = policy.weekmask
        self._open_days: dict[date, bool] = {}
        self._shifted: dict[tuple[date, int], date] = {}
        self._counted: dict[tuple[date, date], int] = {}
        self._counted_since: dict[tuple[int, date], int] = {}  # (calendar year, day)
        self._deadline_days: dict[tuple[date, int], tuple[date, bool]] = {}

    def _days(self, around: date) -> BusinessCalendar:
        return _business_calendar(self.country, self._weekmask, around.year)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def at(self, day: date, clock_time: time) -> datetime:
        """The UTC instant of ``clock_time`` on ``day`` in this rep's zone."""
        return localize(datetime.combine(day, clock_time), self.tz)

    def is_business_day(self, day: date) -> bool:
        found = self._open_days.get(day)
        if found is None:
            found = self._open_days[day] = self._days(day).is_business_day(day)
        return found

    def add_business_days(self, day: date, days: int) -> date:
        found = self._shifted.get((day, days))
        if found is None:
            found = self._shifted[(day, days)] = self._days(day).add(day, days)
        return found

    def business_days_between(self, first: date, second: date) -> int:
        """Business days in ``[first, second)`` (numpy's busday_count)."""
        found = self._counted.get((first, second))
        if found is None:
            if _COUNT_FROM <= first <= second:
                # The days counted up to ``second`` less those up to ``first``, on the calendar
                # of ``first``'s year: each is worked out once per day, not once per pair.
                found = self._counted_to(first.year, second) - self._counted_to(first.year, first)
            else:
                found = int(self._days(first).count(first, second))
            self._counted[(first, second)] = found
        return found

    def _counted_to(self, year: int, day: date) -> int:
        found = self._counted_since.get((year, day))
        if found is None:
            around = date(year, 1, 1)
            found = int(self._days(around).count(_COUNT_FROM, day))
            self._counted_since[(year, day)] = found
        return found

    def business_deadline(self, instant: datetime, days: int) -> datetime:
        """``days`` business days after ``instant``, at the same local time of day (an instant
        on a weekend or holiday counts from the next business day's start)."""
        local = instant.astimezone(self.zone)
        day = local.date()
        found = self._deadline_days.get((day, days))
        if found is None:
            target = self.add_business_days(day, 0)  # rolls forward off a non-business day
            found = (self.add_business_days(target, days), self.is_business_day(day))
            self._deadline_days[(day, days)] = found
        target, open_day = found
        clock_time = local.time() if open_day else time(0, 0)
        if clock_time.fold:  # the repeated hour: the first occurrence, as :meth:`at` reads it
            clock_time = clock_time.replace(fold=0)
        # :meth:`at`, inlined: this runs for most open deals in every evaluation
        return datetime.combine(target, clock_time, tzinfo=self.zone).astimezone(UTC)

    def may_contact_buyer(self, instant: datetime) -> bool:
        """A business day and outside quiet hours, in this rep's zone."""
        local = self.local(instant)
        return self.is_business_day(local.date()) and not self.policy.in_quiet_hours(
            local.time().replace(tzinfo=None)
        )

    def next_contact_time(self, instant: datetime) -> datetime:
        """The first instant at or after ``instant`` when :meth:`may_contact_buyer` holds."""
        candidate = instant.astimezone(UTC)
        for _ in range(1000):  # a year of weekends, holidays and quiet nights, with room
            if self.may_contact_buyer(candidate):
                return candidate
            local = self.local(candidate)
            day, clock_time = local.date(), local.time().replace(tzinfo=None)
            end = self.policy.quiet_hours_end
            if self.is_business_day(day) and clock_time < end:
                candidate = self.at(day, end)  # quiet hours end later today
            else:
                candidate = self.at(day + timedelta(days=1), time(0, 0))
        raise ValueError(f"no time to contact a buyer within a year of {instant.isoformat()}")

    def slot_before(self, meeting_start: datetime, business_days: int, at: time) -> datetime:
        """``at`` local time, ``business_days`` business days before the meeting's local date,
        moved out of quiet hours if ``at`` falls in them."""
        day = self.add_business_days(self.local_date(meeting_start), -business_days)
        slot = self.at(day, at)
        if self.policy.in_quiet_hours(at):
            slot = self.next_contact_time(slot)
        return slot
