"""Where meeting two happens reaches the invitation, and buyer e-mails name their zone and use
the buyer's where it is known; a reschedule keeps the UID and names the old time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.contact.models import Contact
from momentum.contact.schemas import Attendee
from momentum.db.engine import Database
from momentum.next_step.schemas import LockIn
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderStatus
from momentum.user.schemas import Actor
from tests.engine.conftest import SmtpServer
from tests.engine.test_dispatch import body, event_of
from tests.engine.test_dispatch import book as booked
from tests.engine.world import make_world

ADMIN = Actor.system()
LOCK_IN = LockIn.model_validate(
    {
        "start": "2026-03-10T14:00:00",  # Tuesday 14:00 Berlin = 13:00 UTC = 09:00 New York
        "minutes": 45,
        "agenda": [
            {"side": "seller", "text": "Your ROI model"},
            {"side": "buyer", "text": "Changeover times"},
        ],
        "buyer_homework": "Invite the plant manager",
        "location": "  https://meet.example.test/acme-42 ",
        "attendees": [
            {"email": "buyer@acme.test", "timezone": "America/New_York"},
        ],
    }
)


@pytest.fixture
def world(database: Database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return make_world(session)


def book(database: Database, engine, lock_in: LockIn = LOCK_IN) -> str:  # type: ignore[no-untyped-def]
    """Lock in meeting two on D1 with this file's booking (a place, a buyer in New York)."""
    return booked(database, engine, lock_in)


def booked_and_sent(database: Database, make_engine, smtp_server: SmtpServer):  # type: ignore[no-untyped-def]
    """The engine, its dispatcher and the meeting booked, its invitation sent."""
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)
    dispatcher.drain()
    return engine, dispatcher, meeting_id


def test_the_invitation_carries_the_location_and_the_buyers_zone(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    book(database, engine)
    engine.dispatcher(worker_id="w1").drain()
    [invite] = smtp_server.messages
    _, event = event_of(invite)
    assert str(event["LOCATION"]) == "https://meet.example.test/acme-42"
    assert invite["Subject"] == (
        "Acme Tools · follow-up with Ana Rep — Tue 10 Mar, 09:00 EDT (America/New_York)"
    )
    text = body(invite, "plain")
    assert "Tuesday 10 March 2026, 09:00–09:45 EDT (America/New_York)" in text
    assert "Where: https://meet.example.test/acme-42" in text
    assert '<a href="https://meet.example.test/acme-42">' in body(invite, "html")
    with database.unit_of_work(write=False) as session:
        contact = session.scalars(select(Contact).where(Contact.deal_id == "D1")).one()
        assert contact.timezone == "America/New_York"


def test_without_a_known_buyer_zone_times_are_the_reps_and_say_so(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    book(database, engine, LOCK_IN.model_copy(update={"attendees": [], "location": None}))
    engine.dispatcher(worker_id="w1").drain()
    [invite] = smtp_server.messages
    _, event = event_of(invite)
    assert "LOCATION" not in event
    assert invite["Subject"].endswith("— Tue 10 Mar, 14:00 CET (Europe/Berlin)")
    assert "Where:" not in body(invite, "plain")


def test_buyers_in_two_zones_see_both(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    two = LOCK_IN.model_copy(
        update={
            "attendees": [
                Attendee(email="buyer@acme.test", timezone="America/New_York"),
                Attendee(email="cto@acme.test", timezone="Asia/Kolkata"),
            ]
        }
    )
    book(database, engine, two)
    engine.dispatcher(worker_id="w1").drain()
    [invite] = smtp_server.messages
    text = body(invite, "plain")
    assert "09:00–09:45 EDT (America/New_York)" in text
    assert "18:30–19:15 IST (Asia/Kolkata)" in text


def test_a_reschedule_keeps_the_uid_raises_the_sequence_and_names_the_old_time(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine, dispatcher, meeting_id = booked_and_sent(database, make_engine, smtp_server)
    with database.unit_of_work() as session:
        booking = engine.meetings(session).reschedule(  # longer too: "was" keeps 45 minutes
            ADMIN, meeting_id, start=datetime(2026, 3, 12, 16, 0), minutes=90
        )
        new_id = booking.meeting.id
        assert booking.meeting.location == "https://meet.example.test/acme-42"
    dispatcher.drain()
    first, update = smtp_server.messages
    (_, original), (_, moved) = event_of(first), event_of(update)
    assert str(moved["UID"]) == str(original["UID"])
    assert int(moved["SEQUENCE"]) == int(original["SEQUENCE"]) + 1
    assert str(moved["LOCATION"]) == "https://meet.example.test/acme-42"
    assert update["Subject"] == (
        "Moved: Acme Tools · follow-up with Ana Rep — Thu 12 Mar, 11:00 EDT (America/New_York) "
        "(was Tue 10 Mar, 09:00 EDT (America/New_York))"
    )
    assert "our meeting on Tuesday 10 March 2026, 09:00–09:45 EDT (America/New_York) has moved" in (
        body(update, "plain")
    )
    # a new place for the moved meeting replaces the old one
    with database.unit_of_work() as session:
        moved_again = engine.meetings(session).reschedule(
            ADMIN, new_id, start=datetime(2026, 3, 13, 10, 0), location="Acme HQ, room 4"
        )
        assert moved_again.meeting.location == "Acme HQ, room 4"
        assert moved_again.meeting.sequence == 2


def test_cancelling_withdraws_every_pending_reminder(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    meeting_id = book(database, engine)
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, meeting_id)
    with database.unit_of_work(write=False) as session:
        statuses = {r.status for r in session.scalars(select(Reminder))}
    assert statuses == {ReminderStatus.WITHDRAWN}


def test_an_unknown_zone_for_an_attendee_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Attendee(email="a@b.test", timezone="Mars/Olympus")


def test_someone_added_by_a_move_gets_an_invitation_not_news_of_the_move(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine, dispatcher, meeting_id = booked_and_sent(database, make_engine, smtp_server)
    with database.unit_of_work() as session:
        engine.meetings(session).reschedule(
            ADMIN,
            meeting_id,
            start=datetime(2026, 3, 12, 16, 0),
            attendees=[Attendee(email="cfo@acme.test", timezone="Europe/London")],
        )
    dispatcher.drain()
    _, update, first = smtp_server.messages
    assert update["To"] == "buyer@acme.test" and update["Subject"].startswith("Moved: ")
    assert first["To"] == "cfo@acme.test"
    assert first["Subject"] == (
        "Acme Tools · follow-up with Ana Rep — Thu 12 Mar, 15:00 GMT (Europe/London)"
    )
    assert "as agreed, here is our next meeting" in body(first, "plain")
    (_, moved), (_, invited) = event_of(update), event_of(first)
    assert str(invited["UID"]) == str(moved["UID"]) and int(invited["SEQUENCE"]) == 1
    assert first["Message-ID"] != update["Message-ID"]


def test_a_cancellation_names_the_time_the_buyer_was_sent_and_goes_to_those_invited(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine, dispatcher, meeting_id = booked_and_sent(database, make_engine, smtp_server)
    with database.unit_of_work() as session:  # moved, then called off before the update went
        moved = engine.meetings(session).reschedule(
            ADMIN,
            meeting_id,
            start=datetime(2026, 3, 13, 10, 0),
            attendees=[Attendee(email="cfo@acme.test", timezone="Europe/London")],
        )
        engine.meetings(session).cancel(ADMIN, moved.meeting.id)
    dispatcher.drain()
    _, cancellation = smtp_server.messages  # the update and the newcomer's were withdrawn
    assert cancellation["To"] == "buyer@acme.test"  # the newcomer never had it
    assert cancellation["Subject"] == (
        "Canceled: Acme Tools · follow-up with Ana Rep — Tue 10 Mar, 09:00 EDT (America/New_York)"
    )
    assert "Tuesday 10 March 2026, 09:00–09:45 EDT (America/New_York)" in body(
        cancellation, "plain"
    )
    _, event = event_of(cancellation)
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 2


def test_the_value_reminder_and_the_cancellation_name_every_buyers_zone(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    late = LOCK_IN.model_copy(
        update={
            "start": datetime(2026, 3, 10, 19, 0),  # Tuesday 19:00 Berlin: Wednesday in Tokyo
            "attendees": [
                Attendee(email="buyer@acme.test", timezone="America/New_York"),
                Attendee(email="cto@acme.test", timezone="Asia/Tokyo"),
            ],
        }
    )
    meeting_id = book(database, engine, late)
    dispatcher.drain()
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # the value reminder
    dispatcher.drain()
    value = smtp_server.messages[-1]
    # the two zones do not agree on the day: the subject says which
    assert value["Subject"] == (
        "Before we meet on Tue 10 Mar, 14:00 EDT (America/New_York): What plants like yours saved"
    )
    text = body(value, "plain")
    assert "14:00–14:45 EDT (America/New_York)" in text
    assert "Wednesday 11 March 2026, 03:00–03:45 JST (Asia/Tokyo)" in text
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, meeting_id)
    dispatcher.drain()
    text = body(smtp_server.messages[-1], "plain")
    assert "14:00–14:45 EDT (America/New_York)" in text
    assert "03:00–03:45 JST (Asia/Tokyo)" in text


def test_recipients_told_different_times_each_hear_their_own(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    """The buyer's update failed, the CFO added by the move had the new time: the
    cancellation tells each the time in their calendar, in a message of their own."""
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)  # Tue 10 Mar, 09:00 New York
    dispatcher.drain()
    with database.unit_of_work() as session:
        moved = engine.meetings(session).reschedule(
            ADMIN,
            meeting_id,
            start=datetime(2026, 3, 12, 16, 0),
            attendees=[Attendee(email="cfo@acme.test", timezone="America/New_York")],
        )
        [update] = [
            m
            for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.meeting_id == moved.meeting.id)
            )
            if m.recipients == ["buyer@acme.test"] and m.kind is MessageKind.INVITATION
        ]
        update.status = MessageStatus.FAILED  # as after its last retry
    dispatcher.drain()
    assert [m["To"] for m in smtp_server.messages] == ["buyer@acme.test", "cfo@acme.test"]
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, moved.meeting.id)
    dispatcher.drain()
    to_buyer, to_cfo = smtp_server.messages[2:]
    assert to_buyer["To"] == "buyer@acme.test" and to_cfo["To"] == "cfo@acme.test"
    assert to_buyer["Subject"].endswith("Tue 10 Mar, 09:00 EDT (America/New_York)")
    assert to_cfo["Subject"].endswith("Thu 12 Mar, 11:00 EDT (America/New_York)")


def test_a_cancellation_shows_the_meeting_as_sent_its_length_and_place_too(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)  # 45 minutes at the call link
    dispatcher.drain()
    with database.unit_of_work() as session:  # longer, elsewhere; canceled before it went
        moved = engine.meetings(session).reschedule(
            ADMIN, meeting_id, start=datetime(2026, 3, 12, 16, 0), minutes=90, location="Room 4"
        )
        engine.meetings(session).cancel(ADMIN, moved.meeting.id)
    dispatcher.drain()
    _, cancellation = smtp_server.messages
    text = body(cancellation, "plain")
    assert "Tuesday 10 March 2026, 09:00–09:45 EDT (America/New_York)" in text
    assert "Where: https://meet.example.test/acme-42" in text and "Room 4" not in text
    _, event = event_of(cancellation)
    assert event.decoded("DTEND") == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert str(event["LOCATION"]) == "https://meet.example.test/acme-42"


def test_someone_added_by_a_move_gets_the_value_reminder_the_others_had(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine, dispatcher, meeting_id = booked_and_sent(database, make_engine, smtp_server)
    clock.set(datetime(2026, 3, 6, 14, 0, tzinfo=UTC))  # Friday: the value reminder goes
    assert dispatcher.drain().sent == 1
    with database.unit_of_work() as session:
        engine.meetings(session).reschedule(
            ADMIN,
            meeting_id,
            start=datetime(2026, 3, 12, 16, 0),
            attendees=[Attendee(email="cfo@acme.test", timezone="America/New_York")],
        )
    for day in (9, 10, 11):
        clock.set(datetime(2026, 3, day, 14, 0, tzinfo=UTC))
        dispatcher.drain()
    values = [m["To"] for m in smtp_server.messages if m["Subject"].startswith("Before we meet")]
    assert values == ["buyer@acme.test", "cfo@acme.test"]  # the CFO's, after the move
