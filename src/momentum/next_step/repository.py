from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from momentum.next_step.models import NextStep, NextStepStatus


class NextStepRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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

    def close_for_task(self, task_id: int, *, status: NextStepStatus, now: datetime) -> None:
        """Close the open next step that is the task ``task_id`` (done with it, or not)."""
        self.session.execute(
            update(NextStep)
            .where(NextStep.task_id == task_id, NextStep.status == NextStepStatus.OPEN)
            .values(status=status, closed_at=now)
            .execution_options(synchronize_session="fetch")
        )
