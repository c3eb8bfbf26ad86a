"""The Monday digest: what it says, when it is due, and that it is queued once per manager
and week however often the sweep runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from momentum.cli import app
from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.demo.generator import generate
from momentum.demo.logins import create_demo_logins
from momentum.digest.models import ManagerDigest
from momentum.digest.service import DigestPolicy, DigestService
from momentum.meeting.models import Meeting
from momentum.outbox.models import Channel, MessageKind, OutboxMessage
from momentum.rep.models import Rep
from momentum.runtime import Engine
from momentum.task.models import Task, TaskStatus
from momentum.user.models import User
from tests.review.team import NOW, Team, at, make_team
from tests.web.conftest import POLICY as SIGN_IN

POLICY = DigestPolicy(public_url="https://momentum.example.test/", slack=True)


@pytest.fixture
def team(database: Database) -> Team:
    with database.unit_of_work() as session:
        team = make_team(session)
        # a no-show to rebook, from the rule
        session.add(
            Task(
                deal_id="D5",
                owner_id="ana",
                title="Rebook the no-show",
                rule="no_show",
                due_at=at(3, 9),
                status=TaskStatus.OPEN,
                created_at=at(3, 6, 11),
            )
        )
        # D2's meeting two (Friday 13 March) has an agenda but no homework
        meeting = session.scalars(
            select(Meeting).where(Meeting.deal_id == "D2", Meeting.status == "scheduled")
        ).one()
        meeting.agenda = "Seller: the model\nBuyer: the numbers"
        return team


def _maya(session) -> User:  # type: ignore[no-untyped-def]
    return session.scalars(select(User).where(User.email == "maya@seller.test")).one()


def test_the_week_s_leading_indicators(database: Database, team: Team) -> None:
    with database.unit_of_work(write=False) as session:
        service = DigestService(session, clock=FixedClock(NOW), policy=POLICY)
        maya = _maya(session)
        week = service.due_week(maya)
        assert week == "2026-W10"
        figures = service.compose(maya, week)
    assert figures.on_the_spot_rate == 0.5  # ana: one on the spot, one later; bo: not booked
    assert figures.on_the_spot_rate_before == 0.5  # D5 on the spot, D4 later
    assert (figures.within_target, figures.second_meetings_held) == (1, 2)
    assert figures.coming_unprepared == 1
    assert (figures.coming_without_agenda, figures.coming_without_homework) == (0, 1)
    assert figures.no_shows_to_rebook == 1
    assert figures.review_url == "https://momentum.example.test/review?week=2026-W10"
    assert [rep.rep_id for rep in figures.reps] == ["ana", "bo"]


def test_it_is_due_from_monday_s_send_time_in_the_manager_s_zone(
    database: Database, team: Team
) -> None:
    with database.unit_of_work() as session:
        session.get(Rep, "maya").timezone = "Asia/Tokyo"  # UTC+9
    monday_early = datetime(2026, 3, 15, 21, 59, tzinfo=UTC)  # Monday 06:59 in Tokyo
    with database.unit_of_work(write=False) as session:
        maya = _maya(session)
        policy = DigestPolicy(send_at=time(7, 0))
        early = DigestService(session, clock=FixedClock(monday_early), policy=policy)
        assert early.due_week(maya) is None  # W11's is not due yet (W10's was last Monday)
        monday = datetime(2026, 3, 15, 22, 0, tzinfo=UTC)
        assert (
            DigestService(session, clock=FixedClock(monday), policy=policy).due_week(maya)
            == "2026-W11"
        )


def test_queued_once_per_manager_and_week(database: Database, team: Team) -> None:
    clock = FixedClock(NOW)
    for _ in range(3):
        with database.unit_of_work() as session:
            DigestService(session, clock=clock, policy=POLICY).queue_due()
    with database.unit_of_work(write=False) as session:
        digests = session.scalars(select(ManagerDigest).order_by(ManagerDigest.user_id)).all()
        assert [(d.week, d.figures["manager"]) for d in digests] == [
            ("2026-W10", "maya@seller.test"),
            ("2026-W10", "sam@seller.test"),
        ]
        messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DIGEST)
        ).all()
        assert sorted((m.channel, tuple(m.recipients)) for m in messages) == [
            (Channel.EMAIL, ("maya@seller.test",)),
            (Channel.EMAIL, ("sam@seller.test",)),
            (Channel.SLACK, ()),
            (Channel.SLACK, ()),
        ]
    # the next week brings the next digest
    clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    with database.unit_of_work() as session:
        assert DigestService(session, clock=clock, policy=POLICY).queue_due() == 2
    with database.unit_of_work(write=False) as session:
        assert session.execute(select(func.count()).select_from(ManagerDigest)).scalar() == 4


def test_the_demo_team_s_digests_are_queued(
    tmp_path: Path, sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo as `momentum demo` made it on Sunday 6 December 2026: its weekly review's
    slipped deals are labelled by week from a frame in many pieces, which Polars' `zfill`
    panicked over, killing the dispatcher's thread in `momentum serve`."""
    folder = tmp_path / "demo"
    generate(folder, deals=800, seed=7, as_of=date(2026, 12, 6))
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", sqlite_database.url)
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    clock = FixedClock(datetime(2026, 12, 6, 16, 15, tzinfo=UTC))
    with sqlite_database.unit_of_work() as session:
        create_demo_logins(session, clock=clock, policy=SIGN_IN)
    engine = Engine(
        Settings(database_url=sqlite_database.url), database=sqlite_database, clock=clock
    )
    engine.sweep()  # the rules raise the tasks the review's slipped deals come from
    with sqlite_database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ManagerDigest)) == 2


def test_the_subject_of_a_week_without_a_booking_says_so() -> None:
    from momentum.dispatch.compose import _percent
    from momentum.dispatch.templates import Templates

    subject = Templates().email.get_template("email/digest.subject.txt")
    assert subject.render(week="2026-W50", on_the_spot_rate=None, percent=_percent) == (
        "Your team's week 2026-W50: no second meeting booked"
    )
    assert subject.render(week="2026-W50", on_the_spot_rate=0.25, percent=_percent) == (
        "Your team's week 2026-W50: 25% of second meetings booked on the spot"
    )
    # booked, but the data does not tell when: unknown is not none
    unknown = {"on_the_spot_rate": None, "booked_timing_unknown": 3, "percent": _percent}
    assert subject.render(week="2026-W50", **unknown) == (
        "Your team's week 2026-W50: 3 second meetings booked, their booking times not recorded"
    )
