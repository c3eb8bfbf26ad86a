"""A value asset's link reaches buyers' emails: only http and https addresses are taken, at
input with a clear message, and a link that is not one never goes out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.outbox.models import MessageKind, MessageStatus, OutboxMessage
from momentum.value_asset.models import ValueAsset
from momentum.value_asset.schemas import NewValueAsset, is_web_link
from tests.cli_process import momentum
from tests.engine.conftest import SmtpServer
from tests.engine.test_dispatch import book
from tests.engine.world import make_world

REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "mailto:someone@example.test",
    "//example.test/no-scheme",
    "http:/missing-host",
    "https://",
    "https://exa mple.test/",
    "https://example.test/\nBcc: everyone",
    "example.test/page",
]


@pytest.mark.parametrize("url", REFUSED)
def test_only_http_and_https_links_are_taken(url: str) -> None:
    assert not is_web_link(url)
    with pytest.raises(ValidationError, match="must be an http:// or https:// address"):
        NewValueAsset(title="t", kind="insight", summary="s", url=url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["https://example.test/case-study", "http://example.test", "HTTPS://Example.test/a?b=c"]
)
def test_web_links_are_taken(url: str) -> None:
    asset = NewValueAsset(title="t", kind="insight", summary="s", url=url)  # type: ignore[arg-type]
    assert asset.url == url


def test_the_assets_command_refuses_a_javascript_link_in_one_line(tmp_path: Path) -> None:
    env = {"MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    run = momentum(
        "assets",
        "add",
        "--title",
        "Case study",
        "--summary",
        "How Acme did it",
        "--url",
        "javascript:alert(1)",
        cwd=tmp_path,
        env=env,
    )
    assert run.code == 65, run.stderr
    assert run.error_lines == [
        "error: url: the value asset's link must be an http:// or https:// address with a "
        "host, not 'javascript:alert(1)'"
    ]
    # nothing was written, not even an empty store
    listed = momentum("assets", "list", cwd=tmp_path, env=env)
    assert listed.code == 69 and "there is no store at" in listed.stderr


def test_a_stored_link_that_is_not_http_never_reaches_the_buyer(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """A row written before the rule (or by hand): the value reminder fails with the reason
    instead of carrying the link."""
    with database.unit_of_work() as session:
        make_world(session)
        session.execute(update(ValueAsset).values(url="javascript:alert(1)"))
    engine = make_engine(smtp_server)
    dispatcher = engine.dispatcher(worker_id="w1")
    book(database, engine)
    dispatcher.drain()
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # the value reminder is due
    report = dispatcher.drain()
    assert report.failed == 1 and report.sent == 0
    assert all(b"javascript:" not in raw for raw in smtp_server.inbox.raw)
    with database.unit_of_work(write=False) as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.VALUE_REMINDER)
        ).one()
        assert row.status is MessageStatus.FAILED
        assert "links to something other than an http(s) address" in (row.last_error or "")
