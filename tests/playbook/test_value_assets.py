"""The value-asset library on both databases: every edit keeps the previous version, a
booking and its value reminder record the version they used, and the buyer receives that
version; migration 0011 gives existing assets and reminders their version 1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.migrate import alembic_config
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.next_step.models import NextStep
from momentum.reminder.models import Reminder, ReminderKind
from momentum.value_asset.models import ValueAsset, ValueAssetKind
from momentum.value_asset.schemas import NewValueAsset
from momentum.value_asset.service import ValueAssetService
from tests.engine.conftest import SmtpServer
from tests.engine.test_dispatch import body, book
from tests.engine.test_next_step import LOCK_IN
from tests.engine.world import make_world
from tests.playbook.test_playbook import MANAGER, REP
from tests.review.team import NOW

FIRST = NewValueAsset(
    title="What plants like yours saved",
    kind=ValueAssetKind.DATA_POINT,
    summary="Three plants cut changeover time by 31 % in a quarter.",
    url="https://example.test/changeover",
    tags=["manufacturing"],
)
SECOND = FIRST.model_copy(
    update={"summary": "Five plants cut changeover time by 27 % in a quarter."}
)


def test_edits_keep_every_version(database: Database) -> None:
    with database.unit_of_work() as session:
        assets = ValueAssetService(session, clock=FixedClock(NOW))
        asset = assets.add(MANAGER, FIRST)
        assert [v.version for v in assets.history(asset.id)] == [1]
        assets.edit(MANAGER, asset.id, SECOND)
        assets.edit(MANAGER, asset.id, SECOND)  # nothing changed: no version added
        assets.edit(MANAGER, asset.id, SECOND.model_copy(update={"tags": ["roi", " plants "]}))
        history = assets.history(asset.id)
        assert [(v.version, v.summary, v.tags) for v in history] == [
            (3, SECOND.summary, "roi,plants"),
            (2, SECOND.summary, "manufacturing"),
            (1, FIRST.summary, "manufacturing"),
        ]
        assert (asset.summary, asset.tags) == (SECOND.summary, "roi,plants")  # the newest
        current = assets.current_version(asset.id)
        assert current is not None and current.id == history[0].version_id
        with pytest.raises(PermissionDenied):
            assets.edit(REP, asset.id, FIRST)
        with pytest.raises(NotFound):
            assets.edit(MANAGER, 10_000, FIRST)
        with pytest.raises(NotFound):
            assets.history(10_000)
        assets.retire(MANAGER, asset.id)
        with pytest.raises(Conflict):
            assets.edit(MANAGER, asset.id, FIRST)
        assert len(assets.history(asset.id)) == 3


def test_the_reminder_records_and_carries_the_version_it_was_planned_with(
    database: Database, make_engine, smtp_server: SmtpServer, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(smtp_server)
    with database.unit_of_work() as session:
        make_world(session)
        asset = ValueAssetService(session, clock=clock).add(MANAGER, FIRST)
        asset_id = asset.id
    lock_in = LOCK_IN.model_copy(update={"value_asset_id": asset_id})
    book(database, engine, lock_in)
    with database.unit_of_work() as session:
        assets = ValueAssetService(session, clock=clock)
        [first] = assets.history(asset_id)
        assets.edit(MANAGER, asset_id, SECOND)  # after the booking, before the reminder goes
    with database.unit_of_work(write=False) as session:
        value = session.scalars(select(Reminder).where(Reminder.kind == ReminderKind.VALUE)).one()
        assert value.value_asset_version_id == first.version_id
        confirmation = session.scalars(
            select(Reminder).where(Reminder.kind == ReminderKind.CONFIRMATION)
        ).one()
        assert confirmation.value_asset_version_id is None
        step = session.scalars(select(NextStep)).one()
        assert step.value_asset_version_id == first.version_id
        history = ValueAssetService(session, clock=clock).history(asset_id)
        assert [(v.version, v.reminders) for v in history] == [(2, 0), (1, 1)]

    dispatcher = engine.dispatcher(worker_id="w1")
    dispatcher.drain()  # the invitation
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))  # the value reminder is due
    assert dispatcher.drain().sent == 1
    text_part = body(smtp_server.messages[-1], "plain")
    assert FIRST.summary in text_part and SECOND.summary not in text_part


def test_migration_0011_gives_existing_assets_and_reminders_their_first_version(
    database: Database,
) -> None:
    config = alembic_config(database.engine)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    inspector = inspect(database.engine)
    assert "value_asset_version" not in inspector.get_table_names()
    assert "value_asset_version_id" not in {c["name"] for c in inspector.get_columns("reminder")}
    with database.unit_of_work() as session:  # a store as it was before: assets, no versions
        world = make_world(session)
        session.execute(
            text(
                "INSERT INTO reminder (meeting_id, kind, due_at, status, value_asset_id, "
                "created_at, updated_at) VALUES (:meeting, 'value', :at, 'sent', :asset, :at, :at)"
            ),
            {"meeting": _a_meeting(session, world), "at": NOW, "asset": world.asset_id},
        )
        session.execute(
            text(
                "INSERT INTO next_step (deal_id, kind, due_at, owner_side, status, "
                "value_asset_id, created_at) "
                "VALUES (:deal, 'task', :at, 'seller', 'open', :asset, :at)"
            ),
            {"deal": world.deal.id, "at": NOW, "asset": world.asset_id},
        )
        asset_id = world.asset_id
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with database.unit_of_work(write=False) as session:
        [version] = ValueAssetService(session, clock=FixedClock(NOW)).history(asset_id)
        asset = session.get(ValueAsset, asset_id)
        assert asset is not None
        assert (
            version.version,
            version.title,
            version.summary,
            version.url,
            version.reminders,
        ) == (
            1,
            asset.title,
            asset.summary,
            asset.url,
            1,
        )
        reminder = session.scalars(select(Reminder)).one()
        assert reminder.value_asset_version_id == version.version_id
        step = session.scalars(select(NextStep)).one()
        assert step.value_asset_version_id == version.version_id


def _a_meeting(session, world) -> str:  # type: ignore[no-untyped-def]
    from tests.factories import make_meeting

    return make_meeting(session, deal=world.deal, start=NOW).id
