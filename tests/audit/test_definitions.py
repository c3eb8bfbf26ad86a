"""Every edge of PRODUCT.md's metric definitions, one small deal at a time."""

from __future__ import annotations

from datetime import date

import pytest

from tests.audit.helpers import REPS, facts_row, one_deal, report

M1 = "m1,2026-03-02T10:00:00-05:00,2026-03-02T10:45:00-05:00,2026-02-20T09:00:00-05:00,held"


def test_booked_exactly_at_the_end_of_the_grace_is_on_the_spot(write_files) -> None:
    folder = one_deal(
        write_files, M1 + "\nm2,2026-03-05T10:00:00-05:00,,2026-03-02T11:45:00-05:00,held"
    )
    assert facts_row(folder)["on_the_spot"] is True


def test_booked_a_minute_after_the_grace_is_not(write_files) -> None:
    folder = one_deal(
        write_files, M1 + "\nm2,2026-03-05T10:00:00-05:00,,2026-03-02T11:46:00-05:00,held"
    )
    assert facts_row(folder)["on_the_spot"] is False


def test_the_grace_is_configurable(write_files) -> None:
    folder = one_deal(
        write_files, M1 + "\nm2,2026-03-05T10:00:00-05:00,,2026-03-02T11:46:00-05:00,held"
    )
    assert facts_row(folder, grace=61)["on_the_spot"] is True
    assert facts_row(folder, grace=0)["on_the_spot"] is False


def test_the_earliest_booking_among_the_attempts_counts(write_files) -> None:
    folder = one_deal(
        write_files,
        M1 + "\n"
        "m2,2026-03-05T10:00:00-05:00,,2026-03-02T10:30:00-05:00,rescheduled\n"
        "m3,2026-03-09T10:00:00-04:00,,2026-03-04T10:00:00-05:00,held",
    )
    row = facts_row(folder)
    assert (row["on_the_spot"], row["rescheduled"], row["attempts"]) == (True, True, 2)


def test_attempts_without_booked_at_leave_on_the_spot_unknown(write_files) -> None:
    folder = one_deal(write_files, M1 + "\nm2,2026-03-05T10:00:00-05:00,,,held")
    assert facts_row(folder)["on_the_spot"] is None
    second = report(folder)["second_meeting"]
    assert second["booked_on_the_spot_rate"] is None
    assert second["booked_rate"] == 1.0


def test_m1_is_the_earliest_held_meeting_and_no_shows_before_it_are_not_attempts(
    write_files,
) -> None:
    folder = one_deal(
        write_files,
        "m0,2026-02-27T10:00:00-05:00,,2026-02-20T09:00:00-05:00,no_show\n"
        + M1
        + "\nm2,2026-03-05T10:00:00-05:00,,2026-03-02T10:40:00-05:00,held",
    )
    row = facts_row(folder)
    assert row["m1_date"] == date(2026, 3, 2)
    assert (row["attempts"], row["held_attempts"], row["no_show_attempts"]) == (1, 1, 0)


def test_a_no_show_then_a_held_meeting_are_both_attempts(write_files) -> None:
    folder = one_deal(
        write_files,
        M1 + "\n"
        "m2,2026-03-04T10:00:00-05:00,,2026-03-02T10:40:00-05:00,no_show\n"
        "m3,2026-03-06T10:00:00-05:00,,2026-03-04T11:00:00-05:00,held",
    )
    row = facts_row(folder)
    assert (row["attempts"], row["held_attempts"], row["no_show_attempts"]) == (2, 1, 1)
    assert row["m2_date"] == date(2026, 3, 6)
    assert report(folder)["second_meeting"]["attendance_rate"] == 0.5


def test_meetings_after_m2_are_meeting_three_and_do_not_count(write_files) -> None:
    folder = one_deal(
        write_files,
        M1 + "\n"
        "m2,2026-03-04T10:00:00-05:00,,2026-03-02T10:40:00-05:00,held\n"
        "m3,2026-03-10T10:00:00-04:00,,2026-03-04T11:00:00-05:00,no_show\n"
        "m4,2026-03-12T10:00:00-04:00,,2026-03-04T11:00:00-05:00,rescheduled",
    )
    row = facts_row(folder)
    assert (row["attempts"], row["no_show_attempts"], row["rescheduled"]) == (1, 0, False)
    assert report(folder)["second_meeting"]["attendance_rate"] == 1.0


def test_a_meeting_during_m1_is_not_an_attempt(write_files) -> None:
    folder = one_deal(write_files, M1 + "\nmx,2026-03-02T10:30:00-05:00,,,scheduled")
    assert facts_row(folder)["attempts"] == 0


def test_canceled_and_rescheduled_attempts_count_as_booked_not_held(write_files) -> None:
    folder = one_deal(
        write_files, M1 + "\nm2,2026-03-04T10:00:00-05:00,,2026-03-02T10:40:00-05:00,canceled"
    )
    second = report(folder)["second_meeting"]
    assert (second["booked_rate"], second["held_rate"], second["attendance_rate"]) == (
        1.0,
        0.0,
        None,
    )
    assert second["gap_business_days"] is None


def test_deals_without_m1_are_outside_the_funnel(write_files) -> None:
    folder = one_deal(
        write_files,
        "m1,2026-03-02T10:00:00-05:00,,,no_show",
        outcome="lost",
        closed_at="2026-03-30",
    )
    figures = report(folder)
    assert (figures["deals"], figures["deals_with_first_meeting"]) == (1, 0)
    assert figures["second_meeting"]["booked_rate"] is None
    assert figures["close_rate_after_first_meeting"] is None
    assert figures["by_rep"] == [] and figures["weekly"] == []
    assert all(row["deals"] == 0 for row in figures["close_rate_by_gap"])


def test_an_empty_scope_gives_nulls_not_errors(write_files) -> None:
    folder = write_files(
        {
            "deals.csv": "deal_id,owner_id,outcome\n",
            "meetings.csv": "meeting_id,deal_id,start,status\n",
        }
    )
    figures = report(folder)
    assert figures["deals"] == 0 and figures["findings"] == []
    assert figures["second_meeting"] == {
        "booked_rate": None,
        "booked_on_the_spot_rate": None,
        "held_rate": None,
        "reschedule_rate": None,
        "attendance_rate": None,
        "gap_calendar_days": None,
        "gap_business_days": None,
        "within_target_rate": None,
    }


def test_the_gap_counts_local_dates_not_utc_dates(write_files) -> None:
    # Tokyo: M1 Monday 08:30 local is Sunday 23:30 UTC; M2 Friday 10:00 local
    folder = one_deal(
        write_files,
        "m1,2026-04-05T23:30:00Z,2026-04-06T00:15:00Z,,held\nm2,2026-04-10T10:00:00+09:00,,,held",
        owner="tyo",
    )
    row = facts_row(folder)
    assert (row["m1_date"], row["gap_calendar_days"], row["gap_business_days"]) == (
        date(2026, 4, 6),
        4,
        4,
    )
    assert row["week"] == "2026-W15"


def test_business_days_skip_the_owners_country_holidays(write_files) -> None:
    # Berlin: 25 and 26 December are holidays in DE, 24 December is not
    folder = one_deal(
        write_files,
        "m1,2026-12-22T09:00:00+01:00,,,held\nm2,2026-12-29T09:00:00+01:00,,,held",
        owner="ber",
    )
    assert (facts_row(folder)["gap_calendar_days"], facts_row(folder)["gap_business_days"]) == (
        7,
        4,
    )
    # the same dates for a rep with no holiday country: only the weekend is skipped
    folder = one_deal(
        write_files,
        "m1,2026-12-22T09:00:00+01:00,,,held\nm2,2026-12-29T09:00:00+01:00,,,held",
        owner="utc",
    )
    assert facts_row(folder)["gap_business_days"] == 5


def test_us_observed_holidays_are_not_business_days(write_files) -> None:
    # 2026-07-04 is a Saturday; Friday 3 July is the observed US holiday
    folder = one_deal(
        write_files, "m1,2026-07-01T10:00:00-04:00,,,held\nm2,2026-07-07T10:00:00-04:00,,,held"
    )
    assert facts_row(folder)["gap_business_days"] == 3  # Wed 1, Thu 2, Mon 6


def test_naive_times_across_a_dst_change_keep_their_local_dates(write_files) -> None:
    # New York springs forward on 2026-03-08; M2 on Monday at 09:00 local
    folder = one_deal(
        write_files,
        "m1,2026-03-06 16:00,2026-03-06 16:30,2026-03-02 09:00,held\n"
        "m2,2026-03-09 09:00,2026-03-09 09:30,2026-03-06 17:30,held",
    )
    row = facts_row(folder)
    assert (row["gap_calendar_days"], row["gap_business_days"], row["on_the_spot"]) == (3, 1, True)


def test_a_late_evening_meeting_is_on_its_local_date(write_files) -> None:
    # 23:30 in New York on 2 March is 04:30 UTC on 3 March
    folder = one_deal(
        write_files, "m1,2026-03-02T23:30:00-05:00,,,held\nm2,2026-03-03T23:30:00-05:00,,,held"
    )
    row = facts_row(folder)
    assert (row["m1_date"], row["gap_calendar_days"]) == (date(2026, 3, 2), 1)


@pytest.mark.parametrize(
    ("gap_days", "bucket"),
    [(0, "0-5"), (5, "0-5"), (6, "6-10"), (10, "6-10"), (11, "11-20"), (20, "11-20"), (21, "21+")],
)
def test_gap_buckets_have_inclusive_bounds(write_files, gap_days: int, bucket: str) -> None:
    import numpy as np

    m2 = np.busday_offset(np.datetime64("2026-01-05"), gap_days, roll="forward")
    folder = one_deal(
        write_files,
        f"m1,2026-01-05T10:00:00Z,,,held\nm2,{m2}T12:00:00Z,,,held",
        owner="utc",
        outcome="won",
        closed_at="2026-06-01",
    )
    assert facts_row(folder)["bucket"] == bucket
    rows = {row["bucket"]: row for row in report(folder)["close_rate_by_gap"]}
    assert (rows[bucket]["deals"], rows[bucket]["won"], rows[bucket]["close_rate"]) == (1, 1, 1.0)


def test_the_period_filter_selects_by_m1_local_date(write_files) -> None:
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": "deal_id,owner_id,outcome\nd1,tyo,open\nd2,tyo,open\nd3,tyo,open\n",
            "meetings.csv": "meeting_id,deal_id,start,status\n"
            "a,d1,2026-03-31T23:30:00Z,held\n"  # 1 April in Tokyo
            "b,d2,2026-03-31T10:00:00Z,held\n"  # 31 March in Tokyo
            "c,d3,2026-03-31T10:00:00Z,no_show\n",  # no M1: outside any period
        }
    )
    assert report(folder, since=date(2026, 4, 1))["deals"] == 1
    assert report(folder, until=date(2026, 3, 31))["deals"] == 1
    assert report(folder)["deals"] == 3


def test_the_target_is_configurable(write_files) -> None:
    folder = one_deal(write_files, M1 + "\nm2,2026-03-10T10:00:00-04:00,,,held")  # 6 business days
    assert report(folder)["second_meeting"]["within_target_rate"] == 0.0
    assert report(folder, target_days=6)["second_meeting"]["within_target_rate"] == 1.0
