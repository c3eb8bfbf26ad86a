"""A message that cannot be sent never makes the next one fail, and addresses with non-ASCII
characters go out when the server can take them. Against aiosmtpd on loopback, with and
without SMTPUTF8.

Found in a trial: an invitation to ``üser@exämple.com`` raised ``UnicodeEncodeError`` halfway
through the SMTP transaction, the session was reused, and the next (valid) message failed for
good with "503 nested MAIL command"."""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from momentum.cli import app
from momentum.contact.models import Contact
from momentum.db.engine import Database
from momentum.dispatch.channels.base import PermanentFailure
from momentum.dispatch.channels.smtp import SmtpSender
from momentum.next_step.schemas import LockIn
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.user.schemas import Actor
from tests.engine.conftest import SmtpServer, _Inbox, start_smtp
from tests.engine.test_cli import OPEN, runner
from tests.engine.world import make_world

LOCK_IN = LockIn.model_validate({"start": "2026-03-10T14:00:00", "minutes": 45})


class _Envelopes(_Inbox):
    """The inbox, plus each message's envelope: its recipients, and whether it came with
    SMTPUTF8."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[tuple[list[str], bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((list(envelope.rcpt_tos), "SMTPUTF8" in envelope.mail_options))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(params=[False, True], ids=["plain", "smtputf8"])
def server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    inbox = _Envelopes()
    controller, port = start_smtp(inbox, enable_SMTPUTF8=request.param)
    try:
        yield SmtpServer(host="127.0.0.1", port=port, inbox=inbox)
    finally:
        controller.stop()


def _envelopes(server: SmtpServer) -> list[tuple[list[str], bool]]:
    inbox = server.inbox
    assert isinstance(inbox, _Envelopes)
    return inbox.envelopes


def _message(to: str, n: int) -> Message:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "momentum@example.test", to, "x"
    message["Message-ID"] = f"<n{n}@example.test>"
    message.set_content("hello")
    return message


def _offers_smtputf8(server: SmtpServer) -> bool:
    with smtplib.SMTP(server.host, server.port, timeout=5) as probe:
        probe.ehlo()
        return probe.has_extn("smtputf8")


# --- the channel ----------------------------------------------------------------------------


def test_a_non_ascii_address_is_sent_with_smtputf8_or_fails_alone(server: SmtpServer) -> None:
    utf8 = _offers_smtputf8(server)
    sender = SmtpSender(host=server.host, port=server.port, starttls="off", timeout=5)
    try:
        if utf8:
            sender.send(_message("üser@exämple.com", 1))
        else:
            with pytest.raises(PermanentFailure) as failed:
                sender.send(_message("üser@exämple.com", 1))
            assert failed.value.reason == (
                f"not sent: the SMTP server 127.0.0.1:{server.port} does not accept addresses "
                "with non-ASCII characters (it does not offer SMTPUTF8): üser@exämple.com"
            )
        sender.send(_message("buyer@acme.test", 2))  # the same connection, or a new one
    finally:
        sender.close()
    envelopes = _envelopes(server)
    if utf8:
        assert envelopes == [(["üser@exämple.com"], True), (["buyer@acme.test"], False)]
        assert server.messages[0]["To"] == "üser@exämple.com"  # in UTF-8, not an encoded word
    else:
        assert envelopes == [(["buyer@acme.test"], False)]
    assert server.message_ids()[-1] == "<n2@example.test>"


def test_any_error_halfway_through_a_message_leaves_nothing_for_the_next(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After MAIL FROM, an error no one expected: the next message gets a new session."""
    original = smtplib.SMTP.rcpt
    calls = []

    def rcpt_fails_once(self: smtplib.SMTP, recip: str, options: Any = ()) -> Any:
        calls.append(recip)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return original(self, recip, options)

    monkeypatch.setattr(smtplib.SMTP, "rcpt", rcpt_fails_once)
    sender = SmtpSender(host=smtp_server.host, port=smtp_server.port, starttls="off", timeout=5)
    try:
        with pytest.raises(RuntimeError):
            sender.send(_message("first@acme.test", 1))
        sender.send(_message("second@acme.test", 2))
    finally:
        sender.close()
    assert smtp_server.message_ids() == ["<n2@example.test>"]


# --- the worker -----------------------------------------------------------------------------


def _book(database: Database, engine: Any, deal_id: str) -> None:
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(Actor.system(), deal_id, LOCK_IN)


def _invitations(database: Database) -> dict[str, OutboxMessage]:
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION)
        ).all()
        session.expunge_all()
        return {row.recipients[0]: row for row in rows}


@pytest.mark.parametrize(
    ("buyer", "envelope"),
    [
        ("üser@exämple.com", "üser@xn--exmple-cua.com"),
        ("user@straße.de", "user@xn--strae-oqa.de"),  # IDNA 2008: not strasse.de
    ],
)
def test_the_worker_sends_the_next_message_once_whatever_the_first_did(
    database: Database,
    make_engine: Any,
    server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
    buyer: str,
    envelope: str,
) -> None:
    utf8 = _offers_smtputf8(server)
    with database.unit_of_work() as session:
        make_world(session)
        session.execute(update(Contact).where(Contact.deal_id == "D1").values(email=buyer))
    engine = make_engine(server)
    _book(database, engine, "D1")  # queued first, so sent first
    _book(database, engine, "D2")
    with caplog.at_level(logging.WARNING, logger="momentum.dispatch"):
        report = engine.dispatcher(worker_id="w1").drain()

    rows = _invitations(database)
    assert rows["cfo@globex.test"].status is MessageStatus.SENT
    assert rows["cfo@globex.test"].attempts == 1
    deliverable = utf8 or envelope.isascii()
    assert (report.sent, report.failed) == ((2, 0) if deliverable else (1, 1))
    envelopes = [rcpt for rcpt, _ in _envelopes(server)]
    assert envelopes.count(["cfo@globex.test"]) == 1
    first = rows[buyer]
    if deliverable:
        assert first.status is MessageStatus.SENT
        assert envelopes[0] == [envelope]
        parsed = email.message_from_bytes(server.inbox.raw[0], policy=email.policy.default)
        assert parsed["To"] == envelope
        assert parsed.get_body(preferencelist=("plain",)) is not None
    else:
        assert first.status is MessageStatus.FAILED and first.attempts == 1
        assert first.last_error == (
            f"not sent: the SMTP server 127.0.0.1:{server.port} does not accept addresses "
            f"with non-ASCII characters (it does not offer SMTPUTF8): {envelope}"
        )
        assert len(envelopes) == 1
    # one line each, never a traceback
    assert all(record.exc_info is None for record in caplog.records)


def test_momentum_worker_says_why_in_one_line(
    sqlite_database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The trial, as a user ran it: ``worker --once`` against a server without SMTPUTF8."""
    inbox = _Inbox()
    controller, port = start_smtp(inbox, enable_SMTPUTF8=False)
    smtp_server = SmtpServer(host="127.0.0.1", port=port, inbox=inbox)
    rules = tmp_path / "rules.toml"
    rules.write_text(OPEN)
    with sqlite_database.unit_of_work() as session:
        make_world(session, timezone="UTC", country=None)
    env = {
        "MOMENTUM_DATABASE_URL": sqlite_database.url,
        "MOMENTUM_SMTP_HOST": smtp_server.host,
        "MOMENTUM_SMTP_PORT": str(smtp_server.port),
        "MOMENTUM_SMTP_STARTTLS": "off",
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_RULES_FILE": str(rules),
    }
    start = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%d 10:00")
    for deal, attendee in [("D1", "üser@exämple.com"), ("D2", "dana@globex.test")]:
        result = runner.invoke(
            app, ["meeting", "lock-in", deal, "--start", start, "--attendee", attendee], env=env
        )
        assert result.exit_code == 0, result.output
    try:
        with caplog.at_level(logging.WARNING):
            result = runner.invoke(app, ["worker", "--once"], env=env)
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "dispatch: 1 sent, 0 withdrawn, 0 deferred, 0 to retry, 1 failed" in result.output
    [logged] = caplog.records
    assert logged.exc_info is None and "\n" not in logged.getMessage()
    assert logged.getMessage().endswith(
        "does not accept addresses with non-ASCII characters (it does not offer SMTPUTF8): "
        "üser@xn--exmple-cua.com"
    )
    [sent] = smtp_server.messages
    assert sent["To"] == "cfo@globex.test, dana@globex.test"
