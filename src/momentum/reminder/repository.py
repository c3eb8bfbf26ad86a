from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from momentum.db.bulk import update_row
from momentum.meeting.models import Meeting
from momentum.outbox.models import MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus

_REMINDER = cast(Table, Reminder.__table__)


class ReminderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, reminder_id: int) -> Reminder | None:
        return self.session.get(Reminder, reminder_id)

    def settle(self, reminder_id: int, **values: Any) -> None:
        """Write what became of a reminder whose message was being sent (one plain UPDATE)."""
        update_row(self.session, _REMINDER, "id", reminder_id, values)

    def for_meeting(self, meeting_id: str) -> list[Reminder]:
        return list(
            self.session.scalars(
                select(Reminder).where(Reminder.meeting_id == meeting_id).order_by(Reminder.due_at)
            )
        )

    def sent_to_in_chain(self, ical_uid: str, kind: ReminderKind) -> set[str]:
        """Everyone a reminder of ``kind`` went to, for a meeting of the chain ``ical_uid``
        (the meeting and the ones it was moved from)."""
        rows = self.session.scalars(
            select(OutboxMessage.recipients)
            .join(Reminder, Reminder.id == OutboxMessage.reminder_id)
            .join(Meeting, Meeting.id == Reminder.meeting_id)
            .where(
                Meeting.ical_uid == ical_uid,
                Reminder.kind == kind,
                OutboxMessage.status == MessageStatus.SENT,
            )
        )
        return {address for recipients in rows for address in recipients}

    def add(self, reminder: Reminder) -> Reminder:
        self.session.add(reminder)
        self.session.flush()
        return reminder

    def withdraw_pending(self, meeting_id: str, *, reason: str, now: datetime) -> list[int]:
        ids = list(
            self.session.scalars(
                select(Reminder.id).where(
                    Reminder.meeting_id == meeting_id, Reminder.status == ReminderStatus.PENDING
                )
            )
        )
        if ids:
            self.session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids))
                .values(status=ReminderStatus.WITHDRAWN, status_reason=reason, updated_at=now)
                .execution_options(synchronize_session="fetch")
            )
        return ids
