"""Real parts for the engine's tests: an SMTP server and a Slack webhook receiver on loopback,
a fixed clock, and a small world (rep, manager, deal with a buyer contact, a value asset)."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.rules.config import EngineConfig
from momentum.runtime import Engine

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class _Inbox:
    """What the server received, raw; parsed only when a test looks at the messages."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.received_at: list[float] = []  # time.monotonic() when each arrived
        self.parsed: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.on_message: Any = None  # called with each raw message before the server answers

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.raw.append(envelope.content)
            self.received_at.append(time.monotonic())
        if self.on_message is not None:
            self.on_message(envelope.content)
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox

    def count(self) -> int:
        with self.inbox.lock:
            return len(self.inbox.raw)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.inbox.lock:
            for raw in self.inbox.raw[len(self.inbox.parsed) :]:
                parsed = email.message_from_bytes(raw, policy=email.policy.default)
                self.inbox.parsed.append(parsed)  # type: ignore[arg-type]
            return list(self.inbox.parsed)

    def message_ids(self) -> list[str]:
        with self.inbox.lock:
            raws = list(self.inbox.raw)
        ids = []
        for raw in raws:
            found = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
            ids.append(found.group(1).decode() if found else "")
        return ids

    def received(self) -> list[tuple[EmailMessage, float]]:
        """Each message with the ``time.monotonic()`` at which it arrived."""
        messages = self.messages
        with self.inbox.lock:
            return list(zip(messages, self.inbox.received_at, strict=True))

    def clear(self) -> None:
        with self.inbox.lock:
            self.inbox.raw.clear()
            self.inbox.parsed.clear()
            self.inbox.received_at.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp(handler: Any, **smtp_options: Any) -> tuple[Controller, int]:
    """aiosmtpd on a free loopback port (its controller cannot start on port 0); options go
    to its SMTP server (TLS, authentication)."""
    for _ in range(5):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_options)
        try:
            controller.start()
        except OSError:
            continue
        return controller, port
    raise RuntimeError("no free port for the SMTP server")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = _Inbox()
    controller, port = start_smtp(inbox)
    try:
        yield SmtpServer(host="127.0.0.1", port=port, inbox=inbox)
    finally:
        controller.stop()


@dataclass
class SlackReceiver:
    url: str
    posts: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def slack_receiver() -> Iterator[SlackReceiver]:
    receiver = SlackReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.posts.append((json.loads(body), dict(self.headers.items())))
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok" if receiver.status == 200 else b"no")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# A Wednesday in March, 10:00 UTC: no holidays near it in the countries the tests use.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def engine_settings(
    database: Database, smtp: SmtpServer | None = None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "mail_from": "Momentum <momentum@example.test>",
        "smtp_host": smtp.host if smtp else "127.0.0.1",
        "smtp_port": smtp.port if smtp else 1,
        "smtp_timeout_seconds": 5,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def make_engine(database: Database, clock: FixedClock):  # type: ignore[no-untyped-def]
    engines: list[Engine] = []

    def build(
        smtp: SmtpServer | None = None, config: EngineConfig | None = None, **overrides: Any
    ) -> Engine:
        engine = Engine(
            engine_settings(database, smtp, **overrides),
            database=database,
            clock=clock,
            config=config,
        )
        engines.append(engine)
        return engine

    return build
