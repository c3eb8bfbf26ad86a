"""Concurrency: cancels and reschedules racing the dispatcher, and two workers sharing a queue."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.next_step.schemas import LockIn
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.runtime import Engine
from momentum.user.schemas import Actor
from tests.engine.conftest import SmtpServer, engine_settings
from tests.engine.world import make_asset, make_contact
from tests.factories import make_deal, make_rep

ADMIN = Actor.system()
BOOKED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday
DUE = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # the next Monday: both reminders are due
LOCK_IN = LockIn.model_validate(
    {
        "start": "2026-03-10T14:00:00+00:00",
        "agenda": [{"side": "seller", "text": "ROI"}, {"side": "buyer", "text": "Data"}],
        "buyer_homework": "Read the case study",
    }
)


def book_many(
    database: Database, engine: Engine, count: int, *, lock_in: LockIn = LOCK_IN
) -> list[str]:
    """``count`` deals, each with a booked meeting two; returns the meeting ids."""
    with database.unit_of_work() as session:
        rep = make_rep(session, id="rep", email="rep@seller.test", timezone="UTC")
        make_asset(session)
        for index in range(count):
            deal = make_deal(session, owner=rep, id=f"deal{index:04d}", account=f"Account {index}")
            make_contact(session, deal=deal, email=f"buyer{index}@buyer.test")
    meeting_ids = []
    with database.unit_of_work() as session:
        service = engine.next_steps(session)
        for index in range(count):
            meeting_ids.append(
                service.lock_in_next_meeting(ADMIN, f"deal{index:04d}", lock_in).meeting.id
            )
    return meeting_ids


def reminder_message_ids(database: Database) -> dict[str, str]:
    """Message-ID -> meeting id, for every reminder message."""
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind.in_([MessageKind.VALUE_REMINDER, MessageKind.CONFIRMATION])
            )
        ).all()
        return {f"<{row.key}@example.test>": str(row.meeting_id) for row in rows}


def test_no_reminder_goes_out_after_its_meeting_was_canceled_or_moved(
    database: Database, smtp_server: SmtpServer
) -> None:
    clock = FixedClock(BOOKED_AT)
    engine = Engine(
        engine_settings(database, smtp_server, worker_batch_size=10), database=database, clock=clock
    )
    meetings = book_many(database, engine, 60)
    engine.dispatcher(worker_id="invites").drain()  # the invitations go out first
    smtp_server.clear()
    clock.set(DUE)
    rng = random.Random(5)
    to_cancel = set(rng.sample(meetings, 20))
    to_move = set(rng.sample([m for m in meetings if m not in to_cancel], 20))
    changed_at: dict[str, float] = {}

    def change() -> None:
        for meeting_id in rng.sample(sorted(to_cancel | to_move), len(to_cancel | to_move)):
            with database.unit_of_work() as session:
                if meeting_id in to_cancel:
                    engine.meetings(session).cancel(ADMIN, meeting_id)
                else:
                    engine.meetings(session).reschedule(
                        ADMIN, meeting_id, start=datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
                    )
            changed_at[meeting_id] = time.monotonic()  # after the commit returned
            time.sleep(rng.uniform(0, 0.004))

    dispatcher = engine.dispatcher(worker_id="racer")
    changer = threading.Thread(target=change)
    changer.start()
    dispatcher.drain()
    changer.join()
    dispatcher.drain()

    by_id = reminder_message_ids(database)
    received = [(by_id.get(str(m["Message-ID"]).strip()), at) for m, at in smtp_server.received()]
    late = [
        (meeting_id, at - changed_at[meeting_id])
        for meeting_id, at in received
        if meeting_id in changed_at and at > changed_at[meeting_id]
    ]
    assert late == []
    with database.unit_of_work(write=False) as session:
        for meeting_id in to_cancel:
            statuses = {
                r.status
                for r in session.scalars(select(Reminder).where(Reminder.meeting_id == meeting_id))
            }
            assert statuses <= {ReminderStatus.SENT, ReminderStatus.WITHDRAWN}
        sent = Counter(
            row.meeting_id
            for row in session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status == MessageStatus.SENT,
                    OutboxMessage.kind.in_([MessageKind.VALUE_REMINDER, MessageKind.CONFIRMATION]),
                )
            )
        )
        # every sent row arrived exactly once, and nothing else did
        assert Counter(meeting_id for meeting_id, _ in received if meeting_id) == sent
        untouched = [m for m in meetings if m not in to_cancel and m not in to_move]
        assert all(sent[m] == 2 for m in untouched)
        moved_to = {
            m.id
            for m in session.scalars(
                select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED)
            )
        } - set(meetings)
        # the moved meetings' reminders moved too: to the 10th and the 11th, not due yet;
        # but a value reminder the buyer had before the move is not sent again
        assert len(moved_to) == 20 and all(sent[m] == 0 for m in moved_to)
        pending = Counter(
            r.kind
            for r in session.scalars(
                select(Reminder).where(
                    Reminder.meeting_id.in_(moved_to), Reminder.status == ReminderStatus.PENDING
                )
            )
        )
        had_value = session.scalars(
            select(Reminder).where(
                Reminder.meeting_id.in_(to_move),
                Reminder.kind == ReminderKind.VALUE,
                Reminder.status == ReminderStatus.SENT,
            )
        ).all()
        assert pending == {
            ReminderKind.CONFIRMATION: 20,
            ReminderKind.VALUE: 20 - len(had_value),
        }


@pytest.mark.parametrize("workers", [2])
def test_two_workers_on_postgresql_never_send_a_reminder_twice(
    postgres_url: str | None, smtp_server: SmtpServer, workers: int
) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable")
    setup = Database(postgres_url, migrate=False)
    try:
        clock = FixedClock(BOOKED_AT)
        engine = Engine(engine_settings(setup, smtp_server), database=setup, clock=clock)
        book_many(setup, engine, 200)
        clock.set(DUE)
        dispatchers = []
        for index in range(workers):
            database = Database(postgres_url, migrate=False)
            worker_engine = Engine(
                engine_settings(database, smtp_server, worker_batch_size=10),
                database=database,
                clock=clock,
            )
            dispatchers.append(worker_engine.dispatcher(worker_id=f"pg{index}"))
        reports = [None] * workers

        def run(index: int) -> None:
            reports[index] = dispatchers[index].drain()  # type: ignore[call-overload]

        threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = Counter(smtp_server.message_ids())
        assert len(ids) == 600  # 200 invitations, 200 value reminders, 200 confirmations
        assert max(ids.values()) == 1
        assert all(report.sent > 0 for report in reports)  # type: ignore[attr-defined]
        assert sum(report.sent for report in reports) == 600  # type: ignore[attr-defined]
        for dispatcher in dispatchers:
            dispatcher.database.dispose()
    finally:
        from tests.conftest import _empty_postgres

        _empty_postgres(setup)
        setup.dispose()
