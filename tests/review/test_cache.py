"""The dashboard's cache keeps a view for its max age and reads the store again after; what is
missing is computed once however many ask for it at the same time; it keeps a bounded number
of views."""

from __future__ import annotations

import functools
import threading
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


def test_concurrent_misses_for_one_view_compute_it_once() -> None:
    cache = AuditCache(max_age=60)
    calls: list[int] = []
    calls_lock = threading.Lock()

    def compute() -> object:
        with calls_lock:
            calls.append(1)
        time.sleep(0.3)  # long enough for every other thread to miss meanwhile
        return object()

    start = threading.Barrier(8)
    values: list[object] = []

    def view() -> None:
        start.wait()
        values.append(cache.result("team north", compute))

    threads = [threading.Thread(target=view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(values) == 8 and all(value is values[0] for value in values)


def test_a_failed_computation_reaches_its_waiters_and_is_not_kept() -> None:
    cache = AuditCache(max_age=60)
    entered = threading.Event()

    def failing() -> object:
        entered.set()
        time.sleep(0.2)
        raise RuntimeError("the store went away")

    errors: list[BaseException] = []

    def view() -> None:
        try:
            cache.result("rep ana", failing)
        except RuntimeError as error:
            errors.append(error)

    leader = threading.Thread(target=view)
    leader.start()
    entered.wait()
    waiter = threading.Thread(target=view)
    waiter.start()
    leader.join()
    waiter.join()
    assert [str(e) for e in errors] == ["the store went away"] * 2
    assert cache.result("rep ana", lambda: "computed again") == "computed again"


def test_at_most_max_views_are_kept_besides_the_frames() -> None:
    cache = AuditCache(max_age=60, max_views=2)
    reads: list[int] = []

    def read() -> None:
        reads.append(1)

    cache.frames(read)
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        cache.result(key, functools.partial(str, key))
    assert cache.result("a", lambda: "again") == "a"
    assert cache.result("c", lambda: "again") == "c"
    assert cache.result("b", lambda: "again") == "again"
    cache.frames(read)
    assert reads == [1]  # the frames stayed


def test_refresh_computes_the_view_again() -> None:
    cache = AuditCache(max_age=60)
    assert cache.result("a", lambda: 1) == 1
    assert cache.result("a", lambda: 2) == 1
    assert cache.result("a", lambda: 3, refresh=True) == 3
    assert cache.result("a", lambda: 4) == 3


def test_while_an_expired_view_is_computed_again_the_others_get_the_old_one() -> None:
    cache = AuditCache(max_age=0.2)
    assert cache.result("team", lambda: "old") == "old"
    time.sleep(0.3)
    entered, release = threading.Event(), threading.Event()

    def slow() -> str:
        entered.set()
        release.wait(5)
        return "new"

    leader = threading.Thread(target=cache.result, args=("team", slow))
    leader.start()
    entered.wait()
    assert cache.result("team", lambda: "not computed twice") == "old"
    release.set()
    leader.join()
    assert cache.result("team", lambda: "not computed twice") == "new"
