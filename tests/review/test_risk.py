"""Deals at risk on both databases: open flags by rule with reason, age, owner, amount and
task; sorted; narrowed to a team or rep; tasks reassigned within the scope only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal
from momentum.deal.repository import DealRepository
from momentum.deal.schemas import DealQuery, DealSort
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.flag.models import Flag, Severity
from momentum.rep.models import Rep
from momentum.review.risk import RiskBoardService, RiskQuery, RiskSort
from momentum.task.models import Task, TaskStatus
from tests.factories import make_deal
from tests.review.team import NOW, Team, make_team


@pytest.fixture
def team(database: Database) -> Team:
    with database.unit_of_work() as session:
        team = make_team(session)
        team.deals["D1"].amount, team.deals["D1"].currency = Decimal("5000"), "EUR"
        team.deals["D2"].amount, team.deals["D2"].currency = Decimal("90000"), "EUR"
        for deal, rule, severity, days in (
            ("D1", "gap_too_long", Severity.WARNING, 2),
            ("D2", "gap_too_long", Severity.WARNING, 9),
            ("D3", "meeting_two_not_booked", Severity.CRITICAL, 5),
            ("B1", "meeting_two_not_booked", Severity.WARNING, 1),
            ("C1", "meeting_two_not_booked", Severity.WARNING, 1),
        ):
            session.add(
                Flag(
                    deal_id=deal,
                    rule=rule,
                    reason=f"{rule} on {deal}",
                    severity=severity,
                    raised_at=NOW - timedelta(days=days),
                )
            )
        session.add(
            Task(
                deal_id="D3",
                owner_id="ana",
                title="Book meeting two with D3 Ltd",
                rule="meeting_two_not_booked",
                due_at=NOW,
                status=TaskStatus.OPEN,
                created_at=NOW - timedelta(days=5),
            )
        )
        return team


def _board(session, actor, **query):  # type: ignore[no-untyped-def]
    service = RiskBoardService(
        session, clock=FixedClock(NOW), titles={"gap_too_long": "Gap too long"}
    )
    return service.board(actor, RiskQuery(**query))


def test_grouped_by_rule_most_severe_first(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        board = _board(session, team.maya)
    assert [(g.rule, g.count) for g in board.groups] == [
        ("meeting_two_not_booked", 2),
        ("gap_too_long", 2),
    ]
    assert board.groups[1].title == "Gap too long"
    assert board.groups[1].amounts == {"EUR": Decimal("95000")}
    first = board.groups[0].rows[0]
    assert (first.deal_id, first.severity, first.age_days, first.owner_name) == (
        "D3",
        Severity.CRITICAL,
        5,
        "Ana Rep",
    )
    assert (first.task_title, first.task_owner_id) == ("Book meeting two with D3 Ltd", "ana")
    assert [r.deal_id for r in board.groups[1].rows] == ["D2", "D1"]  # the oldest first
    assert ("bo", "Bo Rep") in board.assignees and ("cy", "Cy Rep") not in board.assignees
    # a task goes to someone who can open its deal: the owner, or a manager above them
    assert first.assignable == [("ana", "Ana Rep"), ("maya", "Maya Manager")]


def test_a_flags_age_counts_from_when_its_condition_began(database: Database, team: Team) -> None:
    """A flag raised today (by the first sweep after an import, say) on a condition that has
    held for three weeks is three weeks old, and the oldest on the board."""
    with database.unit_of_work() as session:
        flag = session.scalars(select(Flag).where(Flag.deal_id == "D1")).one()
        flag.raised_at, flag.condition_since = NOW, NOW - timedelta(days=21)
    with database.unit_of_work(write=False) as session:
        by_risk = _board(session, team.maya, rule="gap_too_long")
        by_age = _board(session, team.maya, sort=RiskSort.AGE)
    assert [(r.deal_id, r.age_days) for r in by_risk.groups[0].rows] == [("D1", 21), ("D2", 9)]
    assert [r.deal_id for r in by_age.groups[-1].rows] == ["D1", "D2"]


def test_sorted_and_filtered(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        by_amount = _board(session, team.maya, sort=RiskSort.AMOUNT, rule="gap_too_long")
        assert [r.deal_id for r in by_amount.groups[0].rows] == ["D2", "D1"]
    with database.unit_of_work() as session:  # D1 in another currency: never compared with D2
        deal = session.get(Deal, "D1")
        assert deal is not None
        deal.amount, deal.currency = Decimal("1"), "AUD"
    with database.unit_of_work(write=False) as session:
        by_amount = _board(session, team.maya, sort=RiskSort.AMOUNT, rule="gap_too_long")
        assert [(r.deal_id, r.currency) for r in by_amount.groups[0].rows] == [
            ("D1", "AUD"),
            ("D2", "EUR"),
        ]
        assert [g.rule for g in _board(session, team.maya, rep="bo").groups] == [
            "meeting_two_not_booked"
        ]
        assert sum(g.count for g in _board(session, team.admin, team="south").groups) == 1
        with pytest.raises(NotFound):
            _board(session, team.maya, rep="cy")
        with pytest.raises(NotFound):
            _board(session, team.ana, team="south")


def test_amounts_sort_as_the_deals_list_does_on_both_databases(
    database: Database, team: Team
) -> None:
    """By currency A to Z, largest first within each; an amount without a currency after
    them; deals without an amount last, the oldest flag first whatever their currency. Once
    SQLite put a missing currency first and PostgreSQL last."""
    with database.unit_of_work() as session:
        ana = session.get(Rep, "ana")
        assert ana is not None
        for deal_id, amount, currency, days in (
            ("X-usd", None, "USD", 1),  # a currency without an amount says nothing
            ("X-none", None, None, 3),
            ("X-nocur", Decimal("70000"), None, 4),
            ("X-aud", Decimal("10"), "AUD", 2),
            ("X-eur", Decimal("200"), "EUR", 6),
        ):
            deal = make_deal(session, owner=ana, id=deal_id)
            deal.amount, deal.currency = amount, currency
            session.add(
                Flag(
                    deal_id=deal_id,
                    rule="gap_too_long",
                    reason="gap",
                    severity=Severity.WARNING,
                    raised_at=NOW - timedelta(days=days),
                )
            )
    expected = ["X-aud", "D2", "D1", "X-eur", "X-nocur", "X-none", "X-usd"]
    with database.unit_of_work(write=False) as session:
        board = _board(session, team.maya, sort=RiskSort.AMOUNT, rule="gap_too_long")
        assert [r.deal_id for r in board.groups[0].rows] == expected
        # the deals list's order (there, deals without an amount are by id)
        deals = DealRepository(session).page(
            None, DealQuery(sort=DealSort.AMOUNT), now=NOW, after=None, limit=100
        )
        listed = [deal.id for deal, _ in deals if deal.id in expected]
        assert listed == expected
        # a page at a time, in the same order
        service = RiskBoardService(session, clock=FixedClock(NOW), limit=3)
        pages = [
            service.board(team.maya, RiskQuery(sort=RiskSort.AMOUNT, rule="gap_too_long", page=n))
            for n in (1, 2, 3)
        ]
        assert [r.deal_id for p in pages for r in p.groups[0].rows] == expected


def test_a_task_is_reassigned_within_the_scope(database: Database, team: Team) -> None:
    with database.unit_of_work() as session:
        service = RiskBoardService(session, clock=FixedClock(NOW))
        task_id = _board(session, team.maya).groups[0].rows[0].task_id
        assert task_id is not None
        with pytest.raises(NotFound):
            service.assign(team.maya, task_id, to_rep_id="cy")  # another team's rep
        with pytest.raises(NotFound):
            service.assign(team.sam, task_id, to_rep_id="cy")  # another team's task
        with pytest.raises(PermissionDenied):
            service.assign(team.ana, task_id, to_rep_id="bo")
        with pytest.raises(Conflict, match=r"Bo Rep cannot open D3 Ltd \(D3\), another rep"):
            service.assign(team.maya, task_id, to_rep_id="bo")  # ana's deal is not his
        assert service.assign(team.maya, task_id, to_rep_id="maya").owner_id == "maya"
    with database.unit_of_work() as session:
        row = _board(session, team.maya).groups[0].rows[0]
        assert (row.task_owner_id, row.task_owner_name, row.owner_id) == (
            "maya",
            "Maya Manager",
            "ana",
        )
        session.get(Task, task_id).status = TaskStatus.DONE
    with database.unit_of_work() as session, pytest.raises(Conflict):
        RiskBoardService(session, clock=FixedClock(NOW)).assign(team.maya, task_id, to_rep_id="ana")


def test_a_long_group_comes_a_page_at_a_time_with_its_totals_whole(
    database: Database, team: Team
) -> None:
    with database.unit_of_work(write=False) as session:
        service = RiskBoardService(session, clock=FixedClock(NOW), limit=1)
        pages = [
            service.board(team.maya, RiskQuery(rule="gap_too_long", page=page)).groups[0]
            for page in (1, 2, 3)
        ]
    assert [[row.deal_id for row in group.rows] for group in pages] == [["D2"], ["D1"], []]
    assert [(group.count, group.pages, group.first) for group in pages] == [
        (2, 2, 1),
        (2, 2, 2),
        (2, 2, 3),
    ]
    assert all(group.amounts == {"EUR": Decimal("95000")} for group in pages)
    assert all(group.severity is Severity.WARNING for group in pages)
