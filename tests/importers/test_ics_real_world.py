"""Calendars as other tools really write them: series changed from one occurrence on, zones
named with spaces, moved occurrences, all-day events without a length, long series, and
broken components beside the events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Meeting
from momentum.importers.canonical import ReadOptions
from momentum.importers.ics import MAX_OCCURRENCES
from momentum.importers.service import import_files
from tests.importers.presets import NOW, read_format
from tests.importers.test_ics import calendar, event, meetings_of

BERLIN_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\n"
    "DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
    "DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def slots(data) -> dict[str, tuple[str, datetime, datetime]]:  # type: ignore[no-untyped-def]
    return {key: (r["status"], r["start"], r["end"]) for key, r in meetings_of(data).items()}


def test_a_change_of_this_and_future_occurrences_splits_the_series(write_files) -> None:
    # a weekly hour from 2 March; from 16 March on it is at 14:00 for 90 minutes; the 23 March
    # one is then moved on its own to the 24th
    series = event("s1", ":20260302T100000Z", "RRULE:FREQ=WEEKLY;COUNT=5", end=":20260302T110000Z")
    split = event(
        "s1",
        ":20260316T140000Z",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20260316T100000Z",
        "SEQUENCE:1",
        end=":20260316T153000Z",
    )
    single = event(
        "s1",
        ":20260324T140000Z",
        "RECURRENCE-ID:20260323T100000Z",
        "SEQUENCE:2",
        end=":20260324T153000Z",
    )
    folder = write_files({"ann.ics": calendar(series, split, single)})
    assert slots(read_format(folder)) == {
        "s1/20260302T100000Z": ("held", at(2, 10), at(2, 11)),
        "s1/20260309T100000Z": ("held", at(9, 10), at(9, 11)),
        # the change itself moved this one: its old slot is rescheduled
        "s1/20260316T100000Z": ("rescheduled", at(16, 10), at(16, 11)),
        "s1/20260316T100000Z/moved": ("scheduled", at(16, 14), at(16, 15, 30)),
        # left the slot the change had given it (14:00 for 90 minutes)
        "s1/20260323T100000Z": ("rescheduled", at(23, 14), at(23, 15, 30)),
        "s1/20260323T100000Z/moved": ("scheduled", at(24, 14), at(24, 15, 30)),
        # later ones simply follow the change, each known by its own slot in the series
        "s1/20260330T100000Z": ("scheduled", at(30, 14), at(30, 15, 30)),
    }


def test_a_zone_named_with_spaces_around_finds_its_vtimezone(write_files) -> None:
    zone = BERLIN_ZONE.format(tzid="W. Europe Standard Time")
    tz = ';TZID=" W. Europe Standard Time "'
    folder = write_files(
        {
            "ann.ics": calendar(
                event("m1", f"{tz}:20260302T100000", end=f"{tz}:20260302T110000"), extra=zone
            )
        }
    )
    data = read_format(folder)
    # 10:00 in Berlin in March (before the 29th) is 09:00 UTC, not 10:00 in the owner's UTC
    assert slots(data)["m1"] == ("held", at(2, 9), at(2, 10))
    assert not [note for note in data.notes if note.startswith("warning:")]


def test_the_slot_a_meeting_left_keeps_the_series_length(write_files) -> None:
    series = event("s1", ":20260302T100000Z", "RRULE:FREQ=WEEKLY;COUNT=3", end=":20260302T110000Z")
    moved = event(  # moved and shortened to 30 minutes
        "s1",
        ":20260311T150000Z",
        "RECURRENCE-ID:20260309T100000Z",
        "SEQUENCE:1",
        end=":20260311T153000Z",
    )
    folder = write_files({"ann.ics": calendar(series, moved)})
    found = slots(read_format(folder))
    assert found["s1/20260309T100000Z"] == ("rescheduled", at(9, 10), at(9, 11))
    assert found["s1/20260309T100000Z/moved"] == ("scheduled", at(11, 15), at(11, 15, 30))


def test_the_slot_a_real_exchange_occurrence_left_keeps_its_length(shared: Path) -> None:
    # recurr_id_dtstart_missmatch.ics: a monthly series, second Wednesday 13:00-14:00 Eastern;
    # the 13 April 2022 occurrence (RECURRENCE-ID 13:00) was moved to 10:30-11:30
    from momentum.importers.ics import Calendars
    from momentum.importers.problems import ProblemLog

    calendars = Calendars(ProblemLog())
    calendars.read(shared / "data/real/ics/icalevents/recurr_id_dtstart_missmatch.ics")
    found = calendars.meetings(datetime(2026, 3, 10, tzinfo=UTC))
    left = [m for m in found if m.status == "rescheduled"]
    assert [(m.start, m.end) for m in left] == [
        # 13:00-14:00 EDT, as the series has it, not the 30 minutes of a meeting without end
        (
            datetime(2022, 4, 13, 17, 0, tzinfo=UTC),
            datetime(2022, 4, 13, 18, 0, tzinfo=UTC),
        )
    ]
    moved = [m for m in found if m.meeting_id == f"{left[0].meeting_id}/moved"]
    assert [(m.start, m.end) for m in moved] == [
        (
            datetime(2022, 4, 13, 14, 30, tzinfo=UTC),
            datetime(2022, 4, 13, 15, 30, tzinfo=UTC),
        )
    ]


def test_an_all_day_event_without_a_length_lasts_a_day(write_files) -> None:
    folder = write_files(
        {
            "ann.ics": calendar(
                event("same", ";VALUE=DATE:20260303", end=";VALUE=DATE:20260303"),
                event("none", ";VALUE=DATE:20260304"),
            )
        }
    )
    found = slots(read_format(folder, default_timezone="Europe/Berlin"))
    # midnight to midnight in the owner's zone (Berlin, UTC+1 in March)
    assert found["same"] == ("held", at(2, 23), at(3, 23))
    assert found["none"] == ("held", at(3, 23), at(4, 23))


def test_a_long_series_keeps_the_occurrences_nearest_the_as_of(write_files) -> None:
    # daily since 2020, no end: far more than the cap up to 90 days after the as-of
    series = event("s1", ":20200106T090000Z", "RRULE:FREQ=DAILY", end=":20200106T093000Z")
    folder = write_files({"ann.ics": calendar(series)})
    data = read_format(folder)  # as of 10 March 2026, 12:00
    starts = data.meetings["start"].sort()
    assert starts.len() == MAX_OCCURRENCES
    # up to 90 days after the as-of, and 910 before it (10 March's at 09:00 is before)
    assert starts[-1] == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    assert starts[0] == at(10, 9) - timedelta(days=909)
    assert (
        "1 recurring series was expanded up to 2026-06-08 (90 days after the latest event "
        "start or today, whichever is later); 1 of them had more than 1,000 occurrences: the "
        "1,000 nearest to 2026-03-10 were kept"
    ) in data.notes


def test_a_broken_component_beside_the_events_is_skipped_with_a_warning(write_files) -> None:
    no_tzid = BERLIN_ZONE.format(tzid="")
    free_busy = (
        "BEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTART:20260301T000000Z\r\nDTEND:20260302T000000Z\r\n"
        "FREEBUSY:20260301T120000Z/20260301T100000Z\r\nEND:VFREEBUSY\r\n"
    )
    text = calendar(event("m1", ":20260302T150000Z"), extra=no_tzid + free_busy)
    folder = write_files({"ann.ics": text})
    data = read_format(folder)
    assert list(meetings_of(data)) == ["m1"]
    lines = text.splitlines()
    zone_line = lines.index("BEGIN:VTIMEZONE") + 1
    free_busy_line = lines.index("BEGIN:VFREEBUSY") + 1
    assert [note for note in data.notes if note.startswith("warning:")] == [
        f"warning: {folder}/ann.ics:{zone_line}:VTIMEZONE: cannot be read (mandatory TZID not "
        "found); it was skipped",
        f"warning: {folder}/ann.ics:{free_busy_line}:VFREEBUSY: cannot be read (Start time is "
        "greater than end time); it was skipped",
    ]


def test_a_real_icloud_export_with_an_impossible_offset(shared: Path) -> None:
    # icloud.ics: its Europe/Berlin VTIMEZONE (line 133) has TZOFFSETFROM:+5328; the events
    # then take Europe/Berlin from the zone database
    from momentum.importers.ics import Calendars
    from momentum.importers.problems import ProblemLog

    path = shared / "data/real/ics/icalevents/icloud.ics"
    calendars = Calendars(ProblemLog())
    calendars.read(path)
    assert calendars.warnings == [
        f"{path}:133:VTIMEZONE: cannot be read (Offset must be less than 24 hours, was +5328); "
        "it was skipped"
    ]
    found = calendars.meetings(datetime(2026, 3, 10, tzinfo=UTC))
    # line 245-247: 2016-11-03 18:00-18:30 in Berlin (CET) is 17:00 UTC
    first = [m for m in found if m.start == datetime(2016, 11, 3, 17, 0, tzinfo=UTC)]
    assert [m.end for m in first] == [datetime(2016, 11, 3, 17, 30, tzinfo=UTC)]


def test_a_split_series_goes_into_the_store_and_imports_again_unchanged(
    database: Database, write_files
) -> None:
    series = event("s1", ":20260302T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4", end=":20260302T110000Z")
    split = event(
        "s1",
        ":20260316T140000Z",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20260316T100000Z",
        "SEQUENCE:1",
        end=":20260316T150000Z",
    )
    folder = write_files({"ann.ics": calendar(series, split)})
    counts = []
    for _ in range(2):
        summary = import_files(
            database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
        )
        counts.append({t: (c["inserted"], c["updated"]) for t, c in summary.counts.items()})
    assert counts[0]["meetings"] == (5, 0)  # 2 March, 9 March, the moved 16th and its slot, 23rd
    assert counts[1]["meetings"] == (0, 0)
    with database.unit_of_work(write=False) as session:
        stored = {m.id: (m.status.value, m.start_at) for m in session.scalars(select(Meeting))}
    assert stored["s1/20260323T100000Z"] == ("scheduled", at(23, 14))


def test_a_series_by_the_minute_keeps_its_first_occurrences(write_files) -> None:
    series = event("s1", ":19700101T090000Z", "RRULE:FREQ=MINUTELY", end=":19700101T090100Z")
    folder = write_files({"ann.ics": calendar(series)})
    data = read_format(folder)
    starts = data.meetings["start"].sort()
    assert (starts.len(), starts[0]) == (MAX_OCCURRENCES, datetime(1970, 1, 1, 9, 0, tzinfo=UTC))
    assert (
        f"warning: {folder}/ann.ics:5:RRULE: repeats by the hour or more often; only its first "
        "1,000 occurrences are imported"
    ) in data.notes


def test_series_at_the_ends_of_the_calendar_give_no_traceback(write_files) -> None:
    first = event("s1", ":00010101T100000Z", "RRULE:FREQ=YEARLY")
    last = event("s2", ":99991231T100000Z", "RRULE:FREQ=DAILY")
    folder = write_files({"ann.ics": calendar(first, last)})
    data = read_format(folder)
    # the yearly one cut near the as-of, then to the instants the store accepts (1900..2200)
    assert data.meetings.height == 300
    assert (data.meetings["start"].min(), data.meetings["start"].max()) == (
        datetime(1900, 1, 1, 10, 0, tzinfo=UTC),
        datetime(2199, 1, 1, 10, 0, tzinfo=UTC),
    )
    outside = (
        "DTSTART: is outside the accepted range of instants (from 1900-01-01T00:00Z up to, not "
        "including, 2200-01-01T00:00Z); "
    )
    assert f"warning: {folder}/ann.ics:5:{outside}700 of its occurrences were left out" in (
        data.notes
    )
    assert f"warning: {folder}/ann.ics:13:{outside}the event was left out" in data.notes
    assert MAX_OCCURRENCES == 1_000
