"""The dispatcher: claim due messages, send each, mark it. Durable, shareable, restartable.

1. **Claim** (one short unit of work): take up to ``batch_size`` due messages that nobody holds
   or whose holder's lease ran out, and write our name and a lease on them. PostgreSQL uses
   ``FOR UPDATE SKIP LOCKED`` so several workers take disjoint rows; SQLite has one writer.
2. **Send** (one unit of work per message): lock the message's meeting (shared) and the
   message row, check it is still ours and still pending, ask the composer whether it may
   still go (the meeting not canceled, moved or past; the reminder not withdrawn; business
   hours), send it, and mark it sent, all before that unit of work commits. A cancel waits on
   the meeting lock until a send in progress is finished, or is seen by it.
3. A crash between the send and the commit leaves the row claimed: when the lease runs out
   it is claimed and sent again, with the same Message-ID (the message's idempotency key),
   so the receiver can tell. Delivery is at least once: a kill can resend at most the one
   message in hand, and the window is the SMTP server's final reply to the commit of the
   mark, which follows it at once (everything that can be done before the send is).
   Temporary failures retry with exponential backoff; permanent ones, and temporary ones
   past ``max_attempts``, end ``failed`` with the reason.
4. Asked to stop (``stop`` set: SIGTERM, Ctrl-C, ``serve`` shutting down), the dispatcher
   finishes the message in hand and hands the rest of its claimed batch back at once, so
   another worker need not wait for the lease to run out.
"""

from __future__ import annotations

import logging
import threading
import time as timer
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jinja2 import TemplateError
from polars.exceptions import PanicException
from sqlalchemy import text
from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.db.engine import Database
from momentum.dispatch.channels.base import (
    DeliveryError,
    PermanentFailure,
    Sender,
    TemporaryFailure,
)
from momentum.dispatch.compose import BatchLookup, Composer
from momentum.errors import StoreError
from momentum.meeting.models import Meeting
from momentum.meeting.repository import MeetingRepository
from momentum.outbox.models import Channel, MessageStatus, OutboxMessage
from momentum.outbox.repository import OutboxRepository
from momentum.outbox.schemas import Defer, Send, Withdraw
from momentum.reminder.models import Reminder, ReminderStatus
from momentum.reminder.repository import ReminderRepository

# A bug must not stop the worker. A panic inside Polars (the weekly review behind the
# digests reads frames) reaches Python as a BaseException, so it is named beside Exception.
BUGS = (Exception, PanicException)

log = logging.getLogger("momentum.dispatch")

MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    withdrawn: int = 0
    deferred: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # no longer ours (sent, withdrawn, or re-claimed meanwhile)
    released: int = 0  # handed back unsent when asked to stop

    def add(self, other: DispatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RetryPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.first_delay * (2 ** max(attempts - 1, 0))
        return min(delay, MAX_BACKOFF)


@dataclass
class _Outcome:
    """What happened to a message (a ``DispatchReport`` field name), and the values its row
    and its reminder's row take."""

    name: str
    message: dict[str, Any]
    reminder: dict[str, Any] = field(default_factory=dict)


def _finished(status: MessageStatus, reason: str | None) -> dict[str, Any]:
    return {"status": status, "last_error": reason, "lease_owner": None, "lease_expires_at": None}


def _released(*, due: datetime, note: str) -> dict[str, Any]:
    """Back in the queue, due again at ``due``."""
    return {"due_at": due, "last_error": note, "lease_owner": None, "lease_expires_at": None}


@dataclass
class Dispatcher:
    database: Database
    composer: Composer
    channels: Mapping[Channel, Sender]
    clock: Clock
    worker_id: str
    lease: timedelta = timedelta(seconds=60)
    batch_size: int = 100
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def claim(self) -> list[tuple[int, str | None]]:
        now = self.clock.now()
        with self.database.unit_of_work() as session:
            return OutboxRepository(session).claim(
                worker=self.worker_id, now=now, lease_until=now + self.lease, limit=self.batch_size
            )

    def run_once(self, stop: threading.Event | None = None) -> DispatchReport:
        """Claim one batch and deliver it; once ``stop`` is set, hand the rest back."""
        report = DispatchReport()
        claimed = self.claim()
        report.claimed = len(claimed)
        if not claimed:
            return report
        lookup = BatchLookup()
        with self.database.unit_of_work(write=False) as session:
            lookup.prefetch(session, [m for _, m in claimed if m is not None])
        try:
            for index, (message_id, meeting_id) in enumerate(claimed):
                if stop is not None and stop.is_set():
                    report.released = self.release([m for m, _ in claimed[index:]])
                    break
                outcome = self.deliver(message_id, meeting_id, lookup)
                setattr(report, outcome, getattr(report, outcome) + 1)
        finally:
            for sender in self.channels.values():
                sender.close()
        return report

    def release(self, message_ids: list[int]) -> int:
        """Hand claimed, unsent messages back to the queue; how many were still ours."""
        with self.database.unit_of_work() as session:
            return OutboxRepository(session).release(message_ids, worker=self.worker_id)

    def drain(
        self, *, max_batches: int = 1_000_000, stop: threading.Event | None = None
    ) -> DispatchReport:
        """Deliver batches until nothing is due or ``stop`` is set (tests, benchmarks,
        ``worker --once``)."""
        total = DispatchReport()
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            report = self.run_once(stop)
            total.add(report)
            if report.claimed == 0:
                break
        return total

    def deliver(
        self, message_id: int, meeting_id: str | None, lookup: BatchLookup | None = None
    ) -> str:
        """Check, send and mark one claimed message; the name of what happened."""
        with self.database.unit_of_work() as session:
            if self.database.dialect == "postgresql":
                # The mark is written after the message went out: if PostgreSQL itself loses
                # this commit in a crash, the message is sent again with the same Message-ID,
                # the same promise a crashed worker gives. So the commit need not wait for
                # the disk.
                session.execute(text("SET LOCAL synchronous_commit = off"))
            meeting = (
                MeetingRepository(session).lock(meeting_id, shared=True) if meeting_id else None
            )
            outbox = OutboxRepository(session)
            locked = outbox.lock_for_sending(message_id, worker=self.worker_id)
            if locked is None:
                return "skipped"
            message, reminder = locked
            with session.no_autoflush:
                outcome = self._check_and_send(session, message, meeting, reminder, lookup)
            # Written as plain updates; the loaded objects are left as read.
            outbox.settle(message.id, **outcome.message, updated_at=self.clock.now())
            if reminder is not None and outcome.reminder:
                ReminderRepository(session).settle(reminder.id, **outcome.reminder)
            return outcome.name

    def _check_and_send(
        self,
        session: Session,
        message: OutboxMessage,
        meeting: Meeting | None,
        reminder: Reminder | None,
        lookup: BatchLookup | None,
    ) -> _Outcome:
        attempts = message.attempts
        try:
            prepared = self.composer.prepare(session, message, meeting, reminder, lookup)
            decision = prepared.decision
            if isinstance(decision, Withdraw):
                return _Outcome(
                    "withdrawn",
                    _finished(MessageStatus.WITHDRAWN, decision.reason),
                    self._reminder_ends(reminder, ReminderStatus.WITHDRAWN, decision.reason),
                )
            if isinstance(decision, Defer):
                return _Outcome("deferred", _released(due=decision.until, note=decision.reason))
            assert isinstance(decision, Send) and prepared.outgoing is not None
            sender = self.channels.get(message.channel)
            if sender is None:
                raise PermanentFailure(f"no {message.channel} channel is configured")
            attempts += 1
            sender.send(prepared.outgoing)
        except TemporaryFailure as failure:
            return self._temporary(message, attempts, failure, reminder)
        except PermanentFailure as failure:
            return self._failed(message, attempts, failure.reason, reminder)
        except TemplateError as error:
            return self._failed(message, attempts, f"template error: {error}", reminder)
        except BUGS as error:  # the row shows it
            log.exception("message %s could not be prepared or sent", message.key)
            unexpected = TemporaryFailure(f"{type(error).__name__}: {error}")
            return self._temporary(message, attempts, unexpected, reminder)
        now = self.clock.now()
        sent = {
            "status": MessageStatus.SENT,
            "sent_at": now,
            "attempts": attempts,
            "last_error": None,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if reminder is None:
            return _Outcome("sent", sent)
        reminder_sent = {"status": ReminderStatus.SENT, "status_reason": None, "updated_at": now}
        return _Outcome("sent", sent, reminder_sent)

    # --- outcomes -------------------------------------------------------------------------

    def _reminder_ends(
        self, reminder: Reminder | None, status: ReminderStatus, reason: str
    ) -> dict[str, Any]:
        """A pending reminder ends with its message; one already settled stays as it is."""
        if reminder is None or reminder.status is not ReminderStatus.PENDING:
            return {}
        return {"status": status, "status_reason": reason, "updated_at": self.clock.now()}

    def _temporary(
        self,
        message: OutboxMessage,
        attempts: int,
        failure: DeliveryError,
        reminder: Reminder | None,
    ) -> _Outcome:
        attempts = max(attempts, 1)
        if attempts >= self.retry.max_attempts:
            return self._failed(
                message, attempts, f"gave up after {attempts} attempts: {failure.reason}", reminder
            )
        released = _released(
            due=self.clock.now() + self.retry.delay(attempts),
            note=f"attempt {attempts} failed: {failure.reason}",
        )
        return _Outcome("retrying", {**released, "attempts": attempts})

    def _failed(
        self, message: OutboxMessage, attempts: int, reason: str, reminder: Reminder | None
    ) -> _Outcome:
        log.warning("message %s failed: %s", message.key, reason)
        return _Outcome(
            "failed",
            {**_finished(MessageStatus.FAILED, reason), "attempts": attempts},
            self._reminder_ends(reminder, ReminderStatus.FAILED, reason),
        )

    # --- running --------------------------------------------------------------------------

    def run(
        self,
        stop: threading.Event,
        *,
        poll_seconds: float,
        sweep: Callable[[], object] | None = None,
        sweep_seconds: float = 300.0,
    ) -> DispatchReport:
        """Deliver until ``stop`` is set, running ``sweep`` every ``sweep_seconds``."""
        total = DispatchReport()
        next_sweep = timer.monotonic()
        while not stop.is_set():
            if sweep is not None and timer.monotonic() >= next_sweep:
                try:
                    sweep()
                except BUGS:
                    log.exception("the scheduled rule sweep failed; trying again next time")
                next_sweep = timer.monotonic() + sweep_seconds
            try:
                report = self.run_once(stop)
            except StoreError as error:  # busy, read-only, unreachable: one line, not a trace
                log.warning("%s; trying again after the poll interval", error.message)
                stop.wait(poll_seconds)
                continue
            except BUGS:
                log.exception("a dispatch round failed; trying again after the poll interval")
                stop.wait(poll_seconds)
                continue
            total.add(report)
            if report.claimed < self.batch_size:
                stop.wait(poll_seconds)
        return total


class BackgroundDispatcher:
    """A dispatcher on a daemon thread, for ``momentum serve``: ``start()``, then ``stop()``."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        poll_seconds: float,
        sweep: Callable[[], object] | None = None,
        sweep_seconds: float = 300.0,
    ) -> None:
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self.sweep = sweep
        self.sweep_seconds = sweep_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"momentum-dispatcher-{dispatcher.worker_id}", daemon=True
        )
        self.report = DispatchReport()

    def _run(self) -> None:
        self.report = self.dispatcher.run(
            self._stop,
            poll_seconds=self.poll_seconds,
            sweep=self.sweep,
            sweep_seconds=self.sweep_seconds,
        )

    def start(self) -> BackgroundDispatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the message in hand, then stop."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
