"""What each user may see: reps their own deals, managers their reports' too, admins all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from momentum.db.engine import Database
from momentum.errors import NotFound, PermissionDenied
from momentum.meeting.models import MeetingStatus
from momentum.user.models import Role, User
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from tests.engine.conftest import NOW
from tests.engine.world import make_world
from tests.factories import T0, make_deal, make_meeting, make_rep


def _team(session) -> None:  # type: ignore[no-untyped-def]
    world = make_world(session)
    # a second level: vp -> mgr -> ana; and a rep under ana's peer
    make_rep(session, id="vp", timezone="UTC")
    world.manager.manager_id = "vp"
    junior = make_rep(session, id="junior", timezone="UTC", manager_id="ana")
    make_deal(session, owner=junior, id="D3")
    for deal_id in ("D1", "D2", "D3"):
        deal = session.get(type(world.deal), deal_id)
        make_meeting(session, deal=deal, start=NOW - timedelta(days=30), status=MeetingStatus.HELD)
    session.flush()


@pytest.mark.parametrize(
    ("actor", "deals"),
    [
        (Actor(role=Role.REP, rep_id="bo"), {"D2"}),
        (Actor(role=Role.REP, rep_id="ana"), {"D1"}),  # a rep never sees a report's deals
        (Actor(role=Role.MANAGER, rep_id="ana"), {"D1", "D3"}),
        (Actor(role=Role.MANAGER, rep_id="mgr"), {"D1", "D3"}),
        (Actor(role=Role.MANAGER, rep_id="vp"), {"D1", "D3"}),  # transitively
        (Actor(role=Role.ADMIN), {"D1", "D2", "D3"}),
    ],
)
def test_every_query_is_scoped_to_the_actor(
    database: Database, make_engine, actor: Actor, deals: set[str]
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        _team(session)
    engine.sweep()
    with database.unit_of_work(write=False) as session:
        assert {d.id for d in engine.deals(session).without_next_step(actor)} == deals
        at_risk = engine.deals(session).at_risk(actor)
        assert {d.deal.id for d in at_risk} == deals
        per_rule: dict[str, int] = {}
        for entry in at_risk:
            for reason in entry.reasons:
                per_rule[reason.rule] = per_rule.get(reason.rule, 0) + 1
        assert engine.deals(session).at_risk_counts(actor) == (len(deals), per_rule)
        assert {t.deal_id for t in engine.tasks(session).tasks_for(actor)} == deals


def test_a_rep_cannot_read_or_change_another_reps_things(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine()
    with database.unit_of_work() as session:
        _team(session)
    engine.sweep()
    bo = Actor(role=Role.REP, rep_id="bo")
    with database.unit_of_work() as session:
        ana_task = next(
            t for t in engine.tasks(session).tasks_for(Actor.system()) if t.deal_id == "D1"
        )
        with pytest.raises(NotFound):
            engine.tasks(session).complete(bo, ana_task.id)
        with pytest.raises(NotFound):
            engine.tasks(session).tasks_for(bo, owner_id="ana")
        with pytest.raises(NotFound):
            engine.next_steps(session).open_steps(bo, "D1")
        meeting_id = engine.meetings(session).awaiting_outcome(Actor.system())
        assert meeting_id == []  # all marked held above; nothing waiting
        with pytest.raises(NotFound):
            engine.meetings(session).visible(bo, "nope")


def test_a_user_without_a_rep_sees_nothing_unless_admin(database: Database) -> None:
    with database.unit_of_work() as session:
        make_world(session)
        user = User(
            email="ops@seller.test",
            name="Ops",
            password_hash="-",
            role=Role.MANAGER,
            rep_id=None,
            active=True,
            created_at=T0,
        )
        session.add(user)
        session.flush()
        scope = ScopeService(session)
        actor = scope.actor_for_user(user.id)
        with pytest.raises(PermissionDenied):
            scope.visible_owner_ids(actor)
        user.active = False
        with pytest.raises(NotFound):
            scope.actor_for_user(user.id)


def test_only_managers_and_admins_keep_the_value_asset_library(database: Database) -> None:
    from momentum.clock import FixedClock
    from momentum.value_asset.schemas import NewValueAsset
    from momentum.value_asset.service import ValueAssetService

    new = NewValueAsset.model_validate(
        {"title": "Benchmark", "kind": "data_point", "summary": "Peers save 12 %"}
    )
    with database.unit_of_work() as session:
        make_world(session)
        library = ValueAssetService(session, clock=FixedClock(NOW))
        with pytest.raises(PermissionDenied):
            library.add(Actor(role=Role.REP, rep_id="ana"), new)
        asset = library.add(Actor(role=Role.MANAGER, rep_id="mgr"), new)
        assert asset.tags is None and asset.active
        library.retire(Actor.system(), asset.id)
        assert [a.title for a in library.library()] == ["What plants like yours saved"]
