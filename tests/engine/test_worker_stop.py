"""SIGTERM stops the worker cleanly: the message in hand is finished, the rest of the claimed
batch is handed back at once (another worker sends it without waiting for the lease), and
the worker exits 0. Against a slow SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
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
from tests.engine.conftest import SmtpServer, engine_settings
from tests.engine.test_crash import ALWAYS_OPEN
from tests.engine.test_races import LOCK_IN, book_many
from tests.waiting import wait_until

MEETINGS = 10  # an invitation and two reminders each: 30 messages, one batch


def _worker_env(database: Database, smtp: SmtpServer, rules: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")},
        "MOMENTUM_DATABASE_URL": database.url,
        "MOMENTUM_SMTP_HOST": smtp.host,
        "MOMENTUM_SMTP_PORT": str(smtp.port),
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_RULES_FILE": str(rules),
        "MOMENTUM_WORKER_LEASE_SECONDS": "600",  # a lease nobody waits out in this test
        "MOMENTUM_WORKER_BATCH_SIZE": "100",
    }


def _statuses(database: Database) -> Counter[tuple[MessageStatus, str | None]]:
    with database.unit_of_work(write=False) as session:
        return Counter(
            (row.status, row.lease_owner) for row in session.scalars(select(OutboxMessage))
        )


def test_sigterm_finishes_the_message_in_hand_and_hands_the_batch_back(
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
    total = sum(_statuses(database).values())
    assert total == 3 * MEETINGS

    smtp_server.inbox.on_message = lambda _raw: time.sleep(0.5)  # a slow server
    env = _worker_env(database, smtp_server, rules)
    worker = subprocess.Popen(
        [sys.executable, "-m", "momentum", "worker", "--no-sweep", "--worker-id", "first"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: smtp_server.count() > 0, 60)
    assert smtp_server.count() >= 1, "the worker sent nothing"
    worker.send_signal(signal.SIGTERM)  # while the server is still answering a message
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "SIGTERM: finishing the message in hand" in err
    assert "Traceback" not in err

    sent = smtp_server.count()
    assert 1 <= sent <= 2  # the one in hand (and at most one that began before the signal)
    statuses = _statuses(database)
    assert statuses == {
        (MessageStatus.SENT, None): sent,
        (MessageStatus.PENDING, None): total - sent,  # handed back: nobody holds them
    }
    assert f"{total - sent} handed back" in out

    # another worker takes them at once: no lease to wait out
    smtp_server.inbox.on_message = None
    began = time.monotonic()
    second = subprocess.run(
        [sys.executable, "-m", "momentum", "worker", "--once", "--no-sweep"],
        env={**env, "MOMENTUM_WORKER_LEASE_SECONDS": "600"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - began < 60
    ids = smtp_server.message_ids()
    assert len(ids) == total and len(set(ids)) == total  # every message once
    assert _statuses(database) == {(MessageStatus.SENT, None): total}


def test_a_busy_store_is_one_warning_a_round_and_the_worker_carries_on(
    sqlite_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock past the busy timeout: the round is logged
    in one line (no traceback) and the worker tries again after the poll interval."""
    url = f"{sqlite_database.url}?timeout=0.1"
    busy = Database(url, migrate=False)
    engine = Engine(engine_settings(busy), database=busy)
    dispatcher = engine.dispatcher(worker_id="w", channels={})
    holder = sqlite3.connect(sqlite_database.url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    stop = threading.Event()
    try:
        with caplog.at_level(logging.WARNING, logger="momentum.dispatch"):
            runner = threading.Thread(
                target=dispatcher.run, args=(stop,), kwargs={"poll_seconds": 0.05}
            )
            runner.start()
            time.sleep(0.6)
            stop.set()
            runner.join(10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        busy.dispose()
    assert not runner.is_alive()
    records = [r for r in caplog.records if r.name == "momentum.dispatch"]
    assert len(records) >= 2  # it kept trying
    assert all(r.exc_info is None for r in records)
    assert records[0].getMessage() == (
        f"the store {sqlite_database.url.removeprefix('sqlite:///')} is busy: another process "
        "held its write lock for more than the busy timeout (0.1 s); try again when it has "
        "finished; trying again after the poll interval"
    )
