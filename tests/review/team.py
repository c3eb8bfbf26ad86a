"""A small team with a known week, for the manager's services: two managers, three reps.

The week reviewed is 2026-W10 (Monday 2 March to Sunday 8 March); "now" is Wednesday 11
March. Ana (team north, reports to Maya) had, in that week: two first meetings booked on the
spot or later, one not booked (still pending), a second meeting held 23 business days after
its first, a no-show, a deal won, and a next step that went overdue. In 2026-W09 she had one
first meeting, booked on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.meeting.models import MeetingStatus
from momentum.rep.models import Rep
from momentum.runtime import Engine
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role, User
from momentum.user.schemas import Actor
from momentum.web.app import create_app
from tests.engine.conftest import engine_settings
from tests.factories import T0, make_deal, make_meeting, make_rep
from tests.web.conftest import POLICY, csrf_of

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"  # every user's
HELD = MeetingStatus.HELD


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Team:
    maya: Actor  # manager of ana and bo (team north)
    sam: Actor  # manager of cy (team south)
    ana: Actor
    cy: Actor
    admin: Actor
    deals: dict[str, Deal]


def _user(session: Session, email: str, role: Role, rep_id: str | None) -> Actor:
    user = User(
        email=email,
        name=email,
        password_hash=POLICY.passwords.hash(PASSWORD),
        role=role,
        rep_id=rep_id,
        created_at=T0,
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def _held_then(
    session: Session,
    deal: Deal,
    m1: datetime,
    *,
    booked: datetime | None,
    m2: datetime | None,
    status: MeetingStatus = HELD,
) -> None:
    make_meeting(session, deal=deal, start=m1, status=HELD, booked_at=m1 - timedelta(days=3))
    if m2 is not None:
        make_meeting(session, deal=deal, start=m2, status=status, booked_at=booked)


def make_team(session: Session) -> Team:
    maya = make_rep(session, id="maya", name="Maya Manager", email="maya@seller.test")
    sam = make_rep(session, id="sam", name="Sam Manager", email="sam@seller.test")
    ana = make_rep(session, id="ana", name="Ana Rep", manager_id="maya", email="ana@seller.test")
    bo = make_rep(session, id="bo", name="Bo Rep", manager_id="maya")
    cy = make_rep(session, id="cy", name="Cy Rep", manager_id="sam")
    for rep, team in (
        (maya, "north"),
        (ana, "north"),
        (bo, "north"),
        (sam, "south"),
        (cy, "south"),
    ):
        rep.team = team
    deals = {
        name: make_deal(session, owner=ana, id=name, account=f"{name} Ltd")
        for name in ("D1", "D2", "D3", "D4", "D5")
    }
    deals["D6"] = make_deal(
        session, owner=ana, id="D6", outcome=Outcome.WON, closed_at=at(3, 6, 16)
    )
    deals["B1"] = make_deal(session, owner=bo, id="B1", account="Bo's deal")
    deals["C1"] = make_deal(session, owner=cy, id="C1", account="Cy's deal")
    # W10: on the spot (booked 10 minutes after M1 ended), gap 2 business days
    _held_then(session, deals["D1"], at(3, 2), booked=at(3, 2, 10, 40), m2=at(3, 4))
    # W10: booked later, meeting two still to come
    _held_then(
        session,
        deals["D2"],
        at(3, 3),
        booked=at(3, 5),
        m2=at(3, 13),
        status=MeetingStatus.SCHEDULED,
    )
    # W10: not booked (pending: meeting one was a week ago)
    _held_then(session, deals["D3"], at(3, 4), booked=None, m2=None)
    # W06 first meeting, meeting two held in W10: 23 business days, beyond the target
    _held_then(session, deals["D4"], at(2, 2), booked=at(2, 10), m2=at(3, 5))
    # W09 first meeting booked on the spot; its meeting two in W10 was a no-show
    _held_then(
        session,
        deals["D5"],
        at(2, 23),
        booked=at(2, 23, 10, 35),
        m2=at(3, 6),
        status=MeetingStatus.NO_SHOW,
    )
    # bo and cy: one first meeting each in W10, not booked
    _held_then(session, deals["B1"], at(3, 3), booked=None, m2=None)
    _held_then(session, deals["C1"], at(3, 3), booked=None, m2=None)
    # a next step on D3 fell due on Thursday and is still open: D3 slipped
    session.add(
        Task(
            deal_id="D3",
            owner_id="ana",
            title="Call back about the pilot",
            rule=None,
            due_at=at(3, 5, 12),
            status=TaskStatus.OPEN,
            created_at=at(3, 4, 12),
        )
    )
    session.flush()
    return Team(
        maya=_user(session, "maya@seller.test", Role.MANAGER, "maya"),
        sam=_user(session, "sam@seller.test", Role.MANAGER, "sam"),
        ana=_user(session, "ana@seller.test", Role.REP, "ana"),
        cy=_user(session, "cy@seller.test", Role.REP, "cy"),
        admin=_user(session, "admin@seller.test", Role.ADMIN, None),
        deals=deals,
    )


def ana_books_later_in_january(session: Session) -> None:
    """January (before the weeks the review compares 2026-W10 with): on each working day Ana
    books meeting two a day after meeting one, Bo before it ends; often enough for Ana's gap
    on booking on the spot to be established, so it is where her coaching starts."""
    ana, bo = session.get(Rep, "ana"), session.get(Rep, "bo")
    assert ana is not None and bo is not None
    for day in (12, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28):
        for rep, booked in ((ana, at(1, day + 1)), (bo, at(1, day, 10, 35))):
            deal = make_deal(session, owner=rep, id=f"{rep.id}-1-{day}")
            make_meeting(session, deal=deal, start=at(1, day), status=HELD)
            make_meeting(session, deal=deal, start=at(1, day + 3), status=HELD, booked_at=booked)


class ManagerSite:
    """The web app on a store, at NOW; ``signed_in(email)`` gives a signed-in client."""

    def __init__(self, database: Database, smtp: Any = None, **settings: Any) -> None:
        self.clock = FixedClock(NOW)
        self.engine = Engine(
            engine_settings(database, smtp, **settings), database=database, clock=self.clock
        )
        self.app = create_app(self.engine.settings, engine=self.engine)

    def signed_in(self, email: str) -> TestClient:
        client = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        page = client.get("/login")
        answer = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        assert answer.status_code == 303, answer.text
        return client
