"""Keyword-only factories for store rows. Sensible defaults; tests name what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from momentum.db.models import Deal, Meeting, MeetingStatus, Outcome, Rep

_ids = itertools.count(1)
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def make_rep(
    session: Session,
    *,
    id: str | None = None,
    timezone: str = "UTC",
    country: str | None = None,
    manager_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
) -> Rep:
    rep = Rep(
        id=id or f"rep{next(_ids)}",
        name=name,
        email=email,
        team=None,
        manager_id=manager_id,
        timezone=timezone,
        country=country,
        created_at=T0,
        updated_at=T0,
    )
    session.add(rep)
    session.flush()
    return rep


def make_deal(
    session: Session,
    *,
    owner: Rep,
    id: str | None = None,
    outcome: Outcome = Outcome.OPEN,
    closed_at: datetime | None = None,
    account: str | None = None,
    name: str | None = None,
) -> Deal:
    deal = Deal(
        id=id or f"deal{next(_ids)}",
        name=name,
        account=account,
        owner_id=owner.id,
        opened_at=T0,
        stage=None,
        amount=None,
        currency=None,
        outcome=outcome,
        closed_at=closed_at,
        created_at=T0,
        updated_at=T0,
    )
    session.add(deal)
    session.flush()
    return deal


def make_meeting(
    session: Session,
    *,
    deal: Deal,
    start: datetime,
    id: str | None = None,
    minutes: int = 30,
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    booked_at: datetime | None = None,
    agenda: str | None = None,
    homework: str | None = None,
    updated_at: datetime = T0,
) -> Meeting:
    meeting = Meeting(
        id=id or f"mtg{next(_ids)}",
        deal_id=deal.id,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        booked_at=booked_at,
        status=status,
        status_changed_at=T0,
        agenda=agenda,
        homework=homework,
        created_at=T0,
        updated_at=updated_at,
    )
    session.add(meeting)
    session.flush()
    return meeting
