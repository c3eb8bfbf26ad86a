"""The weekly review on both databases: the week's figures per rep against the previous four
weeks, commitments recorded and checked at the next review, scope, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import DealStageEntry
from momentum.errors import Conflict, InputError, NotFound, PermissionDenied
from momentum.rep.models import Rep
from momentum.review.models import CommitmentMetric
from momentum.review.schemas import NewCommitment
from momentum.review.service import WeeklyReviewService, review_csv
from momentum.task.models import Task, TaskStatus
from tests.factories import make_deal
from tests.review.team import NOW, Team, at, make_team


@pytest.fixture
def team(database: Database) -> Team:
    with database.unit_of_work() as session:
        return make_team(session)


def _service(session) -> WeeklyReviewService:  # type: ignore[no-untyped-def]
    return WeeklyReviewService(session, clock=FixedClock(NOW))


def test_the_last_complete_week_per_rep(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        review = _service(session).review(team.maya)
    assert review.week == "2026-W10"
    assert (review.starts.isoformat(), review.ends.isoformat()) == ("2026-03-02", "2026-03-08")
    assert [rep.rep_id for rep in review.reps] == ["ana", "bo", "maya"]
    ana = review.reps[0].week
    assert ana.model_dump(exclude={"week"}) == {
        "first_meetings": 3,
        "on_the_spot": 1,
        "booked_later": 1,
        "booked_timing_unknown": 0,
        "not_booked": 1,
        "pending": 2,  # D2 (meeting two still to come) and D3 (not booked yet)
        "second_meetings_held": 2,  # D1 and D4
        "gaps_beyond_target": 1,  # D4
        "reschedules": 0,
        "no_shows": 1,  # D5
        "won": 1,
        "lost": 0,
        "slipped": 1,  # D3
        "on_the_spot_rate": 0.5,
    }
    previous = review.reps[0].previous
    assert [w.week for w in previous] == ["2026-W09", "2026-W08", "2026-W07", "2026-W06"]
    assert (previous[0].first_meetings, previous[0].on_the_spot) == (1, 1)
    assert previous[3].first_meetings == 1  # D4's meeting one
    assert review.reps[0].baseline.per_week["first_meetings"] == 0.5
    assert review.reps[0].baseline.on_the_spot_rate == 0.5  # D5 on the spot, D4 later


def test_a_chosen_week_and_a_narrower_scope(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        service = _service(session)
        review = service.review(team.maya, week="2026-W09", rep_id="ana")
        assert [rep.rep_id for rep in review.reps] == ["ana"]
        assert review.reps[0].week.first_meetings == 1
        assert [r.rep_id for r in service.review(team.admin, team="south").reps] == ["cy", "sam"]
        with pytest.raises(InputError):
            service.review(team.maya, week="2026-W60")


def test_nobody_sees_a_review_outside_their_scope(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        service = _service(session)
        with pytest.raises(NotFound):
            service.review(team.cy, rep_id="ana")
        with pytest.raises(NotFound):
            service.review(team.sam, team="north")
        with pytest.raises(NotFound):
            service.review(team.maya, rep_id="cy")
        assert [r.rep_id for r in service.review(team.ana).reps] == ["ana"]


def test_a_deal_slipped_when_its_next_step_was_overdue_and_its_stage_did_not_move(
    database: Database, team: Team
) -> None:
    def task(deal_id: str, due: datetime, *, done: datetime | None = None) -> Task:
        return Task(
            deal_id=deal_id,
            owner_id="bo",
            title="Send the pilot plan",
            rule=None,
            due_at=due,
            status=TaskStatus.OPEN if done is None else TaskStatus.DONE,
            created_at=at(2, 20),
            closed_at=done,
        )

    with database.unit_of_work() as session:
        bo = session.get(Rep, "bo")
        assert bo is not None
        for deal_id in ("STILL", "MOVED", "SAME", "LATE", "ONTIME"):
            make_deal(session, owner=bo, id=deal_id)
            session.add(DealStageEntry(deal_id=deal_id, stage="qualified", entered_at=at(2, 2)))
        session.add_all(
            [
                # overdue from Tuesday of W10, stage unchanged: slipped
                task("STILL", at(3, 3, 12)),
                # overdue from Tuesday, moved to "proposal" on Wednesday: did not slip
                task("MOVED", at(3, 3, 12)),
                DealStageEntry(deal_id="MOVED", stage="proposal", entered_at=at(3, 4, 15)),
                # a history row of the stage it is already in is no move: slipped
                task("SAME", at(3, 3, 12)),
                DealStageEntry(deal_id="SAME", stage="qualified", entered_at=at(3, 5, 9)),
                # fell due in W09 and still not done: slipped in W09 and in W10
                task("LATE", at(2, 26, 12), done=at(3, 10)),
                # done before it fell due: never overdue
                task("ONTIME", at(3, 3, 12), done=at(3, 3, 11)),
            ]
        )
    with database.unit_of_work(write=False) as session:
        review = _service(session).review(team.maya, rep_id="bo")
    figures = review.reps[0]
    assert figures.week.slipped == 3  # STILL, SAME, LATE
    assert [w.slipped for w in figures.previous] == [1, 0, 0, 0]  # LATE in W09

    with database.unit_of_work() as session:  # LATE moves on Monday of W10: not in W10
        session.add(DealStageEntry(deal_id="LATE", stage="proposal", entered_at=at(3, 2, 8)))
    with database.unit_of_work(write=False) as session:
        figures = _service(session).review(team.maya, rep_id="bo").reps[0]
    assert figures.week.slipped == 2
    assert figures.previous[0].slipped == 1


def test_commitments_are_checked_at_the_next_review(database: Database, team: Team) -> None:
    with database.unit_of_work() as session:
        service = WeeklyReviewService(session, clock=FixedClock(NOW.replace(day=4)))
        # at the review of W09 (on 4 March), for W10
        spot = service.commit(
            team.maya,
            "ana",
            week="2026-W10",
            new=NewCommitment(
                text="Book half of second meetings on the spot",
                metric=CommitmentMetric.ON_THE_SPOT_RATE,
                target=0.5,
            ),
        )
        no_shows = service.commit(
            team.maya,
            "ana",
            week="2026-W10",
            new=NewCommitment(text="No no-shows", metric=CommitmentMetric.NO_SHOWS, target=0),
        )
        call = service.commit(
            team.maya, "ana", week="2026-W10", new=NewCommitment(text="Call Acme's CFO")
        )
        with pytest.raises(PermissionDenied):
            service.commit(team.ana, "ana", week="2026-W10", new=NewCommitment(text="x"))
        with pytest.raises(NotFound):
            service.commit(team.sam, "ana", week="2026-W10", new=NewCommitment(text="x"))
        with pytest.raises(InputError, match="target: a commitment on a figure needs a target"):
            service.commit(
                team.maya,
                "ana",
                week="2026-W10",
                new=NewCommitment(text="x", metric=CommitmentMetric.SLIPPED),
            )
        before = service.review(team.maya, week="2026-W09", rep_id="ana").reps[0]
        assert [c.text for c in before.commitments_next] == [
            "Book half of second meetings on the spot",
            "No no-shows",
            "Call Acme's CFO",
        ]
    with database.unit_of_work() as session:
        service = _service(session)
        service.mark(team.maya, call.id, kept=True)
        with pytest.raises(Conflict):
            service.mark(team.maya, spot.id, kept=False)
        with pytest.raises(NotFound):
            service.mark(team.sam, call.id, kept=False)
    with database.unit_of_work(write=False) as session:
        checked = _service(session).review(team.maya).reps[0].commitments_checked
    assert [(c.id, c.kept, c.how, c.actual) for c in checked] == [
        (spot.id, True, "figures", 0.5),
        (no_shows.id, False, "figures", 1.0),
        (call.id, True, "manager", None),
    ]


def test_commitments_are_for_the_week_under_way_or_the_next(database: Database, team: Team) -> None:
    """NOW is in 2026-W11: the review of 2026-W10 records for 2026-W11 and that of 2026-W11
    for 2026-W12; a week that is over, or further ahead, is refused (it was recorded)."""
    with database.unit_of_work() as session:
        service = _service(session)
        for week in ("2026-W11", "2026-W12"):
            service.commit(team.maya, "ana", week=week, new=NewCommitment(text="Call the CFO"))
        for week, why in (
            ("2026-W10", "week 2026-W10 is over"),
            ("2025-W11", "week 2025-W11 is over"),
            ("2026-W13", "week 2026-W13 has not come up for review yet"),
        ):
            with pytest.raises(Conflict, match=why) as refused:
                service.commit(team.maya, "ana", week=week, new=NewCommitment(text="x"))
            assert "the week under way (2026-W11" in refused.value.message
            assert "or the next one (2026-W12, at the review of 2026-W11)" in refused.value.message
        opened = {
            week: service.review(team.maya, week=week, rep_id="ana").commitments_open
            for week in ("2025-W30", "2026-W09", "2026-W10", "2026-W11")
        }
        # a week that has not begun has no review: nothing happened in it yet
        with pytest.raises(InputError, match="week 2026-W12 has not begun"):
            service.review(team.maya, week="2026-W12")
    assert opened == {"2025-W30": False, "2026-W09": False, "2026-W10": True, "2026-W11": True}


def test_the_review_as_csv(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        text = review_csv(_service(session).review(team.maya))
    header = text.split("\r\n", 1)[0].split(",")
    assert header[:5] == ["rep_id", "rep", "team", "week", "first_meetings"]
    assert header[-1] == "week_complete"  # added last: the columns before keep their places
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["rep_id"] for row in rows] == ["ana", "bo", "maya"]
    assert rows[0]["first_meetings"] == "3"
    assert rows[0]["on_the_spot_rate"] == "0.5"
    assert rows[0]["first_meetings_previous_4_weeks_avg"] == "0.5"
    assert rows[1]["not_booked"] == "1"
    assert {row["week_complete"] for row in rows} == {"yes"}
    with database.unit_of_work(write=False) as session:  # NOW is in 2026-W11
        text = review_csv(_service(session).review(team.maya, week="2026-W11"))
    assert {row["week_complete"] for row in csv.DictReader(io.StringIO(text))} == {"no"}


def test_a_week_under_way_judges_no_commitment_yet(database: Database, team: Team) -> None:
    """On Wednesday the review of the current week called figure commitments kept or not."""
    with database.unit_of_work() as session:
        service = _service(session)  # NOW: Wednesday 11 March, in 2026-W11
        service.commit(
            team.maya,
            "ana",
            week="2026-W11",
            new=NewCommitment(text="No no-shows", metric=CommitmentMetric.NO_SHOWS, target=0),
        )
        under_way = service.review(team.maya, week="2026-W11", rep_id="ana").reps[0]
    # it waits for the week's figures; the manager cannot mark it
    assert [(c.kept, c.how) for c in under_way.commitments_checked] == [(None, "awaiting_figures")]


def test_a_task_slips_only_in_the_weeks_it_existed(database: Database, team: Team) -> None:
    """One sweep of the rules late in the year opened tasks due months before: they did not
    exist in those weeks, so a past week's review (and its commitments) must not change."""

    def task(deal_id: str, due: datetime, created: datetime) -> Task:
        return Task(
            deal_id=deal_id,
            owner_id="bo",
            title="Book meeting two",
            rule="meeting_two_not_booked",
            due_at=due,
            status=TaskStatus.OPEN,
            created_at=created,
        )

    with database.unit_of_work() as session:
        bo = session.get(Rep, "bo")
        assert bo is not None
        for deal_id in ("BEFORE", "DURING", "AFTER"):
            make_deal(session, owner=bo, id=deal_id)
        session.add_all(
            [
                # created in W08, fell due in W09, still open: slipped in W09 and W10
                task("BEFORE", at(2, 26, 12), at(2, 20)),
                # created on Thursday of W10, due back in W08: slipped in W10 only
                task("DURING", at(2, 17, 12), at(3, 5, 15)),
                # created after W10 (this morning), due in W09: slipped in neither
                task("AFTER", at(2, 25, 12), NOW.replace(hour=8)),
            ]
        )
    with database.unit_of_work(write=False) as session:
        figures = _service(session).review(team.maya, rep_id="bo").reps[0]
    assert figures.week.slipped == 2  # BEFORE, DURING
    assert [w.slipped for w in figures.previous] == [1, 0, 0, 0]  # BEFORE in W09
