from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from momentum.deal.models import Deal, Outcome
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.next_step.models import NextStep, NextStepStatus
from momentum.task.models import Task, TaskStatus

_CHUNK = 5_000  # ids per IN (...) list; well under every database's parameter limit


class DealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, deal_id: str) -> Deal | None:
        return self.session.get(Deal, deal_id)

    def owners_frame(self, deal_ids: Sequence[str]) -> pl.DataFrame:
        rows: list[tuple[str, str]] = []
        for start in range(0, len(deal_ids), _CHUNK):
            chunk = deal_ids[start : start + _CHUNK]
            rows.extend(
                self.session.execute(select(Deal.id, Deal.owner_id).where(Deal.id.in_(chunk))).all()
            )
        return pl.DataFrame(
            rows, schema={"deal_id": pl.String, "owner_id": pl.String}, orient="row"
        )

    def lock(self, deal_id: str) -> Deal | None:
        return self.session.scalars(
            select(Deal)
            .where(Deal.id == deal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def open_without_next_step(
        self, owners: Collection[str] | None, *, now: datetime
    ) -> list[Deal]:
        """Open deals with no future meeting, no open next step and no open task a person set."""
        future_meeting = exists().where(
            Meeting.deal_id == Deal.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.start_at > now,
        )
        open_step = exists().where(
            NextStep.deal_id == Deal.id, NextStep.status == NextStepStatus.OPEN
        )
        manual_task = exists().where(
            Task.deal_id == Deal.id, Task.status == TaskStatus.OPEN, Task.rule.is_(None)
        )
        query = (
            select(Deal)
            .where(Deal.outcome == Outcome.OPEN, ~future_meeting, ~open_step, ~manual_task)
            .order_by(Deal.owner_id, Deal.id)
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(list(owners)))
        return list(self.session.scalars(query))

    def of_meetings(self, meeting_ids: Sequence[str]) -> list[Deal]:
        found: list[Deal] = []
        for start in range(0, len(meeting_ids), _CHUNK):
            chunk = list(meeting_ids[start : start + _CHUNK])
            found.extend(
                self.session.scalars(
                    select(Deal)
                    .join(Meeting, Meeting.deal_id == Deal.id)
                    .where(Meeting.id.in_(chunk))
                ).unique()
            )
        return found
