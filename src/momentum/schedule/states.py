"""What became of the messages around a booked meeting, as a rep reads it: the invitation,
the value reminder and the confirmation, each queued, sent, failed or withdrawn."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus


class Delivery(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    NOT_PLANNED = "not planned"


_FROM_MESSAGE = {
    MessageStatus.PENDING: Delivery.QUEUED,
    MessageStatus.SENT: Delivery.SENT,
    MessageStatus.FAILED: Delivery.FAILED,
    MessageStatus.WITHDRAWN: Delivery.WITHDRAWN,
}
_FROM_REMINDER = {
    ReminderStatus.PENDING: Delivery.QUEUED,
    ReminderStatus.SENT: Delivery.SENT,
    ReminderStatus.FAILED: Delivery.FAILED,
    ReminderStatus.WITHDRAWN: Delivery.WITHDRAWN,
}
KIND_LABEL = {
    MessageKind.INVITATION: "Invitation",
    MessageKind.CANCELLATION: "Cancellation",
    MessageKind.VALUE_REMINDER: "Value reminder",
    MessageKind.CONFIRMATION: "Confirmation",
    MessageKind.ALERT: "Alert",
}


def delivery_of(message: OutboxMessage) -> Delivery:
    return _FROM_MESSAGE[message.status]


@dataclass
class MessageState:
    label: str
    delivery: Delivery
    at: datetime | None  # when it is due (queued), or went, failed or was withdrawn
    detail: str | None = None  # why it failed or was withdrawn


def meeting_message_states(
    messages: Iterable[OutboxMessage], reminders: Iterable[Reminder]
) -> list[MessageState]:
    """The invitation (the latest for the meeting), then the value reminder and the
    confirmation, for one meeting's messages and reminders."""
    invitations = [m for m in messages if m.kind is MessageKind.INVITATION]
    states: list[MessageState] = []
    if invitations:
        latest = invitations[-1]
        delivery = delivery_of(latest)
        states.append(
            MessageState(
                label="Invitation",
                delivery=delivery,
                at=(
                    latest.due_at
                    if delivery is Delivery.QUEUED
                    else latest.sent_at or latest.updated_at
                ),
                detail=latest.last_error,
            )
        )
    else:
        states.append(MessageState("Invitation", Delivery.NOT_PLANNED, None))
    by_kind = {r.kind: r for r in reminders}
    for kind, label in (
        (ReminderKind.VALUE, "Value reminder"),
        (ReminderKind.CONFIRMATION, "Confirmation"),
    ):
        reminder = by_kind.get(kind)
        if reminder is None:
            states.append(MessageState(label, Delivery.NOT_PLANNED, None))
            continue
        delivery = _FROM_REMINDER[reminder.status]
        states.append(
            MessageState(
                label=label,
                delivery=delivery,
                # when it is due while queued; else when it went, failed or was withdrawn
                at=reminder.due_at if delivery is Delivery.QUEUED else reminder.updated_at,
                detail=reminder.status_reason,
            )
        )
    return states
