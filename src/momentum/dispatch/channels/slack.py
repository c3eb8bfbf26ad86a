"""Alerts to a Slack incoming webhook (httpx). The idempotency key travels in a header, so a
resend after a crash is recognisable on the receiving side."""

from __future__ import annotations

import httpx

from momentum.dispatch.channels.base import PermanentFailure, SlackPost, TemporaryFailure

KEY_HEADER = "X-Momentum-Idempotency-Key"


class SlackSender:
    def __init__(
        self,
        *,
        webhook_url: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.webhook_url = webhook_url
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.Client | None = None

    def open(self) -> None:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, transport=self.transport)

    def send(self, message: SlackPost) -> None:
        self.open()
        assert self._client is not None
        try:
            response = self._client.post(
                self.webhook_url, json=message.body, headers={KEY_HEADER: message.key}
            )
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"Slack webhook unreachable: {exc}") from exc
        if response.is_success:
            return
        reason = f"Slack webhook answered {response.status_code}: {response.text[:200]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
