"""The digest arrives once per manager and week, by email (aiosmtpd) and Slack (a loopback
receiver), with two `momentum worker` processes sweeping and sending at once, both killed
with SIGKILL while the first digest is being sent, then restarted. A message the server got
twice carries the same Message-ID (or Slack idempotency key) both times: one digest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from momentum.db.engine import Database
from momentum.dispatch.channels.slack import KEY_HEADER
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from tests.engine.conftest import SlackReceiver, SmtpServer
from tests.review.team import make_team
from tests.waiting import wait_until

MANAGERS = {"maya@seller.test", "sam@seller.test"}


def _digests_settled(database: Database) -> bool:
    with database.unit_of_work(write=False) as session:
        statuses = [
            m.status
            for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DIGEST)
            )
        ]
    return len(statuses) == 4 and all(s is MessageStatus.SENT for s in statuses)


def test_one_digest_per_manager_with_two_workers_killed_mid_send(
    database: Database, smtp_server: SmtpServer, slack_receiver: SlackReceiver, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        make_team(session)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")},
        "MOMENTUM_DATABASE_URL": database.url,
        "MOMENTUM_SMTP_HOST": smtp_server.host,
        "MOMENTUM_SMTP_PORT": str(smtp_server.port),
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_SLACK_WEBHOOK_URL": slack_receiver.url,
        "MOMENTUM_PUBLIC_URL": "http://127.0.0.1:8000",
        "MOMENTUM_DIGEST_SEND_AT": "00:00",  # due whatever the day this test runs
        "MOMENTUM_WORKER_LEASE_SECONDS": "1",
        "MOMENTUM_WORKER_SWEEP_SECONDS": "0.2",
    }
    workers: dict[str, subprocess.Popen[bytes]] = {}

    logs = tmp_path / "workers.log"

    def start(name: str) -> None:
        with logs.open("ab") as log:  # the child keeps its own copy of the descriptor
            workers[name] = subprocess.Popen(
                [sys.executable, "-m", "momentum", "worker", "--poll", "0.05", "--worker-id", name],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    killed: list[int] = []

    def kill_inside_the_first_digest(raw: bytes) -> None:
        if killed or b"X-Momentum-Key: digest." not in raw:
            return
        for worker in workers.values():  # the sender is one of them: it has no reply yet
            os.kill(worker.pid, signal.SIGKILL)
            killed.append(worker.pid)

    smtp_server.inbox.on_message = kill_inside_the_first_digest
    try:
        start("first")
        start("second")
        assert wait_until(lambda: bool(killed), step=0.05), (
            f"no digest was sent: {logs.read_text()}"
        )
        for worker in workers.values():
            assert worker.wait(30) == -signal.SIGKILL
        start("first")  # restarted under the same names; the leases run out after a second
        start("second")
        assert wait_until(lambda: _digests_settled(database), step=0.05), logs.read_text()
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers.values():
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    digests = [m for m in smtp_server.messages if str(m["X-Momentum-Key"]).startswith("digest.")]
    ids_by_recipient: dict[str, set[str]] = defaultdict(set)
    for message in digests:
        ids_by_recipient[str(message["To"])].add(str(message["Message-ID"]))
    assert set(ids_by_recipient) == MANAGERS
    assert all(len(ids) == 1 for ids in ids_by_recipient.values()), ids_by_recipient
    assert len(digests) >= 3  # the one being sent when the workers died came again
    body = digests[0].get_body(("plain",))
    assert body is not None and "booked on the spot" in body.get_content()
    assert "http://127.0.0.1:8000/review?week=" in body.get_content()

    slack_keys = [
        headers[KEY_HEADER]
        for _, headers in slack_receiver.posts
        if "digest." in headers[KEY_HEADER]
    ]
    assert len(set(slack_keys)) == 2
    texts = [
        post["text"] for post, headers in slack_receiver.posts if "digest." in headers[KEY_HEADER]
    ]
    assert all("your team's week" in text for text in texts)
