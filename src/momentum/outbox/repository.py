"""Every query on the outbox: enqueueing, withdrawing, claiming with a lease, locking to send."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from momentum.db.bulk import update_row
from momentum.meeting.models import Meeting
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder

# The sender's statements, built once (building one costs more than running it, at hundreds
# of messages a second).
_LOCK_FOR_SENDING = (
    select(OutboxMessage, Reminder)
    .outerjoin(Reminder, Reminder.id == OutboxMessage.reminder_id)
    .where(OutboxMessage.id == bindparam("message_id"))
    .with_for_update(of=OutboxMessage)
)
_OUTBOX = cast(Table, OutboxMessage.__table__)


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def add(self, message: OutboxMessage) -> OutboxMessage:
        self.session.add(message)
        self.session.flush()
        return message

    def add_if_absent(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert each row whose ``key`` is new; returns how many were inserted."""
        if not rows:
            return 0
        self.session.flush()
        statement: Any
        if self._dialect == "postgresql":
            statement = postgresql.insert(OutboxMessage).on_conflict_do_nothing(
                index_elements=["key"]
            )
        else:
            statement = sqlite.insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
        result = self.session.execute(statement.returning(OutboxMessage.id), list(rows))
        return len(result.all())

    def withdraw_pending(
        self,
        *,
        now: datetime,
        reason: str,
        meeting_id: str | None = None,
        reminder_ids: Collection[int] = (),
        kinds: Collection[MessageKind] = (),
    ) -> int:
        """Withdraw the pending messages of a meeting (optionally only some kinds) or of some
        reminders. Messages already being sent wait on the meeting's lock, so none slips out."""
        conditions = [OutboxMessage.status == MessageStatus.PENDING]
        if meeting_id is not None:
            conditions.append(OutboxMessage.meeting_id == meeting_id)
        if reminder_ids:
            conditions.append(OutboxMessage.reminder_id.in_(list(reminder_ids)))
        if kinds:
            conditions.append(OutboxMessage.kind.in_(list(kinds)))
        if meeting_id is None and not reminder_ids:
            raise ValueError("withdraw_pending needs a meeting or reminders")
        result = self.session.execute(
            update(OutboxMessage)
            .where(*conditions)
            .values(
                status=MessageStatus.WITHDRAWN,
                last_error=reason,
                lease_owner=None,
                lease_expires_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def invitations_sent(self, ical_uid: str) -> list[tuple[Meeting, list[str]]]:
        """The invitations (and updates) that went out for the meeting chain ``ical_uid``,
        newest first: the meeting each named (its time, length and place), and to whom."""
        rows = self.session.execute(
            select(Meeting, OutboxMessage.recipients)
            .join(OutboxMessage, OutboxMessage.meeting_id == Meeting.id)
            .where(
                Meeting.ical_uid == ical_uid,
                OutboxMessage.kind == MessageKind.INVITATION,
                OutboxMessage.status == MessageStatus.SENT,
            )
            .order_by(Meeting.sequence.desc(), OutboxMessage.id.desc())
        )
        return [(meeting, list(recipients)) for meeting, recipients in rows]

    def last_told(self, ical_uid: str) -> dict[str, Meeting]:
        """Everyone an invitation of the chain ``ical_uid`` went to, and the meeting the last
        one they got named: what their calendars show."""
        told: dict[str, Meeting] = {}
        for meeting, sent_to in self.invitations_sent(ical_uid):
            for address in sent_to:
                told.setdefault(address, meeting)
        return told

    def last_invited(self, ical_uid: str, recipients: Iterable[str]) -> Meeting | None:
        """The meeting the last invitation of the chain sent to any of ``recipients`` named;
        ``None``: none went to them. A message's recipients were all told the same (the
        meeting service queues one message per group), so it is what each of them has."""
        wanted = set(recipients)
        return next(
            (
                meeting
                for meeting, sent_to in self.invitations_sent(ical_uid)
                if wanted & set(sent_to)
            ),
            None,
        )

    def claim(
        self, *, worker: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[int, str | None]]:
        """Take up to ``limit`` due messages nobody holds (or whose holder's lease ran out);
        their (id, meeting id).

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows.
        SQLite: the unit of work already holds the single write lock.
        """
        due = (
            select(OutboxMessage.id, OutboxMessage.meeting_id)
            .where(
                OutboxMessage.status == MessageStatus.PENDING,
                OutboxMessage.due_at <= now,
                or_(
                    OutboxMessage.lease_expires_at.is_(None),
                    OutboxMessage.lease_expires_at <= now,
                    OutboxMessage.lease_owner == worker,
                ),
            )
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = [(row[0], row[1]) for row in self.session.execute(due)]
        if claimed:
            self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([message_id for message_id, _ in claimed]))
                .values(lease_owner=worker, lease_expires_at=lease_until)
                .execution_options(synchronize_session=False)
            )
        return claimed

    def release(self, message_ids: Collection[int], *, worker: str) -> int:
        """Hand claimed messages back before their lease runs out (a worker stopping): those
        still pending and still ``worker``'s become claimable by anyone at once."""
        if not message_ids:
            return 0
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(list(message_ids)),
                OutboxMessage.lease_owner == worker,
                OutboxMessage.status == MessageStatus.PENDING,
            )
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def lock_for_sending(
        self, message_id: int, *, worker: str
    ) -> tuple[OutboxMessage, Reminder | None] | None:
        """The message, row-locked, with its reminder (if any), if it is still pending and
        still ``worker``'s; else None (sent meanwhile, withdrawn, or claimed again by another
        worker after our lease). One statement: the reminder needs no lock of its own, as
        every change to it takes its meeting's lock, which the sender holds."""
        found = self.session.execute(_LOCK_FOR_SENDING, {"message_id": message_id}).first()
        if found is None:
            return None
        message, reminder = found
        if message.status != MessageStatus.PENDING or message.lease_owner != worker:
            return None
        return message, reminder

    def settle(self, message_id: int, **values: Any) -> None:
        """Write what became of a message being sent: one plain UPDATE (the unit of work's
        flush of a changed object costs several times as much, per message)."""
        update_row(self.session, _OUTBOX, "id", message_id, values)

    def list(
        self, *, statuses: Collection[MessageStatus] = (), limit: int = 100
    ) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if statuses:
            query = query.where(OutboxMessage.status.in_(list(statuses)))
        return list(self.session.scalars(query))

    def counts(self) -> dict[MessageStatus, int]:
        rows = self.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        return {MessageStatus(status): int(count) for status, count in rows}
