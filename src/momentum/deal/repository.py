from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from momentum.db.bulk import update_rows
from momentum.deal.models import Deal, Outcome
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.next_step.models import NextStep, NextStepStatus
from momentum.rep.models import Rep
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

    # --- when the rules next need to look at a deal ----------------------------------------

    def due_for_rules(self, now: datetime) -> list[str]:
        """The deals the rules must look at again: open ones never evaluated, fallen due, or
        changed since (the deal, one of its meetings, or its owner: their ``updated_at`` is
        later than the latest change the rules saw); and deals closed since."""
        seen = Deal.rules_seen_at
        changed_meeting = exists().where(Meeting.deal_id == Deal.id, Meeting.updated_at > seen)
        open_and_due = and_(
            Deal.outcome == Outcome.OPEN,
            or_(
                seen.is_(None),
                Deal.rules_due_at <= now,
                Deal.updated_at > seen,
                Rep.updated_at > seen,
                changed_meeting,
            ),
        )
        closed_since = and_(Deal.outcome != Outcome.OPEN, Deal.updated_at > seen)
        query = (
            select(Deal.id)
            .join(Rep, Rep.id == Deal.owner_id)
            .where(or_(open_and_due, closed_since))
            .order_by(Deal.id)
        )
        return list(self.session.scalars(query))

    def set_rules_due(self, rows: Sequence[tuple[str, datetime | None, datetime]]) -> None:
        """(deal, when its rules are next due or ``None``, the latest change they saw) for
        each open deal just evaluated."""
        update_rows(
            self.session,
            Deal.__table__,  # type: ignore[arg-type]
            "id",
            ["rules_due_at", "rules_seen_at"],
            rows,
        )

    def settle_closed(self, deal_ids: Sequence[str] | None) -> None:
        """The closed deals among ``deal_ids`` (or all) that closed since the rules last saw
        them: seen, and never due again while closed."""
        query = (
            update(Deal)
            .where(Deal.outcome != Outcome.OPEN, Deal.updated_at > Deal.rules_seen_at)
            .values(rules_due_at=None, rules_seen_at=Deal.updated_at)
            .execution_options(synchronize_session=False)
        )
        if deal_ids is None:
            self.session.execute(query)
            return
        for start in range(0, len(deal_ids), _CHUNK):
            chunk = list(deal_ids[start : start + _CHUNK])
            self.session.execute(query.where(Deal.id.in_(chunk)))
