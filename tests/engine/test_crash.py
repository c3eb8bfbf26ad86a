"""The crash test: 1,000 due reminders; the worker process is killed with SIGKILL 20 times,
at random moments and right inside a send, and restarted. Every reminder arrives; a message
that arrives twice carries the same Message-ID both times."""

from __future__ import annotations

import os
import random
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
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.reminder.models import Reminder, ReminderStatus
from momentum.rules.config import read_config
from momentum.runtime import Engine
from tests.engine.conftest import SmtpServer, engine_settings
from tests.engine.test_races import LOCK_IN, book_many
from tests.waiting import wait_until

MEETINGS = 500  # two reminders each: 1,000 reminders (and 500 invitations)
KILLS = 20
ALWAYS_OPEN = (
    "[calendar]\nweekend = []\nquiet_hours_start = 00:00:00\nquiet_hours_end = 00:00:00\n"
    "[reminders]\nsend_at = 00:00:00\n"
)


def _wait_for_count(smtp_server: SmtpServer, count: int) -> bool:
    return wait_until(lambda: smtp_server.count() >= count, 60)


def _wait_for_exit(worker: subprocess.Popen[bytes]) -> bool:
    return wait_until(lambda: worker.poll() is not None, 60)


@pytest.mark.slow
def test_sigkill_twenty_times_loses_nothing_and_resends_with_the_same_message_id(
    sqlite_database: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(ALWAYS_OPEN)
    now = datetime.now(UTC)
    # meeting two tomorrow at 23:00 UTC: both reminders (yesterday and today at 00:00) are due
    start = datetime.combine(now.date() + timedelta(days=1), clock_time(23, 0), tzinfo=UTC)
    settings = engine_settings(sqlite_database, smtp_server, rules_file=rules)
    engine = Engine(
        settings,
        database=sqlite_database,
        clock=FixedClock(now - timedelta(days=10)),
        config=read_config(rules, settings),
    )
    book_many(
        sqlite_database, engine, MEETINGS, lock_in=LOCK_IN.model_copy(update={"start": start})
    )
    with sqlite_database.unit_of_work(write=False) as session:
        expected = {
            f"<{row.key}@example.test>"
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind != MessageKind.INVITATION)
            )
        }
    assert len(expected) == 2 * MEETINGS

    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "MOMENTUM_DATABASE_URL": sqlite_database.url,
        "MOMENTUM_SMTP_HOST": smtp_server.host,
        "MOMENTUM_SMTP_PORT": str(smtp_server.port),
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_RULES_FILE": str(rules),
        "MOMENTUM_WORKER_LEASE_SECONDS": "1",
        "MOMENTUM_WORKER_BATCH_SIZE": "25",
    }
    rng = random.Random(20)
    current: dict[str, subprocess.Popen[bytes] | None] = {"worker": None}
    kill_inside_send = threading.Event()

    def kill_during_send(raw: bytes) -> None:
        worker = current["worker"]
        if kill_inside_send.is_set() and worker is not None:
            kill_inside_send.clear()
            os.kill(worker.pid, signal.SIGKILL)  # the server has the message; no reply yet

    smtp_server.inbox.on_message = kill_during_send

    def start(round_: int) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "momentum",
                "worker",
                "--poll",
                "0.05",
                "--no-sweep",
                "--worker-id",
                f"crash-{round_}",
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        current["worker"] = worker
        return worker

    inside = 0
    for round_ in range(KILLS):
        worker = start(round_)
        before = smtp_server.count()
        target = before + rng.randint(1, 60)
        if round_ % 2 == 0:
            inside += 1
            assert _wait_for_count(smtp_server, target - 1)
            kill_inside_send.set()
            assert _wait_for_exit(worker), "the worker was not killed"
        else:
            assert _wait_for_count(smtp_server, target)
            worker.send_signal(signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
        worker.stdout.close()  # type: ignore[union-attr]
        worker.stderr.close()  # type: ignore[union-attr]

    worker = start(KILLS)
    received = lambda: {i for i in smtp_server.message_ids() if i in expected}  # noqa: E731
    assert wait_until(lambda: received() == expected, 120), "reminders were lost"
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()
    assert b"stopped" in out

    counts = Counter(smtp_server.message_ids())
    resent = {message_id: n for message_id, n in counts.items() if n > 1}
    # each kill inside a send leaves one message delivered but not marked: it goes again,
    # under the same Message-ID; no kill can cause more than one resend
    assert inside <= sum(n - 1 for n in resent.values()) <= KILLS
    for message_id in resent:
        copies = [m for m in smtp_server.messages if str(m["Message-ID"]).strip() == message_id]
        assert len({str(m["Subject"]) for m in copies}) == 1
        assert {str(m["X-Momentum-Key"]) for m in copies} == {message_id[1:].split("@")[0]}
    with sqlite_database.unit_of_work(write=False) as session:
        statuses = Counter(row.status for row in session.scalars(select(OutboxMessage)))
        assert statuses == {MessageStatus.SENT: 3 * MEETINGS}
        assert {r.status for r in session.scalars(select(Reminder))} == {ReminderStatus.SENT}
