"""Putting messages in the outbox (in the caller's unit of work) and managing failed ones."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.outbox.models import Channel, MessageKind, MessageStatus, OutboxMessage
from momentum.outbox.repository import OutboxRepository
from momentum.user.models import Role
from momentum.user.schemas import Actor


class OutboxService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.messages = OutboxRepository(session)

    def enqueue(
        self,
        *,
        key: str,
        channel: Channel,
        kind: MessageKind,
        recipients: Sequence[str],
        payload: dict[str, Any],
        due_at: datetime | None = None,
        deal_id: str | None = None,
        meeting_id: str | None = None,
        reminder_id: int | None = None,
    ) -> OutboxMessage:
        """One message, sent after this unit of work commits (and never if it rolls back)."""
        now = self.clock.now()
        return self.messages.add(
            OutboxMessage(
                key=key,
                channel=channel,
                kind=kind,
                recipients=list(recipients),
                payload=payload,
                deal_id=deal_id,
                meeting_id=meeting_id,
                reminder_id=reminder_id,
                status=MessageStatus.PENDING,
                due_at=due_at or now,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )

    def enqueue_once(self, rows: Sequence[dict[str, Any]]) -> int:
        """Messages whose key may already be queued (alerts): the first wins, the rest are
        dropped. Each row names the same fields as :meth:`enqueue`."""
        now = self.clock.now()
        full = [
            {
                "status": MessageStatus.PENDING,
                "attempts": 0,
                "due_at": now,
                "created_at": now,
                "updated_at": now,
                "deal_id": None,
                "meeting_id": None,
                "reminder_id": None,
                **row,
            }
            for row in rows
        ]
        return self.messages.add_if_absent(full)

    def withdraw(
        self,
        *,
        reason: str,
        meeting_id: str | None = None,
        reminder_ids: Collection[int] = (),
        kinds: Collection[MessageKind] = (),
    ) -> int:
        return self.messages.withdraw_pending(
            now=self.clock.now(),
            reason=reason,
            meeting_id=meeting_id,
            reminder_ids=reminder_ids,
            kinds=kinds,
        )

    def retry(self, actor: Actor, message_id: int) -> OutboxMessage:
        """Send a failed message again, from now on, with a fresh count of attempts."""
        _require_admin(actor)
        message = self.messages.get(message_id)
        if message is None:
            raise NotFound(f"no outbox message {message_id}")
        if message.status != MessageStatus.FAILED:
            raise Conflict(f"message {message_id} is {message.status}, not failed")
        now = self.clock.now()
        message.status = MessageStatus.PENDING
        message.attempts = 0
        message.due_at = now
        message.lease_owner = None
        message.lease_expires_at = None
        message.updated_at = now
        self.session.flush()
        return message

    def recent(
        self, actor: Actor, *, statuses: Collection[MessageStatus] = (), limit: int = 100
    ) -> list[OutboxMessage]:
        """The newest messages of every deal: an administrator's view."""
        _require_admin(actor)
        return self.messages.list(statuses=statuses, limit=limit)

    def counts(self, actor: Actor) -> dict[MessageStatus, int]:
        _require_admin(actor)
        return self.messages.counts()


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only an administrator sees and retries the outbox")
