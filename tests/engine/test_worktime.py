"""The owner's working time: business days with holidays, quiet hours, reminder slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from momentum.worktime import CalendarPolicy, WorkCalendar

BERLIN = WorkCalendar(tz="Europe/Berlin", country="DE", policy=CalendarPolicy())


def test_business_days_skip_weekends_and_the_countrys_holidays() -> None:
    # Good Friday 3 April and Easter Monday 6 April 2026 are German holidays
    assert not BERLIN.is_business_day(date(2026, 4, 3))
    assert BERLIN.add_business_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert BERLIN.business_days_between(date(2026, 3, 31), date(2026, 4, 9)) == 5
    plain = WorkCalendar(tz="Europe/Berlin", country=None, policy=CalendarPolicy())
    assert plain.business_days_between(date(2026, 3, 31), date(2026, 4, 9)) == 7


def test_default_country_applies_to_reps_without_one() -> None:
    calendar = WorkCalendar(
        tz="America/New_York", country=None, policy=CalendarPolicy(default_country="us")
    )
    assert not calendar.is_business_day(date(2026, 7, 3))  # Independence Day, observed


def test_business_deadline_keeps_the_local_time_and_rolls_off_weekends() -> None:
    friday_15 = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
    assert BERLIN.business_deadline(friday_15, 1) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    # counted from Monday's start
    assert BERLIN.business_deadline(saturday, 1) == datetime(2026, 3, 9, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [(time(7, 59), True), (time(8, 0), False), (time(18, 59), False), (time(19, 0), True)],
)
def test_quiet_hours_span_midnight(local: time, quiet: bool) -> None:
    assert CalendarPolicy().in_quiet_hours(local) is quiet


def test_no_quiet_hours_when_start_equals_end() -> None:
    policy = CalendarPolicy(quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    assert not policy.in_quiet_hours(time(3, 0))


def test_next_contact_time_skips_quiet_nights_weekends_and_holidays() -> None:
    thursday_night = datetime(2026, 4, 2, 20, 0, tzinfo=UTC)  # 22:00 in Berlin
    # Friday and Monday are Easter holidays: Tuesday 08:00 Berlin (06:00 UTC)
    assert BERLIN.next_contact_time(thursday_night) == datetime(2026, 4, 7, 6, 0, tzinfo=UTC)
    open_now = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)
    assert BERLIN.next_contact_time(open_now) == open_now


def test_slots_before_a_meeting_land_on_business_days_outside_quiet_hours() -> None:
    tuesday_after_easter = datetime(2026, 4, 7, 13, 0, tzinfo=UTC)
    # Friday 3 and Monday 6 April are holidays: one business day before Tuesday 7 April is
    # Thursday 2 April, two are Wednesday 1 April
    assert BERLIN.slot_before(tuesday_after_easter, 2, time(9, 0)) == datetime(
        2026, 4, 1, 7, 0, tzinfo=UTC
    )
    # a send time inside quiet hours moves to their end
    assert BERLIN.slot_before(tuesday_after_easter, 1, time(6, 30)) == datetime(
        2026, 4, 2, 6, 0, tzinfo=UTC
    )


def test_business_deadline_in_the_repeated_hour_reads_the_first_occurrence() -> None:
    # Berlin's clocks go back at 03:00 on Sunday 25 October 2026: 02:30 happens twice
    every_day = WorkCalendar(tz="Europe/Berlin", country=None, policy=CalendarPolicy(weekend=[]))
    first, second = (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    )
    for instant in (first, second):
        assert every_day.business_deadline(instant, 0) == first
        assert every_day.business_deadline(instant, 1) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    before = datetime(2026, 10, 24, 0, 30, tzinfo=UTC)  # 02:30 the day before, summer time
    assert every_day.business_deadline(before, 1) == first
    assert every_day.business_deadline(before, 1) == every_day.at(date(2026, 10, 25), time(2, 30))


@pytest.mark.parametrize("country", ["DE", "US", None])
def test_business_days_between_agrees_with_numpy_in_both_directions(country: str | None) -> None:
    calendar = WorkCalendar(tz="Europe/Berlin", country=country, policy=CalendarPolicy())
    start = date(2025, 12, 1)  # across a new year, Christmas and Easter
    days = [start + timedelta(days=n) for n in range(0, 160, 3)]
    for first in days:
        for second in days[::5]:
            expected = int(calendar._days(first).count(first, second))
            assert calendar.business_days_between(first, second) == expected, (first, second)


TOKYO = WorkCalendar(tz="Asia/Tokyo", country="JP", policy=CalendarPolicy())
CHICAGO = WorkCalendar(tz="America/Chicago", country="US", policy=CalendarPolicy())


@pytest.mark.parametrize(
    ("calendar", "meeting_day", "confirmation_day", "value_day"),
    [
        # weekdays: unchanged
        (TOKYO, date(2026, 12, 16), date(2026, 12, 15), date(2026, 12, 14)),  # Wednesday
        (TOKYO, date(2026, 12, 14), date(2026, 12, 11), date(2026, 12, 10)),  # Monday
        (CHICAGO, date(2026, 12, 28), date(2026, 12, 24), date(2026, 12, 23)),  # after Christmas
        (BERLIN, date(2026, 4, 7), date(2026, 4, 2), date(2026, 4, 1)),  # after Easter Monday
        # a meeting on a weekend: the business days strictly before its date
        (TOKYO, date(2026, 12, 19), date(2026, 12, 18), date(2026, 12, 17)),  # Saturday
        (TOKYO, date(2026, 12, 20), date(2026, 12, 18), date(2026, 12, 17)),  # Sunday
        (CHICAGO, date(2026, 12, 12), date(2026, 12, 11), date(2026, 12, 10)),  # Saturday
        # a meeting on a holiday
        (CHICAGO, date(2026, 5, 25), date(2026, 5, 22), date(2026, 5, 21)),  # Memorial Day
        (BERLIN, date(2026, 4, 6), date(2026, 4, 2), date(2026, 4, 1)),  # Easter Monday
        (CHICAGO, date(2026, 12, 25), date(2026, 12, 24), date(2026, 12, 23)),  # Christmas
    ],
)
def test_reminders_go_out_the_business_days_strictly_before_the_meetings_date(
    calendar: WorkCalendar, meeting_day: date, confirmation_day: date, value_day: date
) -> None:
    meeting_start = calendar.at(meeting_day, time(10, 0))
    assert calendar.slot_before(meeting_start, 1, time(9, 0)) == calendar.at(
        confirmation_day, time(9, 0)
    )
    assert calendar.slot_before(meeting_start, 2, time(9, 0)) == calendar.at(value_day, time(9, 0))
    assert calendar.business_days_between(confirmation_day, meeting_day) == 1
    assert calendar.business_days_between(value_day, meeting_day) == 2


def test_a_meeting_on_a_saturday_in_tokyo_gets_thursday_and_friday_at_nine_local() -> None:
    saturday_10 = datetime(2026, 12, 19, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    assert TOKYO.slot_before(saturday_10, 2, time(9, 0)) == datetime(2026, 12, 17, 0, 0, tzinfo=UTC)
    assert TOKYO.slot_before(saturday_10, 1, time(9, 0)) == datetime(2026, 12, 18, 0, 0, tzinfo=UTC)
    # late on Friday in UTC, already Saturday morning in Tokyo: the local date counts
    friday_utc = datetime(2026, 12, 18, 23, 30, tzinfo=UTC)
    assert TOKYO.slot_before(friday_utc, 1, time(9, 0)) == datetime(2026, 12, 18, 0, 0, tzinfo=UTC)


def test_due_dates_after_a_weekend_or_holiday_count_from_the_next_business_day() -> None:
    # rules' "within N business days" roll forward, unlike the reminders' "before"
    saturday, easter_monday = date(2026, 3, 7), date(2026, 4, 6)
    assert BERLIN.add_business_days(saturday, 0) == date(2026, 3, 9)
    assert BERLIN.add_business_days(saturday, 1) == date(2026, 3, 10)
    assert BERLIN.add_business_days(easter_monday, 1) == date(2026, 4, 8)
    holiday_noon = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)  # 12:00 on Easter Monday in Berlin
    # counted from Tuesday's start: the end of Tuesday, midnight Berlin
    assert BERLIN.business_deadline(holiday_noon, 1) == datetime(2026, 4, 7, 22, 0, tzinfo=UTC)
