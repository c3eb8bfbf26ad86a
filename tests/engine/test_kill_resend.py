"""At least once, with the Message-ID as idempotency key: killing the worker (SIGKILL) right
inside a send, again and again, loses nothing and resends at most the one message that was in
hand at each kill, under the same Message-ID. On SQLite and PostgreSQL, against aiosmtpd on
loopback; bounded (8 kills, a few seconds each)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.outbox.models import MessageStatus, OutboxMessage
from momentum.rules.config import read_config
from momentum.runtime import Engine
from tests.engine.conftest import _MESSAGE_ID, SmtpServer, engine_settings
from tests.engine.test_crash import ALWAYS_OPEN
from tests.engine.test_races import LOCK_IN, book_many
from tests.waiting import wait_until

MEETINGS = 30  # an invitation and two reminders each: 90 messages
KILLS = 8
WORKER = [sys.executable, "-m", "momentum", "worker", "--poll", "0.05", "--no-sweep"]


@pytest.mark.slow
def test_each_kill_inside_a_send_resends_only_the_message_in_hand(
    database: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(ALWAYS_OPEN)
    now = datetime.now(UTC)
    start = datetime.combine(now.date() + timedelta(days=1), clock_time(23, 0), tzinfo=UTC)
    settings = engine_settings(database, smtp_server, rules_file=rules)
    engine = Engine(
        settings,
        database=database,
        clock=FixedClock(now - timedelta(days=10)),
        config=read_config(rules, settings),
    )
    book_many(database, engine, MEETINGS, lock_in=LOCK_IN.model_copy(update={"start": start}))
    with database.unit_of_work(write=False) as session:
        expected = {f"<{key}@example.test>" for key in session.scalars(select(OutboxMessage.key))}
    assert len(expected) == 3 * MEETINGS

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")},
        "MOMENTUM_DATABASE_URL": database.url,
        "MOMENTUM_SMTP_HOST": smtp_server.host,
        "MOMENTUM_SMTP_PORT": str(smtp_server.port),
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_RULES_FILE": str(rules),
        "MOMENTUM_WORKER_LEASE_SECONDS": "1",
        "MOMENTUM_WORKER_BATCH_SIZE": "10",
    }
    current: dict[str, subprocess.Popen[bytes] | None] = {"worker": None}
    armed = threading.Event()
    in_hand: list[str] = []  # the Message-ID the server held, unanswered, at each kill

    def kill_inside_send(raw: bytes) -> None:
        worker = current["worker"]
        if armed.is_set() and worker is not None:
            armed.clear()
            found = _MESSAGE_ID.search(raw.split(b"\r\n\r\n", 1)[0])
            in_hand.append(found.group(1).decode() if found else "")
            os.kill(worker.pid, signal.SIGKILL)  # the server has the message; no reply yet

    smtp_server.inbox.on_message = kill_inside_send

    def start(round_: int) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [*WORKER, "--worker-id", f"kill-{round_}"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        current["worker"] = worker
        return worker

    for round_ in range(KILLS):
        worker = start(round_)
        target = smtp_server.count() + 1 + round_ % 5  # a few messages in, then the next one
        assert wait_until(lambda: smtp_server.count() >= target - 1, 60), "the worker sent nothing"  # noqa: B023
        armed.set()
        assert worker.wait(60) == -signal.SIGKILL
    assert len(in_hand) == KILLS

    smtp_server.inbox.on_message = None
    worker = start(KILLS)
    assert wait_until(lambda: set(smtp_server.message_ids()) >= expected, 120), "messages were lost"
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0

    counts = Counter(smtp_server.message_ids())
    assert set(counts) == expected
    # each message arrives once, plus once for each kill that found it in hand: no kill
    # causes more than one resend, and only of the message in hand
    kills = Counter(in_hand)
    assert {m: n - 1 for m, n in counts.items() if n > 1} == dict(kills)
    for message_id in kills:  # the same message both times, not only the same Message-ID
        copies = [m for m in smtp_server.messages if str(m["Message-ID"]).strip() == message_id]
        assert len({(str(m["Subject"]), str(m["To"])) for m in copies}) == 1
    with database.unit_of_work(write=False) as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
        assert statuses == {MessageStatus.SENT: 3 * MEETINGS}
