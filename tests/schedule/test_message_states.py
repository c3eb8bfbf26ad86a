"""A message's time on the deal page: when it is due while queued, else when it went, failed
or was withdrawn (a withdrawn reminder showed its due time, in the future)."""

from __future__ import annotations

from datetime import UTC, datetime

from momentum.outbox.models import Channel, MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.schedule.states import Delivery, meeting_message_states

WITHDRAWN_AT = datetime(2026, 12, 6, 12, 45, tzinfo=UTC)
DUE = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)


def test_a_withdrawn_message_shows_when_it_was_withdrawn() -> None:
    invitation = OutboxMessage(
        key="inv",
        channel=Channel.EMAIL,
        kind=MessageKind.INVITATION,
        recipients=["buyer@acme.test"],
        payload={},
        status=MessageStatus.WITHDRAWN,
        due_at=DUE,
        created_at=WITHDRAWN_AT,
        updated_at=WITHDRAWN_AT,
    )
    value = Reminder(
        kind=ReminderKind.VALUE,
        status=ReminderStatus.WITHDRAWN,
        due_at=DUE,
        updated_at=WITHDRAWN_AT,
    )
    confirmation = Reminder(
        kind=ReminderKind.CONFIRMATION, status=ReminderStatus.PENDING, due_at=DUE
    )
    states = meeting_message_states([invitation], [value, confirmation])
    assert [(s.delivery, s.at) for s in states] == [
        (Delivery.WITHDRAWN, WITHDRAWN_AT),
        (Delivery.WITHDRAWN, WITHDRAWN_AT),
        (Delivery.QUEUED, DUE),
    ]
