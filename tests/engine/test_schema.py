"""Migration 0002 on both databases, and the direction of the dependencies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from momentum.db.engine import Database
from momentum.db.migrate import alembic_config

SRC = Path(__file__).resolve().parents[2] / "src" / "momentum"


def test_migration_0002_goes_down_and_up_again(database: Database) -> None:
    config = alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "outbox_message" not in inspect(database.engine).get_table_names()
    assert "ical_uid" not in {c["name"] for c in inspect(database.engine).get_columns("meeting")}
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    inspector = inspect(database.engine)
    assert "outbox_message" in inspector.get_table_names()
    assert "status_reason" in {c["name"] for c in inspector.get_columns("reminder")}


def test_the_models_match_the_migrations(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from momentum.db.models import Base

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


ENGINE_DOMAINS = [
    "next_step",
    "task",
    "reminder",
    "flag",
    "value_asset",
    "contact",
    "user",
    "outbox",
    "meeting",
    "deal",
    "rep",
]


@pytest.mark.parametrize("package", ENGINE_DOMAINS)
def test_domain_packages_never_import_the_layers_above(package: str) -> None:
    above = (
        "momentum.rules",
        "momentum.dispatch",
        "momentum.runtime",
        "momentum.cli",
        "momentum.web",
    )
    for path in (SRC / package).glob("*.py"):
        wrong = {m for m in _imports(path) if m.startswith(above)}
        assert not wrong, f"{path.name} imports {wrong}"


def test_services_never_import_typer_fastapi_or_jinja() -> None:
    for path in SRC.glob("*/service.py"):
        wrong = {m for m in _imports(path) if m.split(".")[0] in {"typer", "fastapi", "jinja2"}}
        assert not wrong, f"{path} imports {wrong}"


def test_rules_and_dispatch_never_import_cli_or_web() -> None:
    for folder in ("rules", "dispatch"):
        for path in (SRC / folder).rglob("*.py"):
            wrong = {m for m in _imports(path) if m.startswith(("momentum.cli", "momentum.web"))}
            assert not wrong, f"{path} imports {wrong}"


def test_every_engine_setting_is_documented() -> None:
    from momentum.config import Settings

    documented = (SRC.parents[1] / "docs" / "configuration-engine.md").read_text()
    prefixes = ("rules_", "templates_", "smtp_", "mail_", "slack_", "worker_")
    engine_fields = [name for name in Settings.model_fields if name.startswith(prefixes)]
    assert len(engine_fields) == 18
    missing = [name for name in engine_fields if f"`MOMENTUM_{name.upper()}`" not in documented]
    assert missing == []


def test_ids_and_rule_keys_compare_byte_by_byte_on_postgresql(postgres_url: str | None) -> None:
    """Every id, every column referring to one, and the rule keys: collation "C" on
    PostgreSQL (migration 0003), so they sort as in SQLite and Python (SQLite compares text
    byte by byte whatever the column)."""
    from momentum.db.models import Base

    if postgres_url is None:
        pytest.skip("no PostgreSQL server reachable (set MOMENTUM_TEST_POSTGRES)")
    database = Database(postgres_url, migrate=False)
    expected = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if getattr(column.type.dialect_impl(database.engine.dialect), "collation", None) == "C"
    }
    assert ("flag", "deal_id") in expected and ("task", "rule") in expected
    with database.engine.connect() as connection:
        found = {
            (table, column)
            for table, column in connection.exec_driver_sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND collation_name = 'C'"
            )
        }
    database.dispose()
    assert found == expected


def test_migration_0013_goes_down_and_up_again_with_its_rows(database: Database) -> None:
    """Who changed a meeting, superseded next steps and since when a flag's condition holds:
    down to 0012 (a superseded step becomes done, as a replaced step was closed then) and up
    again, on both databases."""
    from datetime import timedelta

    from sqlalchemy import text

    from momentum.flag.models import Severity
    from momentum.flag.repository import FlagRepository
    from momentum.meeting.models import MeetingStatus, MeetingStatusChange
    from momentum.next_step.models import NextStep, NextStepKind, NextStepStatus
    from tests.engine.world import make_world
    from tests.factories import T0, make_meeting

    with database.unit_of_work() as session:
        world = make_world(session)
        meeting = make_meeting(session, deal=world.deal, start=T0 + timedelta(days=1))
        session.add(
            MeetingStatusChange(
                meeting_id=meeting.id,
                from_status=None,
                to_status=MeetingStatus.SCHEDULED,
                changed_at=T0,
                source="app",
                changed_by_user_id=7,
            )
        )
        session.add(
            NextStep(
                deal_id="D1",
                kind=NextStepKind.MEETING,
                meeting_id=meeting.id,
                due_at=meeting.start_at,
                status=NextStepStatus.SUPERSEDED,
                created_at=T0,
                closed_at=T0,
            )
        )
        FlagRepository(session).raise_many(
            [("D1", "stalled", "Stalled", Severity.WARNING, T0 - timedelta(days=3))],
            raised_at=T0,
        )
    config = alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    inspector = inspect(database.engine)
    assert "condition_since" not in {c["name"] for c in inspector.get_columns("flag")}
    assert "changed_by_user_id" not in {
        c["name"] for c in inspector.get_columns("meeting_status_change")
    }
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM next_step")).scalar_one() == "done"
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with database.unit_of_work() as session:
        step = session.scalars(select(NextStep)).one()
        step.status = NextStepStatus.SUPERSEDED  # allowed again
        session.flush()
        change = session.scalars(select(MeetingStatusChange)).one()
        assert change.changed_by_user_id is None  # a change recorded before: readable
