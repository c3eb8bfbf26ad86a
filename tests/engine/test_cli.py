"""The engine's commands, run as a user would: on a store, with a real SMTP server."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from polars.exceptions import PanicException
from typer.testing import CliRunner

from momentum.cli import app
from momentum.contact.models import Contact
from momentum.db.engine import Database
from momentum.dispatch.dispatcher import BackgroundDispatcher
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.outbox.models import MessageKind, OutboxMessage
from momentum.runtime import Engine
from tests.engine.conftest import SmtpServer, engine_settings
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting
from tests.waiting import wait_until

runner = CliRunner()
OPEN = "[calendar]\nweekend = []\nquiet_hours_start = 00:00:00\nquiet_hours_end = 00:00:00\n"


@pytest.fixture
def env(sqlite_database: Database, smtp_server: SmtpServer, tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "rules.toml"
    rules.write_text(OPEN)
    with sqlite_database.unit_of_work() as session:
        world = make_world(session, timezone="UTC", country=None)
        make_meeting(
            session,
            deal=world.deal,
            id="M1",
            start=datetime.now(UTC) - timedelta(hours=3),
            status=MeetingStatus.HELD,
        )
    return {
        "MOMENTUM_DATABASE_URL": sqlite_database.url,
        "MOMENTUM_SMTP_HOST": smtp_server.host,
        "MOMENTUM_SMTP_PORT": str(smtp_server.port),
        "MOMENTUM_MAIL_FROM": "Momentum <momentum@example.test>",
        "MOMENTUM_RULES_FILE": str(rules),
    }


def test_lock_in_then_worker_once_sends_the_invitation(
    env: dict[str, str], smtp_server: SmtpServer
) -> None:
    start = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%d 10:00")
    result = runner.invoke(
        app,
        ["rules", "evaluate"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "meeting_two_not_booked" in result.output
    result = runner.invoke(
        app,
        [
            "meeting",
            "lock-in",
            "D1",
            "--start",
            start,
            "--minutes",
            "45",
            "--seller",
            "ROI model",
            "--buyer",
            "Your numbers",
            "--homework",
            "Invite the CFO",
            "--attendee",
            "Dana Buyer <dana@acme.test>",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "invitation queued" in result.output
    assert "value reminder due" in result.output
    result = runner.invoke(app, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "dispatch: 1 sent" in result.output
    [invite] = smtp_server.messages
    assert invite["To"] == "buyer@acme.test, dana@acme.test"
    result = runner.invoke(app, ["outbox", "list"], env=env)
    assert result.exit_code == 0
    assert "1 sent" in result.output and "2 pending" in result.output


def test_a_worker_without_an_smtp_server_says_where_email_goes(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["worker", "--once", "--no-sweep"], env=env)
    assert result.exit_code == 0, result.output
    assert "no SMTP server is configured" not in result.output
    unset = {**env, "MOMENTUM_SMTP_HOST": None, "MOMENTUM_SMTP_PORT": None}
    result = runner.invoke(app, ["worker", "--once", "--no-sweep"], env=unset)
    assert result.exit_code == 0, result.output
    assert "no SMTP server is configured" in result.output
    assert "emails go to localhost:25" in result.output


def test_bad_input_is_one_line_and_an_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["meeting", "lock-in", "D1", "--start", "tomorrow"], env=env)
    assert result.exit_code == 65
    assert "is not a date and time" in result.output
    result = runner.invoke(app, ["meeting", "cancel", "nope"], env=env)
    assert result.exit_code == 66
    result = runner.invoke(app, ["rules", "evaluate", "--deal", "D1", "--deal", "nope"], env=env)
    assert result.exit_code == 66 and "no deal 'nope'" in result.output
    # a mistyped store path is refused, not made into an empty store that has nothing
    typo = {**env, "MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'nodir' / 'none.db'}"}
    for command in (
        ["meeting", "cancel", "m1"],
        ["outbox", "list"],
        ["rules", "evaluate"],
        ["worker", "--once"],
        ["user", "list"],
        ["user", "set-password", "--email", "a@b.test", "--password-stdin"],
        ["token", "list"],
    ):
        result = runner.invoke(app, command, env=typo, input="a fine password\n")
        assert result.exit_code == 69 and "there is no store at" in result.output, command
    # the rules in force need no store: listed from the rules file, saying none was read
    result = runner.invoke(app, ["rules", "list"], env=typo)
    assert result.exit_code == 0 and "no_show" in result.output
    assert "no setting made in the web app applies" in " ".join(result.output.split())
    assert not (tmp_path / "nodir").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.stalled]\ndays = 0\n")
    result = runner.invoke(app, ["rules", "list"], env={**env, "MOMENTUM_RULES_FILE": str(bad)})
    assert result.exit_code == 78
    assert "[rules.stalled]: days" in result.output
    # a setting left empty is as good as unset; a wrong one is said in plain words
    result = runner.invoke(app, ["rules", "list"], env={**env, "MOMENTUM_DEFAULT_TIMEZONE": ""})
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["rules", "list"], env={**env, "MOMENTUM_DEFAULT_TIMEZONE": "Mars"})
    assert result.exit_code == 78
    assert "MOMENTUM_DEFAULT_TIMEZONE: unknown IANA time zone 'Mars'" in result.output
    assert "Value error" not in result.output
    # but a store's address left empty is refused, not taken as ./momentum.db
    result = runner.invoke(app, ["rules", "evaluate"], env={**env, "MOMENTUM_DATABASE_URL": ""})
    assert result.exit_code == 78 and "MOMENTUM_DATABASE_URL" in result.output
    result = runner.invoke(app, ["outbox", "retry", "12345"], env=env)
    assert result.exit_code == 66


def test_an_imported_meeting_moves_with_the_attendees_given(
    database: Database, tmp_path: Path
) -> None:
    """A meeting imported without a buyer contact: ``meeting reschedule`` takes the people to
    send the update to with ``--attendee``, read as ``meeting lock-in`` reads them."""
    rules = tmp_path / "rules.toml"
    rules.write_text(OPEN)
    with database.unit_of_work() as session:
        world = make_world(session, timezone="UTC", country=None)
        deal = make_deal(session, owner=world.rep, id="IMP", account="Imported Ltd")
        make_meeting(session, deal=deal, id="M-imp", start=datetime.now(UTC) + timedelta(days=3))
    env = {"MOMENTUM_DATABASE_URL": database.url, "MOMENTUM_RULES_FILE": str(rules)}
    later = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%d 14:00")

    def move(*attendees: str):  # type: ignore[no-untyped-def]
        extra = [part for a in attendees for part in ("--attendee", a)]
        return runner.invoke(
            app, ["meeting", "reschedule", "M-imp", "--start", later, *extra], env=env
        )

    nobody = move()
    assert nobody.exit_code == 1 and "has no buyer contact" in nobody.output
    for bad, reason in (
        ("not an address", "not an e-mail address, nor 'Name <email>'"),
        ("ida@imp.test, jo@imp.test", "one person each"),
        ("Ida <ida@imp.test> and Jo", "one person each"),
        ("Ida <ida@nowhere>", "'ida@nowhere' is not an email address"),
        ("x" * 201 + " <ida@imp.test>", "name: String should have at most 200 characters"),
    ):
        refused = move(bad)
        assert refused.exit_code == 65, (bad, refused.output)
        said = " ".join(refused.output.split())  # a long value is shortened, not the reason
        assert said.startswith(f"error: --attendee {bad[:20]!r}"[:-1]) and reason in said, said
        assert "Traceback" not in refused.output
    many = move(*(f"p{n}@imp.test" for n in range(51)))
    assert many.exit_code == 65 and "--attendee: at most 50 people, not 51" in many.output
    with database.unit_of_work(write=False) as session:  # nothing was saved
        assert session.get(Meeting, "M-imp").status is MeetingStatus.SCHEDULED  # type: ignore[union-attr]
        assert session.query(Contact).filter_by(deal_id="IMP").count() == 0
    moved = move("Ida Buyer <Ida@Imp.test>", "jo@imp.test")
    assert moved.exit_code == 0, moved.output
    assert "update queued" in moved.output
    with database.unit_of_work(write=False) as session:
        old = session.get(Meeting, "M-imp")
        assert old is not None and old.status is MeetingStatus.RESCHEDULED
        contacts = sorted(
            (c.email, c.name) for c in session.query(Contact).filter_by(deal_id="IMP")
        )
        invitation = (
            session.query(OutboxMessage)
            .filter_by(meeting_id=old.rescheduled_to_id, kind=MessageKind.INVITATION)
            .one()
        )
    assert contacts == [("ida@imp.test", "Ida Buyer"), ("jo@imp.test", None)]
    assert sorted(invitation.recipients) == ["ida@imp.test", "jo@imp.test"]
    for command in ("reschedule", "lock-in"):  # the help shows the form whole
        helped = runner.invoke(
            app, ["meeting", command, "--help"], env={"COLUMNS": "100"}, terminal_width=100
        )
        assert "or 'Name <email>' (repeatable)" in helped.output, helped.output


def test_rules_list_and_assets(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["rules", "list"], env=env)
    assert result.exit_code == 0
    for key in ("meeting_two_not_booked", "no_show", "gap_too_long", "stalled"):
        assert key in result.output
    assert "enabled = true" in result.output and "True" not in result.output  # as in the file
    result = runner.invoke(
        app,
        [
            "assets",
            "add",
            "--title",
            "Benchmark",
            "--summary",
            "Peers save 12 %",
            "--kind",
            "data_point",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["assets", "list"], env=env)
    assert "[data_point] Benchmark" in result.output
    assert "library is empty" not in result.output


def test_an_empty_library_is_said_to_be_empty(sqlite_database: Database) -> None:
    result = runner.invoke(
        app, ["assets", "list"], env={"MOMENTUM_DATABASE_URL": sqlite_database.url}
    )
    assert result.exit_code == 0 and "the value-asset library is empty" in result.output


def _lock_in_and_wait_for_the_invitation(
    engine: Engine, database: Database, smtp_server: SmtpServer
) -> None:
    from momentum.next_step.schemas import LockIn
    from momentum.user.schemas import Actor

    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(
            Actor.system(),
            "D1",
            LockIn(start=datetime.now(UTC) + timedelta(days=5), buyer_homework="Read"),
        )
    wait_until(lambda: smtp_server.count() >= 1, 20)
    assert smtp_server.count() == 1


@pytest.fixture
def world_engine(sqlite_database: Database, smtp_server: SmtpServer) -> Engine:
    """An engine on the test world (deal D1 among it), its dispatcher polling every 50 ms."""
    with sqlite_database.unit_of_work() as session:
        make_world(session, timezone="UTC", country=None)
    engine = Engine(
        engine_settings(sqlite_database, smtp_server, worker_poll_seconds=0.05),
        database=sqlite_database,
    )
    return engine


def test_the_background_dispatcher_for_serve(
    world_engine: Engine, sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    engine = world_engine
    background = engine.start_background_dispatcher(worker_id="serve")
    try:
        _lock_in_and_wait_for_the_invitation(engine, sqlite_database, smtp_server)
    finally:
        background.stop()
    assert not background.running
    assert background.report.sent == 1
    assert threading.active_count() >= 1


def test_a_sweep_that_panics_does_not_stop_the_dispatcher(
    world_engine: Engine, sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    """A Rust panic in Polars is a BaseException; it once killed the thread for good."""
    engine = world_engine
    sweeps: list[int] = []

    def panics() -> None:
        sweeps.append(1)
        raise PanicException("assertion failed: i < self.len()")

    background = BackgroundDispatcher(
        engine.dispatcher(worker_id="serve"), poll_seconds=0.05, sweep=panics, sweep_seconds=0.05
    ).start()
    try:
        _lock_in_and_wait_for_the_invitation(engine, sqlite_database, smtp_server)
        # the invitation can arrive before the second sweep is due (every 50 ms): wait for it
        wait_until(lambda: len(sweeps) >= 2, 20)
        assert background.running and len(sweeps) >= 2
    finally:
        background.stop()
    assert background.report.sent == 1


def test_a_value_asset_is_edited_a_version_at_a_time_and_retired(env: dict[str, str]) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["assets", *args], env=env)

    url = "https://example.test/roi"
    added = run("add", "--title", "ROI model", "--summary", "Peers save 12 %", "--url", url)
    assert added.exit_code == 0, added.output
    number = re.search(r"added value asset (\d+)", added.output)
    assert number is not None
    n = number.group(1)
    edited = run("edit", n, "--summary", "Peers save 15 %")
    assert edited.exit_code == 0 and f"value asset {n}, version 2: ROI model" in edited.output
    same = run("edit", n, "--summary", "Peers save 15 %")  # nothing changes: no version
    assert "version 2" in same.output
    renamed = run("edit", n, "--title", "ROI calculator", "--url", "")
    assert f"value asset {n}, version 3: ROI calculator" in renamed.output
    assert "[insight] ROI calculator" in run("list").output
    bad = run("edit", n, "--kind", "poem")
    assert bad.exit_code == 65 and "kind: Input should be" in bad.output
    assert run("edit", "999999", "--title", "x").exit_code == 66
    assert run("retire", n).exit_code == 0
    assert "ROI calculator" not in run("list").output
    retired = run("edit", n, "--title", "Again")
    assert retired.exit_code == 1 and "is retired" in retired.output
