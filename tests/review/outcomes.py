"""Deals whose meeting-two outcome the audit calls pending for the reasons a second count of
its own missed (the dashboard's weeks once disagreed with ``momentum audit --json``): added to
:func:`tests.review.team.make_team`'s store, whose "now" is Wednesday 11 March 2026, 09:00 UTC.

- ``OLD`` (Ana, 2026-W03): meeting one in January, meeting two still scheduled after now;
- ``KAI-1`` (Kai, Tokyo, Japan; 2026-W08): meeting one on 18 February, 15 business days before
  now but for Japan's holiday of 23 February: 14 in Kai's calendar;
- ``LEI-1`` (Lei, Honolulu; 2026-W08): meeting one on 18 February; now is still 10 March in
  Honolulu, 14 business days later.

With the team's own (D5 in W09; D2, D3, B1 and C1 in W10), the audit of the whole store counts
W03: 1, W08: 2, W09: 1 and W10: 4 pending.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.demo.generator import generate
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from momentum.meeting.models import MeetingStatus
from momentum.rep.models import Rep
from tests.factories import make_deal, make_meeting, make_rep
from tests.review.team import HELD, NOW, at

PENDING_BY_WEEK = {"2026-W03": 1, "2026-W08": 2, "2026-W09": 1, "2026-W10": 4}


def add_pending_in_other_weeks(session: Session) -> None:
    owner = session.get(Rep, "ana")
    assert owner is not None
    old = make_deal(session, owner=owner, id="OLD", account="Old Ltd")
    make_meeting(session, deal=old, start=at(1, 12), status=HELD, booked_at=at(1, 5))
    make_meeting(
        session, deal=old, start=at(3, 20), status=MeetingStatus.SCHEDULED, booked_at=at(1, 12, 11)
    )
    for rep_id, zone, country, first in (
        ("kai", "Asia/Tokyo", "JP", datetime(2026, 2, 18, 1, 0, tzinfo=UTC)),  # 10:00 in Tokyo
        ("lei", "Pacific/Honolulu", None, datetime(2026, 2, 18, 20, 0, tzinfo=UTC)),  # 10:00
    ):
        rep = make_rep(session, id=rep_id, manager_id="maya", timezone=zone, country=country)
        rep.team = "north"
        deal = make_deal(session, owner=rep, id=f"{rep_id.upper()}-1")
        make_meeting(session, deal=deal, start=first, status=HELD, booked_at=at(2, 10))
    session.flush()


def import_demo(database: Database, folder: Path, *, deals: int = 300) -> None:
    """The demo team's deals up to now (seed 7) in the store, beside the team's: enough for
    findings the audit establishes and findings it does not."""
    generate(folder, deals=deals, seed=7, as_of=NOW.date())
    import_files(
        database, [folder], format="momentum", options=ReadOptions(), clock=FixedClock(NOW)
    )
