"""The queries an export runs: every row of a table, in id order, a slice at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from momentum.deal.models import Deal, DealStageEntry
from momentum.meeting.models import Meeting
from momentum.rep.models import Rep

REP_COLUMNS = (Rep.id, Rep.name, Rep.email, Rep.team, Rep.manager_id, Rep.timezone, Rep.country)
DEAL_COLUMNS = (
    Deal.id,
    Deal.name,
    Deal.account,
    Deal.owner_id,
    Deal.opened_at,
    Deal.stage,
    Deal.amount,
    Deal.currency,
    Deal.outcome,
    Deal.closed_at,
)
MEETING_COLUMNS = (
    Meeting.id,
    Meeting.deal_id,
    Meeting.start_at,
    Meeting.end_at,
    Meeting.booked_at,
    Meeting.status,
    Meeting.agenda,
    Meeting.homework,
)

# ordered by deal and time (the id breaks ties in the order the entries were imported)
STAGE_COLUMNS = (DealStageEntry.deal_id, DealStageEntry.stage, DealStageEntry.entered_at)
STAGE_ORDER = (DealStageEntry.deal_id, DealStageEntry.entered_at, DealStageEntry.id)


class ExportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(
        self,
        columns: Sequence[InstrumentedAttribute[Any]],
        *,
        order: Sequence[InstrumentedAttribute[Any]] = (),
        batch: int = 5_000,
    ) -> Iterator[Sequence[Any]]:
        """Every row, streamed from the database ``batch`` rows at a time (a server-side
        cursor on PostgreSQL), so memory does not grow with the table; in ``order`` (by
        default the first column, the id)."""
        query = (
            select(*columns).order_by(*(order or columns[:1])).execution_options(yield_per=batch)
        )
        for partition in self.session.execute(query).partitions():
            yield from partition
