"""The dashboard's cache keeps a view for its max age and reads the store again after."""

from __future__ import annotations

import time

from momentum.audit.result import AuditOptions
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.rep.models import Rep
from momentum.review.cache import AuditCache
from momentum.review.dashboard import DashboardService
from momentum.user.schemas import Actor
from tests.factories import make_deal, make_meeting
from tests.review.team import HELD, NOW, at, make_team


def _first_meetings(database: Database, cache: AuditCache) -> int:
    with database.unit_of_work(write=False) as session:
        team = (
            DashboardService(session, clock=FixedClock(NOW), defaults=AuditOptions(), cache=cache)
            .dashboard(Actor.system())
            .result.team
        )
    return team.deals_with_first_meeting


def test_a_view_is_kept_for_its_max_age(sqlite_database: Database) -> None:
    with sqlite_database.unit_of_work() as session:
        make_team(session)
    short, none = AuditCache(max_age=0.5), AuditCache(max_age=0)
    assert _first_meetings(sqlite_database, short) == _first_meetings(sqlite_database, none) == 7
    with sqlite_database.unit_of_work() as session:
        ana = session.get(Rep, "ana")
        assert ana is not None
        deal = make_deal(session, owner=ana, id="NEW")
        make_meeting(session, deal=deal, start=at(3, 9), status=HELD)
    assert _first_meetings(sqlite_database, short) == 7  # still the kept view
    assert _first_meetings(sqlite_database, none) == 8
    time.sleep(0.6)
    assert _first_meetings(sqlite_database, short) == 8
