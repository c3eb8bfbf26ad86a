"""What a channel is: something that sends one prepared message, or says why it could not."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Protocol


class DeliveryError(Exception):
    """A message could not be delivered; ``reason`` is what the failed state shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """Worth another try later: a server down, busy, or saying 4xx."""


class PermanentFailure(DeliveryError):
    """Another try would fail the same way: a refused address, a 4xx from a webhook."""


@dataclass
class SlackPost:
    key: str
    body: dict[str, Any] = field(default_factory=dict)


Outgoing = Message | SlackPost


class Sender(Protocol):
    """A channel. The dispatcher opens it once per batch and closes it after."""

    def open(self) -> None: ...

    def send(self, message: Any) -> None: ...

    def close(self) -> None: ...
