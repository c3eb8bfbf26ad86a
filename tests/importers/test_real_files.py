"""Every real file in shared/data/real: it imports, or it fails with a precise message."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from momentum.errors import ValidationFailed
from momentum.importers.ics import Calendars
from momentum.importers.problems import ProblemLog
from tests.importers.presets import read_format

NO_FORMAT = (
    ":1: the header matches none of the formats momentum, salesforce, hubspot, pipedrive; name "
    "the format with --format, or describe the columns in a --mapping file"
)
CRM = [
    ("maven-crm-sales-opportunities/accounts.csv", [NO_FORMAT]),
    ("maven-crm-sales-opportunities/data_dictionary.csv", [NO_FORMAT]),
    ("maven-crm-sales-opportunities/products.csv", [NO_FORMAT]),
    ("maven-crm-sales-opportunities/sales_pipeline.csv", [NO_FORMAT]),
    ("maven-crm-sales-opportunities/sales_teams.csv", [NO_FORMAT]),
    (
        "salesforce-apex-recipes/Opportunities.csv",
        [":1:Id: required column is missing", ":1:OwnerId: required column is missing"],
    ),
    (
        "salesforce-apex-recipes/Opportunities.json",
        [
            ": is a JSON file; momentum reads CSV exports and .ics calendars (export or save it "
            "as CSV)"
        ],
    ),
    (
        "salesforce-data-cloud-workshop/Account.csv",
        [
            ": is a Salesforce Account export, which only helps to read Opportunity, "
            "OpportunityHistory, Event and Task exports; import it together with them"
        ],
    ),
    ("salesforce-data-cloud-workshop/Opportunity.csv", (1, 50, 0)),
    ("salesforce-data-cloud-workshop/Task.csv", (0, 0, 0)),
    ("salesforce-data-cloud-workshop", (1, 50, 5)),
]


@pytest.mark.parametrize(("name", "expected"), CRM)
def test_every_crm_file(shared: Path, name: str, expected: object) -> None:
    path = shared / "data/real/crm" / name
    if isinstance(expected, tuple):
        data = read_format(path)
        assert (data.reps.height, data.deals.height, data.meetings.height) == expected
        return
    with pytest.raises(ValidationFailed) as failure:
        read_format(path)
    assert [str(p).removeprefix(str(path)) for p in failure.value.problems] == expected


# file, meetings imported alone (calendar only: one deal per outside domain), warnings noted,
# meetings by status; or the problem that stops it
ICS = [
    ("collective-icalendar/alarm_google_future.ics", 0, 0, {}),
    ("collective-icalendar/alarm_thunderbird_future.ics", 0, 0, {}),
    ("collective-icalendar/issue_156_RDATE_with_PERIOD_TZID_khal.ics", 0, 0, {}),
    ("collective-icalendar/issue_165_missing_event.ics", 0, 2, {}),
    ("collective-icalendar/issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics", 0, 0, {}),
    (
        "collective-icalendar/issue_27_multiple_periods_in_freebusy_multiple_freebusies.ics",
        0,
        0,
        {},
    ),
    ("collective-icalendar/issue_348_exception_parsing_value.ics", 0, 0, {}),
    ("collective-icalendar/issue_350.ics", 0, 0, {}),
    ("collective-icalendar/issue_722_timezone_transition_ambiguity.ics", 0, 0, {}),
    ("collective-icalendar/issue_836_do_not_quote_tzid.ics", 0, 0, {}),
    ("collective-icalendar/pacific_fiji.ics", 0, 1, {}),
    ("collective-icalendar/parsing_error.ics", 0, 1, {}),
    ("collective-icalendar/property_params.ics", 1, 0, {"held": 1}),
    ("collective-icalendar/timezone_same_start.ics", 0, 0, {}),
    ("collective-icalendar/timezone_same_start_and_offset.ics", 0, 0, {}),
    ("collective-icalendar/x_location.ics", 0, 0, {}),
    ("ical-js/blank_description.ics", 0, 0, {}),
    ("ical-js/daily_recur.ics", 0, 0, {}),
    ("ical-js/google_birthday.ics", 0, 2, {}),
    ("ical-js/multiple_rrules.ics", 0, 0, {}),
    ("ical-js/parserv2.ics", 0, 0, {}),
    ("ical-js/recur_instances.ics", 165, 0, {"held": 162, "scheduled": 3}),
    ("ical-js/recur_instances_finite.ics", 5, 0, {"held": 5}),
    ("ical-js/utc_negative_zero.ics", 0, 0, {}),
    ("icalevents/basic.ics", 0, 0, {}),
    ("icalevents/basic_latin1.ics", 0, 0, {}),
    ("icalevents/cest.ics", 0, 0, {}),
    ("icalevents/cest_with_deleted.ics", 0, 0, {}),
    ("icalevents/floating.ics", 0, 0, {}),
    ("icalevents/google_tz.ics", 0, 0, {}),
    # its Europe/Berlin VTIMEZONE has an offset of +5328: skipped with a warning, the events
    # read with the zone database's Europe/Berlin (they have no attendee, so none is imported)
    ("icalevents/icloud.ics", 0, 1, {}),
    ("icalevents/ms_tz.ics", 0, 0, {}),
    ("icalevents/multi_attendee_response.ics", 1, 0, {"held": 1}),
    ("icalevents/multi_exdate_same_line_ms.ics", 0, 0, {}),
    ("icalevents/per_event_timezone.ics", 0, 0, {}),
    ("icalevents/recurr_id_dtstart_missmatch.ics", 0, 0, {}),
    ("icalevents/recurrenceid_google.ics", 0, 0, {}),
    ("icalevents/recurrenceid_ms.ics", 0, 0, {}),
    ("icalevents/recurring_override.ics", 0, 0, {}),
    ("icalevents/response.ics", 0, 0, {}),
    ("icalevents/rrule_until_all_day_google.ics", 0, 0, {}),
    ("icalevents/rrule_until_all_day_ms.ics", 0, 0, {}),
    ("icalevents/small_time_frame.ics", 0, 0, {}),
    ("icalevents/status_and_url.ics", 0, 0, {}),
    ("icalevents/transparent.ics", 0, 0, {}),
    ("node-ical/Office-2012-owa.ics", 0, 3, {}),
    ("node-ical/bad_ms_tz.ics", 0, 0, {}),
    ("node-ical/exchange-custom-tz.ics", 0, 0, {}),
    ("node-ical/exchange_whole_day_moved_recurrence.ics", 0, 0, {}),
    ("node-ical/exchange_whole_day_moved_recurrence_offset_tz.ics", 0, 0, {}),
    ("node-ical/google-calendar-kiev-tz.ics", 0, 0, {}),
    ("node-ical/mixed-timezone-handling.ics", 0, 0, {}),
    ("node-ical/ms_timezones.ics", 0, 1, {}),
    ("node-ical/tentative-apple-calendar.ics", 0, 0, {}),
    ("node-ical/vfreebusy-zimbra.ics", 0, 0, {}),
    ("node-ical/vtimezone-year-0001-dtstart.ics", 0, 0, {}),
    ("node-ical/vtodo-vfreebusy.ics", 0, 0, {}),
    ("node-ical/windows-quoted-tz-rrule.ics", 0, 0, {}),
    ("nylas-sync-engine/bogus_sequence_number.ics", 0, 1, {}),
    ("nylas-sync-engine/event_with_no_participants.ics", 0, 0, {}),
    ("nylas-sync-engine/event_without_sequence.ics", 0, 0, {}),
    ("nylas-sync-engine/gcal_recur.ics", 0, 0, {}),
    ("nylas-sync-engine/gcal_v1.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/gcal_v2.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/google_cancelled1.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/google_cancelled2.ics", 1, 0, {"canceled": 1}),
    ("nylas-sync-engine/icloud_cancelled1.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/icloud_cancelled2.ics", 1, 0, {"canceled": 1}),
    ("nylas-sync-engine/icloud_oneday_event.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/invalid_rsvp.ics", 0, 0, {}),
    ("nylas-sync-engine/invalid_rsvp2.ics", 0, 0, {}),
    ("nylas-sync-engine/invite.ics", 22, 0, {"held": 22}),
    ("nylas-sync-engine/invite_w_rsvps1.ics", 0, 0, {}),
    ("nylas-sync-engine/invite_w_rsvps2.ics", 0, 0, {}),
    ("nylas-sync-engine/invite_w_rsvps3.ics", 0, 0, {}),
    ("nylas-sync-engine/invite_w_rsvps_4.ics", 0, 0, {}),
    ("nylas-sync-engine/iphone_through_exchange.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/meetup_infinite.ics", 0, 0, {}),
    ("nylas-sync-engine/multiple_events.ics", 0, 0, {}),
    ("nylas-sync-engine/multiple_summaries.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/self_sent_v1.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/self_sent_v2.ics", 1, 0, {"held": 1}),
    ("nylas-sync-engine/windows_event.ics", 1, 0, {"held": 1}),
    ("python-recurring-ical-events/Germany.ics", 0, 0, {}),
    ("python-recurring-ical-events/daylight_saving_time.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_151_macos_linux_difference.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_173_only_modifications_error.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_18_cancel_status.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_20_exdate_ignored.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_27_t1.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_28_rrule_with_UTC_endinginZ.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_48_dst.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_61_time_zone_error.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_62_moved_event.ics", 0, 0, {}),
    ("python-recurring-ical-events/issue_62_moved_event_2.ics", 0, 0, {}),
    ("python-recurring-ical-events/recurrence_sequence_number.ics", 0, 0, {}),
    ("python-recurring-ical-events/recurring_events_moved.ics", 0, 0, {}),
    ("python-recurring-ical-events/three_events_one_edited.ics", 0, 0, {}),
    ("python-recurring-ical-events/x_wr_timezone_simple_events_issue_59.ics", 0, 0, {}),
]


@pytest.mark.parametrize("case", ICS, ids=[case[0] for case in ICS])
def test_every_calendar(shared: Path, case: tuple[object, ...]) -> None:
    path = shared / "data/real/ics" / str(case[0])
    if len(case) == 2:
        with pytest.raises(ValidationFailed) as failure:
            read_format(path)
        assert [str(p).removeprefix(str(path)) for p in failure.value.problems] == [case[1]]
        return
    data = read_format(path)
    statuses = dict(sorted(data.meetings.group_by("status").len().iter_rows()))
    warnings = sum(1 for note in data.notes if note.startswith("warning:"))
    assert (data.meetings.height, warnings, statuses) == case[1:]


def test_the_calendars_in_this_folder_are_all_listed(shared: Path) -> None:
    found = sorted(
        str(p.relative_to(shared / "data/real/ics"))
        for p in (shared / "data/real/ics").glob("*/*.ics")
    )
    assert found == [case[0] for case in ICS]


@pytest.mark.parametrize(
    ("files", "status"),
    [
        # an invitation, then its METHOD:CANCEL with SEQUENCE 1
        (("google_cancelled1.ics", "google_cancelled2.ics"), "canceled"),
        # iCloud's CANCEL has no STATUS and another ORGANIZER address: matched by UID
        (("icloud_cancelled1.ics", "icloud_cancelled2.ics"), "canceled"),
        # a new location with SEQUENCE 0 -> 1, and one without a bump (DTSTAMP decides)
        (("self_sent_v1.ics", "self_sent_v2.ics"), "held"),
        (("gcal_v1.ics", "gcal_v2.ics"), "held"),
    ],
)
def test_versions_of_one_invitation_are_one_meeting(
    shared: Path, files: tuple[str, str], status: str
) -> None:
    folder = shared / "data/real/ics/nylas-sync-engine"
    data = read_format([folder / name for name in files])
    assert (data.meetings.height, data.meetings["status"][0]) == (1, status)


def meetings_in(path: Path) -> dict[str, tuple[str, object]]:
    calendars = Calendars(ProblemLog())
    calendars.read(path)
    return {
        m.meeting_id: (m.status, m.start)
        for m in calendars.meetings(datetime(2026, 3, 10, tzinfo=UTC))
    }


def test_a_moved_occurrence_of_a_real_google_series(shared: Path) -> None:
    # issue_62_moved_event.ics: a monthly series in Europe/Berlin; the 2021-12-31 21:30
    # occurrence (RECURRENCE-ID) was moved to 2021-12-17 21:30 (DTSTART), SEQUENCE 3
    found = meetings_in(
        shared / "data/real/ics/python-recurring-ical-events/issue_62_moved_event.ics"
    )
    uid = "38m812jicsrer5gorh3mlp7qhc@google.com"
    berlin = datetime(2021, 12, 31, 20, 30, tzinfo=UTC)  # 21:30 CET
    slot = f"{uid}/20211231T203000Z"
    assert found[slot][0] == "rescheduled"
    assert found[slot][1] == berlin.astimezone(found[slot][1].tzinfo)  # type: ignore[union-attr]
    assert found[f"{slot}/moved"][0] == "scheduled"
    moved = found[f"{slot}/moved"][1]
    assert isinstance(moved, datetime) and moved.date() == date(2021, 12, 17)


def test_a_cancelled_occurrence_of_a_real_thunderbird_series(shared: Path) -> None:
    # issue_18_cancel_status.ics: a daily series of 3 from 2020-01-28; the 29 January
    # occurrence is overridden with STATUS:CANCELLED (SEQUENCE 2)
    found = meetings_in(
        shared / "data/real/ics/python-recurring-ical-events/issue_18_cancel_status.ics"
    )
    assert sorted((status, start.date()) for status, start in found.values()) == [  # type: ignore[attr-defined]
        ("canceled", date(2020, 1, 29)),
        ("scheduled", date(2020, 1, 28)),
        ("scheduled", date(2020, 1, 30)),
    ]
