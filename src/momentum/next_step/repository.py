from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from momentum.next_step.models import NextStep, NextStepStatus


class NextStepRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, step_id: int) -> NextStep | None:
        return self.session.get(NextStep, step_id)

    def add(self, step: NextStep) -> NextStep:
        self.session.add(step)
        self.session.flush()
        return step

    def open_for_deal(self, deal_id: str) -> list[NextStep]:
        return list(
            self.session.scalars(
                select(NextStep)
                .where(NextStep.deal_id == deal_id, NextStep.status == NextStepStatus.OPEN)
                .order_by(NextStep.due_at)
            )
        )

    def for_meeting(self, meeting_id: str) -> NextStep | None:
        return self.session.scalars(
            select(NextStep).where(NextStep.meeting_id == meeting_id).order_by(NextStep.id.desc())
        ).first()

    def for_task(self, task_id: int) -> NextStep | None:
        return self.session.scalars(select(NextStep).where(NextStep.task_id == task_id)).first()

    def close_open(
        self, deal_id: str, *, status: NextStepStatus, now: datetime, keep: Sequence[int] = ()
    ) -> None:
        self.session.execute(
            update(NextStep)
            .where(
                NextStep.deal_id == deal_id,
                NextStep.status == NextStepStatus.OPEN,
                NextStep.id.not_in(list(keep)),
            )
            .values(status=status, closed_at=now)
            .execution_options(synchronize_session="fetch")
        )

    def open_deal_ids(self, deal_ids: Sequence[str] | None) -> set[str]:
        query = select(NextStep.deal_id).where(NextStep.status == NextStepStatus.OPEN)
        if deal_ids is None:
            return set(self.session.scalars(query))
        found: set[str] = set()
        for start in range(0, len(deal_ids), 5_000):
            chunk = list(deal_ids[start : start + 5_000])
            found.update(self.session.scalars(query.where(NextStep.deal_id.in_(chunk))))
        return found
