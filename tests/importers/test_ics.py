"""Calendars: versions, cancellations, moves, recurrence, zones, and deals by attendee domain."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Contact, Meeting
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from tests.importers.presets import NOW, problems_in, read_format

ANN = "ORGANIZER;CN=Ann Lee:mailto:ann@seller.example"
BUYER = "ATTENDEE;CN=Kim Buyer;PARTSTAT=ACCEPTED:mailto:kim@acme.example"


def calendar(*events: str, method: str = "PUBLISH", extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"METHOD:{method}\r\n{extra}{body}END:VCALENDAR\r\n"
    )


def event(uid: str, start: str, *lines: str, end: str | None = None, people: bool = True) -> str:
    parts = [f"UID:{uid}", "DTSTAMP:20260201T120000Z", f"DTSTART{start}"]
    if end:
        parts.append(f"DTEND{end}")
    if people:
        parts += [ANN, BUYER]
    return "\r\n".join([*parts, *lines])


def meetings_of(data) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    return {row["meeting_id"]: row for row in data.meetings.iter_rows(named=True)}


def test_a_meeting_with_a_buyer_becomes_a_deal_for_the_buyer_s_domain(write_files) -> None:
    folder = write_files(
        {
            "ann.ics": calendar(
                event(
                    "m1",
                    ":20260302T150000Z",
                    "CREATED:20260225T090000Z",
                    "DESCRIPTION:ROI model",
                    end=":20260302T154500Z",
                ),
                event("m2", ":20260312T150000Z", end=":20260312T160000Z"),
                event("internal", ":20260303T150000Z", people=False),
            )
        }
    )
    data = read_format(folder)
    assert data.notes[0] == "detected format: ics (ann.ics)"
    assert data.deals.select("deal_id", "name", "owner_id", "outcome").rows() == [
        ("ics:acme.example", "acme.example", "ann@seller.example", "open")
    ]
    found = meetings_of(data)
    assert found["m1"]["status"] == "held"  # ended before "now" (10 March)
    assert found["m2"]["status"] == "scheduled"
    assert found["m1"]["booked_at"] == datetime(2026, 2, 25, 9, 0, tzinfo=UTC)
    assert found["m1"]["agenda"] == "ROI model"
    assert found["m2"]["booked_at"] is None  # PUBLISH without CREATED: not known
    assert "internal" not in found
    assert data.contacts.rows() == [("ics:acme.example", "Kim Buyer", "kim@acme.example")]
    assert (
        "1 of 3 calendar meetings have no attendee outside your own domains (seller.example); "
        "they were left out"
    ) in data.notes
    assert (
        "1 past calendar meeting was taken as held: a calendar cannot tell a no-show from a "
        "meeting that took place"
    ) in data.notes


def test_a_free_mail_owner_keeps_buyers_on_free_mail_apart(write_files) -> None:
    """A rep on gmail.com made gmail.com "your own domain": every buyer on it was left out
    (all the meetings of two real calendars), and buyers on it would have been one deal."""
    alice = "ORGANIZER;CN=Alice:mailto:alice.sales@gmail.com"

    def met(uid: str, day: str, *buyers: str) -> str:
        lines = [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{buyer}" for buyer in buyers]
        return event(uid, f":202603{day}T150000Z", alice, *lines, people=False)

    folder = write_files(
        {
            "alice.ics": calendar(
                met("bob", "02", "bob.buyer@gmail.com", "alice.sales@gmail.com"),
                met("dan", "03", "dan@gmail.com"),
                met("carol", "04", "carol@acme.example"),
                met("alone", "05", "alice.sales@gmail.com"),
            )
        }
    )
    data = read_format(folder)
    assert sorted(data.deals.select("deal_id", "owner_id").rows()) == [
        ("ics:acme.example", "alice.sales@gmail.com"),
        ("ics:bob.buyer@gmail.com", "alice.sales@gmail.com"),
        ("ics:dan@gmail.com", "alice.sales@gmail.com"),
    ]
    assert sorted(meetings_of(data)) == ["bob", "carol", "dan"]
    assert any("1 of 4 calendar meetings have no attendee outside" in n for n in data.notes)


def test_the_highest_sequence_wins_across_files_and_cancel_cancels(write_files) -> None:
    request = calendar(event("m1", ":20260312T150000Z", "SEQUENCE:0"), method="REQUEST")
    cancel = calendar(
        event("m1", ":20260312T150000Z", "SEQUENCE:1", "DTSTAMP:20260305T100000Z"),
        method="CANCEL",
    ).replace("DTSTAMP:20260201T120000Z\r\n", "")
    folder = write_files({"1.ics": request, "2.ics": cancel})
    found = meetings_of(read_format(folder))
    assert found["m1"]["status"] == "canceled"
    # an invitation's first DTSTAMP is when it was sent: the booking time
    assert found["m1"]["booked_at"] == datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def test_equal_sequences_are_ordered_by_dtstamp(write_files) -> None:
    v1 = calendar(event("m1", ":20260312T150000Z", "SEQUENCE:0", "STATUS:CANCELLED"))
    v2 = calendar(
        event("m1", ":20260312T150000Z", "SEQUENCE:0").replace(
            "DTSTAMP:20260201T120000Z", "DTSTAMP:20260202T120000Z"
        )
    )
    folder = write_files({"b.ics": v2, "a.ics": v1})
    assert meetings_of(read_format(folder))["m1"]["status"] == "scheduled"


def test_a_reply_does_not_replace_the_invitation(write_files) -> None:
    request = calendar(event("m1", ":20260312T150000Z", "SEQUENCE:0"), method="REQUEST")
    reply = calendar(
        event("m1", ":20260401T150000Z", "SEQUENCE:0").replace(
            "DTSTAMP:20260201", "DTSTAMP:20260301"
        ),
        method="REPLY",
    )
    folder = write_files({"1.ics": request, "2.ics": reply})
    found = meetings_of(read_format(folder))
    assert found["m1"]["start"] == datetime(2026, 3, 12, 15, 0, tzinfo=UTC)


def test_an_event_moved_to_another_time_leaves_a_rescheduled_meeting(write_files) -> None:
    first = calendar(event("m1", ":20260305T150000Z", "SEQUENCE:0"), method="REQUEST")
    moved = calendar(
        event("m1", ":20260319T150000Z", "SEQUENCE:1").replace(
            "DTSTAMP:20260201", "DTSTAMP:20260304"
        ),
        method="REQUEST",
    )
    folder = write_files({"1.ics": first, "2.ics": moved})
    found = meetings_of(read_format(folder))
    assert {key: (row["status"], row["start"]) for key, row in found.items()} == {
        "m1/was/20260305T150000Z": ("rescheduled", datetime(2026, 3, 5, 15, 0, tzinfo=UTC)),
        "m1": ("scheduled", datetime(2026, 3, 19, 15, 0, tzinfo=UTC)),
    }


def test_a_series_with_an_exception_a_move_and_a_cancelled_occurrence(write_files) -> None:
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\n"
        "DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
        "DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )
    tz = ';TZID="W. Europe Standard Time":'
    series = event(
        "s1",
        f"{tz}20260302T100000",
        "RRULE:FREQ=WEEKLY;COUNT=5",
        f"EXDATE{tz}20260309T100000",
        "SEQUENCE:0",
        end=f"{tz}20260302T110000",
    )
    moved = event(
        "s1",
        f"{tz}20260318T140000",
        f"RECURRENCE-ID{tz}20260316T100000",
        "SEQUENCE:1",
        "LAST-MODIFIED:20260310T080000Z",
        end=f"{tz}20260318T150000",
    )
    cancelled = event(
        "s1", f"{tz}20260323T100000", f"RECURRENCE-ID{tz}20260323T100000", "STATUS:CANCELLED"
    )
    folder = write_files({"ann.ics": calendar(series, moved, cancelled, extra=zone)})
    data = read_format(folder)
    found = {key: (row["status"], row["start"]) for key, row in meetings_of(data).items()}
    assert found == {
        # 10:00 in Berlin is 09:00 UTC before 29 March
        "s1/20260302T090000Z": ("held", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        # 9 March is an EXDATE
        "s1/20260316T090000Z": ("rescheduled", datetime(2026, 3, 16, 9, 0, tzinfo=UTC)),
        "s1/20260316T090000Z/moved": ("scheduled", datetime(2026, 3, 18, 13, 0, tzinfo=UTC)),
        "s1/20260323T090000Z": ("canceled", datetime(2026, 3, 23, 9, 0, tzinfo=UTC)),
        # after the clocks change on 29 March, 10:00 is 08:00 UTC
        "s1/20260330T080000Z": ("scheduled", datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
    }
    moved_row = meetings_of(data)["s1/20260316T090000Z/moved"]
    assert moved_row["booked_at"] == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # when it moved
    assert data.notes[1].startswith("1 recurring series was expanded up to 2026-06-21")


def test_windows_zone_names_without_a_vtimezone(write_files) -> None:
    folder = write_files(
        {
            "ann.ics": calendar(
                event("m1", ";TZID=Eastern Standard Time:20260302T100000"),
                event("m2", ';TZID="(UTC-05:00) Eastern Time (US & Canada)":20260303T100000'),
            )
        }
    )
    data = read_format(folder)
    found = meetings_of(data)
    assert found["m1"]["start"] == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # America/New_York
    assert found["m2"]["start"] == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    assert (
        f"warning: {folder}/ann.ics:12:DTSTART: time zone '(UTC-05:00) Eastern Time (US & "
        "Canada)' is not known; the UTC offset in its name (-05:00) is used, without daylight "
        "saving time"
    ) in data.notes


def test_floating_and_all_day_times_are_the_owner_s_wall_clock(write_files) -> None:
    folder = write_files(
        {
            "ann.ics": calendar(
                event("floating", ":20260302T100000"),
                event("allday", ";VALUE=DATE:20260303", end=";VALUE=DATE:20260304"),
            )
        }
    )
    found = meetings_of(read_format(folder, default_timezone="Europe/Berlin"))
    assert found["floating"]["start"] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert (found["allday"]["start"], found["allday"]["end"]) == (
        datetime(2026, 3, 2, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 3, 23, 0, tzinfo=UTC),
    )


def test_a_meeting_every_buyer_declined_is_canceled(write_files) -> None:
    declined = event("m1", ":20260302T150000Z").replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED")
    folder = write_files({"ann.ics": calendar(declined)})
    assert meetings_of(read_format(folder))["m1"]["status"] == "canceled"


def test_calendars_of_several_reps_import_together(write_files) -> None:
    shared_event = event("m1", ":20260302T150000Z", "ATTENDEE:mailto:bo@seller.example")
    bo = event("m2", ":20260303T150000Z").replace(ANN, "ORGANIZER:mailto:bo@seller.example")
    folder = write_files(
        {"ann@seller.example.ics": calendar(shared_event), "bo.ics": calendar(shared_event, bo)}
    )
    data = read_format(folder)
    assert sorted(data.meetings["meeting_id"]) == ["m1", "m2"]
    # one deal for Acme, owned by whoever organized its first meeting
    assert data.deals.select("deal_id", "owner_id").rows() == [
        ("ics:acme.example", "ann@seller.example")
    ]


def test_meetings_join_the_deals_of_their_attendees_accounts(write_files, tmp_path: Path) -> None:
    deals = (
        "deal_id,name,account,owner_id,outcome,closed_at\n"
        "d-old,Old,acme.example,ann,won,2026-01-10\n"
        "d-new,New,acme.example,ann,open,\n"
        "d-glob,Globex,Globex Corp,ann,open,\n"
    )
    globex = event("m2", ":20260303T150000Z").replace("kim@acme.example", "hank@globex.example")
    nobody = event("m3", ":20260304T150000Z").replace("kim@acme.example", "x@unknown.example")
    mapping = tmp_path / "domains.toml"
    mapping.write_text('[calendar]\ndomains = { "globex.example" = "Globex Corp" }\n', "utf-8")
    folder = write_files(
        {"deals.csv": deals, "ann.ics": calendar(event("m1", ":20260302T150000Z"), globex, nobody)}
    )
    data = read_format(folder, mapping=mapping)
    assert data.notes[0] == "detected format: ics (ann.ics, deals.csv)"
    found = meetings_of(data)
    assert (found["m1"]["deal_id"], found["m2"]["deal_id"]) == ("d-new", "d-glob")
    assert "m3" not in found
    assert data.deals.height == 3  # no deal is made up when deals are given


def test_an_unreadable_calendar_is_a_clear_problem(write_files) -> None:
    folder = write_files({"bad.ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026\r\n"})
    assert problems_in(folder)[0].startswith("bad.ics: cannot be read as iCalendar: ")


def test_calendar_contacts_go_into_the_store_once(database: Database, write_files) -> None:
    folder = write_files(
        {"ann.ics": calendar(event("m1", ":20260302T150000Z"), event("m2", ":20260305T150000Z"))}
    )
    for _ in range(2):
        summary = import_files(
            database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
        )
    assert summary.counts["contacts"] == {"read": 1, "inserted": 0, "updated": 0}
    with database.unit_of_work(write=False) as session:
        contacts = session.scalars(select(Contact)).all()
        assert [(c.deal_id, c.name, c.email) for c in contacts] == [
            ("ics:acme.example", "Kim Buyer", "kim@acme.example")
        ]
        assert session.get(Meeting, "m1") is not None


def test_a_later_calendar_keeps_the_booking_time_of_an_earlier_one(
    database: Database, write_files
) -> None:
    """Calendars dropped week by week: the invitation in one import, its cancellation in the
    next. The booking time is the same as when both are imported together, not erased."""
    request = calendar(event("m1", ":20260312T150000Z", "SEQUENCE:0"), method="REQUEST")
    cancel = calendar(
        event("m1", ":20260312T150000Z", "SEQUENCE:1", "DTSTAMP:20260305T100000Z"),
        method="CANCEL",
    ).replace("DTSTAMP:20260201T120000Z\r\n", "")
    for name, text in (("1.ics", request), ("2.ics", cancel)):
        import_files(
            database,
            [write_files({name: text}, name)],
            format=None,
            options=ReadOptions(now=NOW),
            clock=FixedClock(NOW),
        )
    with database.unit_of_work(write=False) as session:
        meeting = session.get(Meeting, "m1")
        assert meeting is not None and meeting.status.value == "canceled"
        booked = meeting.booked_at
        assert booked is not None and booked.replace(tzinfo=UTC) == datetime(
            2026, 2, 1, 12, 0, tzinfo=UTC
        )


def test_organizers_are_reps_by_their_e_mail(write_files) -> None:
    reps = "rep_id,email,timezone\nr-ann,ann@seller.example,Europe/Berlin\n"
    bo = event("m2", ":20260303T150000Z").replace(ANN, "ORGANIZER:mailto:bo@seller.example")
    bo = bo.replace("kim@acme.example", "lou@globex.example")
    folder = write_files(
        {"reps.csv": reps, "team.ics": calendar(event("m1", ":20260302T150000Z"), bo)}
    )
    assert problems_in(folder) == [
        # Ann's meeting made a deal owned by r-ann; Bo is no rep of the reps file
        "team.ics:12:ORGANIZER: 'bo@seller.example' is not a rep_id in reps.csv"
    ]


def test_google_s_calendar_zone_places_floating_times(write_files) -> None:
    zone = "X-WR-TIMEZONE:America/New_York\r\n"
    folder = write_files({"ann.ics": calendar(event("m1", ":20260302T100000"), extra=zone)})
    found = meetings_of(read_format(folder, default_timezone="Europe/Berlin"))
    assert found["m1"]["start"] == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York


def test_a_start_given_twice_or_not_a_time_is_said_in_plain_words(write_files) -> None:
    """The warnings quoted Python: "('list' object has no attribute 'dt')"."""
    twice = event("twice", ":20260302T150000Z", "DTSTART:20260303T150000Z")
    garbled = event("garbled", ":next tuesday")
    data = read_format(
        write_files({"ann.ics": calendar(twice, garbled, event("ok", ":20260304T150000Z"))})
    )
    warnings = [note for note in data.notes if "DTSTART" in note]
    assert any("DTSTART: is given more than once; the event was left out" in w for w in warnings)
    assert any("DTSTART: is not a date or time ('next tuesday')" in w for w in warnings), warnings
    assert not any("attribute" in w or "vDDDTypes" in w for w in warnings)
    assert sorted(meetings_of(data)) == ["ok"]
