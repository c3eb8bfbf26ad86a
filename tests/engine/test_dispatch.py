"""Sending, with a real SMTP server and a real HTTP receiver on loopback, and a moving clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.dispatch.channels.base import PermanentFailure, SlackPost, TemporaryFailure
from momentum.dispatch.channels.slack import KEY_HEADER
from momentum.errors import PermissionDenied
from momentum.meeting.models import MeetingStatus
from momentum.next_step.schemas import LockIn
from momentum.outbox.models import Channel, MessageKind, MessageStatus, OutboxMessage
from momentum.outbox.service import OutboxService
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.engine.conftest import NOW, SlackReceiver, SmtpServer, start_smtp
from tests.engine.world import make_world
from tests.factories import make_meeting

ADMIN = Actor.system()
LOCK_IN = LockIn.model_validate(
    {
        "start": "2026-03-10T14:00:00",  # Tuesday 14:00 Berlin = 13:00 UTC
        "minutes": 45,
        "agenda": [
            {"side": "seller", "text": "An ROI model <with> your numbers & ours"},
            {"side": "buyer", "text": "Changeover times"},
        ],
        "buyer_homework": "Invite the plant manager <script>alert(1)</script>",
    }
)


def ics_of(message: EmailMessage) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def event_of(message: EmailMessage):  # type: ignore[no-untyped-def]
    calendar = ics_of(message)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def book(database: Database, engine, lock_in: LockIn = LOCK_IN) -> str:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return str(engine.next_steps(session).lock_in_next_meeting(ADMIN, "D1", lock_in).meeting.id)


@pytest.fixture
def world(database: Database):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return make_world(session)


def test_booking_sends_an_invitation_then_the_reminders_at_their_time(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    book(database, engine)
    report = dispatcher.drain()
    assert report.sent == 1  # only the invitation is due
    [invite] = smtp_server.messages
    assert invite["To"] == "buyer@acme.test"
    assert invite["From"] == "Ana Rep via Momentum <momentum@example.test>"
    assert invite["Reply-To"] == "ana@seller.test"
    calendar, event = event_of(invite)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:buyer@acme.test"
    uid = str(event["UID"])
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert invite["Message-ID"].strip() == f"<{row.key}@example.test>"
        assert row.status is MessageStatus.SENT and row.attempts == 1

    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # Friday 09:00 Berlin
    assert dispatcher.drain().sent == 1
    value = smtp_server.messages[-1]
    assert value["Subject"] == "Before we meet on Tuesday: What plants like yours saved"
    text, html = body(value, "plain"), body(value, "html")
    assert "Three plants cut changeover time by 31 % in a quarter." in text
    assert "https://example.test/changeover" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # the buyer's text is escaped
    assert "<script>alert(1)</script>" in text  # plain text stays as typed

    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))  # Monday, the business day before
    assert dispatcher.drain().sent == 1
    confirmation = smtp_server.messages[-1]
    assert confirmation["Subject"] == (
        "Confirmed for Tuesday: Acme Tools · follow-up with Ana Rep — the agenda and what to bring"
    )
    text, html = body(confirmation, "plain"), body(confirmation, "html")
    assert "We bring:\n  - An ROI model <with> your numbers & ours" in text
    assert "You bring:\n  - Changeover times" in text
    assert "An ROI model &lt;with&gt; your numbers &amp; ours" in html
    assert "Tuesday 10 March 2026, 14:00–14:45 CET (Europe/Berlin)" in text
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 3
    with database.unit_of_work(write=False) as session:
        assert {r.status for r in session.scalars(select(Reminder))} == {ReminderStatus.SENT}
    assert uid.startswith("momentum-")


def test_reschedule_sends_the_update_with_the_same_uid_and_a_higher_sequence(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)
    dispatcher.drain()
    with database.unit_of_work() as session:
        engine.meetings(session).reschedule(ADMIN, meeting_id, start=datetime(2026, 3, 12, 10, 0))
    dispatcher.drain()
    first, update = smtp_server.messages
    (_, original), (calendar, moved) = event_of(first), event_of(update)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(moved["UID"]) == str(original["UID"])
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    assert update["Subject"] == (
        "Moved: Acme Tools · follow-up with Ana Rep — Thu 12 Mar, 10:00 CET (Europe/Berlin) "
        "(was Tue 10 Mar, 14:00 CET (Europe/Berlin))"
    )
    assert "meeting on Tuesday 10 March 2026, 14:00–14:45 CET (Europe/Berlin) has moved" in body(
        update, "plain"
    )
    assert update["Message-ID"] != first["Message-ID"]
    with database.unit_of_work(write=False) as session:  # why, in the rep's zone (was UTC)
        reasons = {r.status_reason for r in session.scalars(select(Reminder)) if r.status_reason}
    assert reasons == {"the meeting moved to Thu 12 Mar, 10:00 CET (Europe/Berlin)"}
    # the old value reminder (Friday) never goes; the new one goes on Tuesday 10th
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    assert dispatcher.drain().sent == 0
    clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    assert dispatcher.drain().sent == 1
    assert "Thursday 12 March 2026, 10:00–10:45" in body(smtp_server.messages[-1], "plain")


def test_a_value_reminder_the_buyer_had_is_not_sent_again_after_a_move(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)  # Tuesday 10 March
    dispatcher.drain()
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # Friday: the value reminder goes
    assert dispatcher.drain().sent == 1
    with database.unit_of_work() as session:  # moved to Thursday 12th, twice
        moved = engine.meetings(session).reschedule(
            ADMIN, meeting_id, start=datetime(2026, 3, 12, 10, 0)
        )
        assert "no value reminder: the buyer had it before the meeting moved" in (
            moved.reminders.skipped
        )
        again = engine.meetings(session).reschedule(
            ADMIN, moved.meeting.id, start=datetime(2026, 3, 13, 10, 0)
        )
        assert [r.kind for r in again.reminders.reminders] == [ReminderKind.CONFIRMATION]
    dispatcher.drain()
    for day in (10, 11, 12):  # the value reminder's new time, and the confirmation's
        clock.set(datetime(2026, 3, day, 8, 0, tzinfo=UTC))
        dispatcher.drain()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sum(s.startswith("Before we meet") for s in subjects) == 1
    assert subjects[-1].startswith("Confirmed for Friday: ")  # it names the new time


def test_a_move_the_buyer_never_heard_of_is_not_news_to_them(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)
    with database.unit_of_work() as session:  # moved before the worker sent the invitation
        moved = engine.meetings(session).reschedule(
            ADMIN, meeting_id, start=datetime(2026, 3, 12, 10, 0)
        )
    dispatcher.drain()
    (invitation,) = smtp_server.messages  # the first one was withdrawn
    _, event = event_of(invitation)
    assert int(event["SEQUENCE"]) == 1  # a calendar that has the chain still orders it
    assert invitation["Subject"] == (
        "Acme Tools · follow-up with Ana Rep — Thu 12 Mar, 10:00 CET (Europe/Berlin)"
    )
    assert "as agreed, here is our next meeting" in body(invitation, "plain")
    # moved twice after that invitation, the second move before the first update went out:
    # the update names the time the buyer was sent (the 12th), not the one in between
    with database.unit_of_work() as session:
        again = engine.meetings(session).reschedule(
            ADMIN, moved.meeting.id, start=datetime(2026, 3, 13, 10, 0)
        )
        engine.meetings(session).reschedule(
            ADMIN, again.meeting.id, start=datetime(2026, 3, 16, 10, 0)
        )
    dispatcher.drain()
    update = smtp_server.messages[-1]
    assert len(smtp_server.messages) == 2
    assert update["Subject"] == (
        "Moved: Acme Tools · follow-up with Ana Rep — Mon 16 Mar, 10:00 CET (Europe/Berlin) "
        "(was Thu 12 Mar, 10:00 CET (Europe/Berlin))"
    )


def test_cancel_sends_method_cancel_and_nothing_after_it(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)
    dispatcher.drain()
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, meeting_id)
    dispatcher.drain()
    invite, cancel = smtp_server.messages
    calendar, event = event_of(cancel)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(event_of(invite)[1]["UID"])
    assert int(event["SEQUENCE"]) == 1
    for moment in (datetime(2026, 3, 6, 8, 0, tzinfo=UTC), datetime(2026, 3, 9, 8, 0, tzinfo=UTC)):
        clock.set(moment)
        dispatcher.drain()
    assert len(smtp_server.messages) == 2


def test_a_cancel_before_the_invitation_went_out_sends_nothing(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    meeting_id = book(database, engine)
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, meeting_id)
    report = engine.dispatcher(worker_id="w1").drain()
    assert (report.sent, report.withdrawn) == (0, 1)
    assert smtp_server.messages == []
    with database.unit_of_work(write=False) as session:
        cancel = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLATION)
        ).one()
        assert cancel.status is MessageStatus.WITHDRAWN
        assert cancel.last_error == "no invitation for this meeting had gone out"


def test_nothing_goes_out_for_a_meeting_that_changed_behind_the_plan(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    """The check at send time: the reminder row is still pending, but the meeting (changed
    by an import, say) is not scheduled any more, or has already started."""
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    meeting_id = book(database, engine)
    dispatcher.drain()
    with database.unit_of_work() as session:
        from momentum.meeting.models import Meeting

        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.status = MeetingStatus.CANCELED  # not through the service: no withdrawal
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    report = dispatcher.drain()
    assert (report.sent, report.withdrawn) == (0, 1)
    with database.unit_of_work(write=False) as session:
        value = session.scalars(select(Reminder).where(Reminder.kind == ReminderKind.VALUE)).one()
        assert value.status is ReminderStatus.WITHDRAWN
        assert value.status_reason == "the meeting was canceled"
    assert len(smtp_server.messages) == 1


def test_a_reminder_the_worker_reaches_late_is_withdrawn_once_the_meeting_started(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    book(database, engine)
    clock.set(datetime(2026, 3, 10, 13, 5, tzinfo=UTC))  # the worker was down for days
    report = dispatcher.drain()
    assert (report.sent, report.withdrawn) == (0, 3)
    assert smtp_server.messages == []


def test_quiet_hours_and_weekends_hold_a_late_reminder_back(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    book(database, engine)
    dispatcher.drain()
    # the value reminder was due Friday 09:00; the worker comes back Friday 20:30 Berlin
    clock.set(datetime(2026, 3, 6, 19, 30, tzinfo=UTC))
    report = dispatcher.drain()
    assert (report.sent, report.deferred) == (0, 1)
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.VALUE_REMINDER)
        ).one()
        # not in the evening, not at the weekend: Monday at the end of quiet hours (08:00)
        assert row.due_at == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
        assert row.status is MessageStatus.PENDING
    clock.set(datetime(2026, 3, 7, 10, 0, tzinfo=UTC))  # Saturday
    assert dispatcher.drain().claimed == 0
    clock.set(datetime(2026, 3, 9, 7, 0, tzinfo=UTC))
    assert dispatcher.drain().sent == 1
    assert smtp_server.messages[-1]["Subject"].startswith("Before we meet on Tuesday")
    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))  # the confirmation's own time
    assert dispatcher.drain().sent == 1
    assert smtp_server.messages[-1]["Subject"].startswith("Confirmed for Tuesday")


def test_invitations_updates_and_cancellations_go_at_once_even_on_a_sunday_evening(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    """What docs/reminders.md promises: quiet hours and weekends hold the reminders back, not
    the messages that answer what the rep has just done."""
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    clock.set(datetime(2026, 3, 8, 19, 30, tzinfo=UTC))  # Sunday 20:30 in Berlin
    meeting_id = book(database, engine)
    assert dispatcher.drain().sent == 1  # the invitation, at once
    with database.unit_of_work() as session:
        moved = engine.meetings(session).reschedule(
            ADMIN, meeting_id, start=datetime(2026, 3, 12, 10, 0)
        )
    assert dispatcher.drain().sent == 1  # "Moved: …", at once
    with database.unit_of_work() as session:
        engine.meetings(session).cancel(ADMIN, moved.meeting.id)
    assert dispatcher.drain().sent == 1  # the cancellation, at once
    kinds = [ics_of(m)["METHOD"] for m in smtp_server.messages]
    assert [str(k) for k in kinds] == ["REQUEST", "REQUEST", "CANCEL"]
    assert smtp_server.messages[1]["Subject"].startswith("Moved: ")
    with database.unit_of_work(write=False) as session:  # no reminder went out meanwhile
        assert ReminderStatus.SENT not in {r.status for r in session.scalars(select(Reminder))}


def test_temporary_failures_retry_with_backoff_then_fail_visibly(
    database: Database, make_engine, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(worker_max_attempts=3, worker_retry_seconds=60)  # port 1: refused
    dispatcher = engine.dispatcher(worker_id="w1")
    book(database, engine)
    assert dispatcher.drain().retrying == 1
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert row.status is MessageStatus.PENDING and row.attempts == 1
        assert row.due_at == NOW + timedelta(seconds=60)
        assert row.last_error is not None and "cannot reach SMTP server" in row.last_error
    clock.advance(timedelta(seconds=59))
    assert dispatcher.drain().claimed == 0
    clock.advance(timedelta(seconds=1))
    assert dispatcher.drain().retrying == 1
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert row.due_at == clock.now() + timedelta(seconds=120)  # doubled
    clock.advance(timedelta(seconds=120))
    assert dispatcher.drain().failed == 1
    with database.unit_of_work() as session:
        outbox = OutboxService(session, clock=clock)
        [failed] = outbox.recent(ADMIN, statuses=[MessageStatus.FAILED])
        assert failed.last_error is not None
        assert failed.last_error.startswith("gave up after 3 attempts: cannot reach SMTP server")
        outbox.retry(ADMIN, failed.id)
        with pytest.raises(PermissionDenied):
            outbox.recent(Actor(role=Role.MANAGER, rep_id="mgr"))
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert (row.status, row.attempts) == (MessageStatus.PENDING, 0)


class _Refusing:
    """A channel at the edge: refuses every message for good."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, message: object) -> None:
        raise PermanentFailure("550 mailbox unavailable")


def test_a_permanent_failure_fails_the_message_and_its_reminder(
    database: Database, make_engine, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    dispatcher = engine.dispatcher(worker_id="w1", channels={Channel.EMAIL: _Refusing()})
    book(database, engine)
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
    report = dispatcher.drain()
    assert (report.failed, report.withdrawn) == (2, 0)  # the invitation and the value reminder
    with database.unit_of_work(write=False) as session:
        value = session.scalars(select(Reminder).where(Reminder.kind == ReminderKind.VALUE)).one()
        assert value.status is ReminderStatus.FAILED
        assert value.status_reason == "550 mailbox unavailable"


def test_a_real_smtp_refusal_is_permanent(
    database: Database, make_engine, smtp_server: SmtpServer, world
) -> None:  # type: ignore[no-untyped-def]
    from momentum.dispatch.channels.smtp import SmtpSender

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 no such user"

    controller, port = start_smtp(Refuse())
    try:
        sender = SmtpSender(host="127.0.0.1", port=port)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@b.test", "c@d.test", "x"
        message.set_content("x")
        with pytest.raises(PermanentFailure, match="550"):
            sender.send(message)
        sender.close()
    finally:
        controller.stop()


def test_a_crashed_workers_claims_are_taken_over_when_the_lease_runs_out(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock, world
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server, worker_lease_seconds=30)
    book(database, engine)
    crashed = engine.dispatcher(worker_id="crashed")
    assert len(crashed.claim()) == 1  # ... and then it died before sending
    survivor = engine.dispatcher(worker_id="survivor")
    assert survivor.drain().claimed == 0
    clock.advance(timedelta(seconds=30))
    assert survivor.drain().sent == 1
    # the dead worker, restarted under its name, finds nothing left to send
    assert crashed.drain().sent == 0
    assert len(smtp_server.messages) == 1


def test_slack_and_email_alerts(
    database: Database,
    make_engine,
    smtp_server: SmtpServer,
    slack_receiver: SlackReceiver,
    clock: FixedClock,
    world,
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server, slack_webhook_url=slack_receiver.url)
    with database.unit_of_work() as session:
        make_meeting(
            session, deal=world.deal, start=NOW - timedelta(hours=2), status=MeetingStatus.HELD
        )
    engine.sweep()
    engine.dispatcher(worker_id="w1").drain()
    [(post, headers)] = [p for p in slack_receiver.posts if "Acme" in p[0]["text"]]
    assert post["text"].startswith(
        ":triangular_flag_on_post: *Acme Tools* — Meeting two not booked:"
    )
    assert headers[KEY_HEADER].startswith("alert.flag.")
    [alert] = [m for m in smtp_server.messages if "Acme" in str(m["Subject"])]
    assert alert["Subject"] == "Meeting two not booked: Acme Tools"
    assert alert["To"] == "ana@seller.test, maya@seller.test"
    assert "Task for Ana Rep: Book meeting two with Acme Tools" in body(alert, "plain")
    # a task falling due alerts once, however many sweeps see it
    clock.set(datetime(2026, 3, 5, 9, 31, tzinfo=UTC))
    for _ in range(3):
        engine.sweep()
    engine.dispatcher(worker_id="w1").drain()
    due = [p for p, _ in slack_receiver.posts if p["text"].startswith(":alarm_clock:")]
    assert len([p for p in due if "Acme" in p["text"]]) == 1


def test_slack_user_text_is_escaped_and_errors_are_classified(
    slack_receiver: SlackReceiver,
) -> None:
    from momentum.dispatch.templates import Templates

    text = Templates().render_slack(
        "alert",
        {
            "topic": "flagged",
            "deal_label": "<!channel> & co",
            "rule_title": "Stalled",
            "reason": "r",
            "task": None,
            "owner_name": None,
            "owner_id": "x",
        },
    )
    assert "&lt;!channel&gt; &amp; co" in text
    from momentum.dispatch.channels.slack import SlackSender

    sender = SlackSender(webhook_url=slack_receiver.url)
    slack_receiver.status = 503
    with pytest.raises(TemporaryFailure, match="503"):
        sender.send(SlackPost(key="k1", body={"text": "x"}))
    slack_receiver.status = 404
    with pytest.raises(PermanentFailure, match="404"):
        sender.send(SlackPost(key="k1", body={"text": "x"}))
    sender.close()


def test_a_manager_can_override_a_template(
    database: Database, make_engine, smtp_server: SmtpServer, tmp_path: Path, world
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "invitation.subject.txt").write_text(
        "Our next step, {{ deal_label }}: {{ when_short }}"
    )
    engine = make_engine(smtp_server, templates_dir=tmp_path)
    book(database, engine)
    engine.dispatcher(worker_id="w1").drain()
    [invite] = smtp_server.messages
    assert invite["Subject"] == "Our next step, Acme Tools: Tue 10 Mar, 14:00 CET (Europe/Berlin)"
    assert "As agreed, here is our next meeting" in body(invite, "html")  # the rest built in


def test_a_broken_template_fails_the_message_with_the_reason(
    database: Database, make_engine, smtp_server: SmtpServer, tmp_path: Path, world
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "invitation.txt").write_text("Hello {{ no_such_thing.name }}")
    engine = make_engine(smtp_server, templates_dir=tmp_path)
    book(database, engine)
    assert engine.dispatcher(worker_id="w1").drain().failed == 1
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).one()
        assert row.status is MessageStatus.FAILED and row.last_error is not None
        assert row.last_error.startswith("template error: 'no_such_thing' is undefined")
