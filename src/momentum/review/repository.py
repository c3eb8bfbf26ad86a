"""Every query of the weekly review: commitments, and the tasks that went overdue."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from momentum.deal.models import Deal, Outcome
from momentum.review.models import ReviewCommitment
from momentum.task.models import Task


class CommitmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, commitment_id: int) -> ReviewCommitment | None:
        return self.session.get(ReviewCommitment, commitment_id)

    def add(self, commitment: ReviewCommitment) -> ReviewCommitment:
        self.session.add(commitment)
        self.session.flush()
        return commitment

    def delete(self, commitment: ReviewCommitment) -> None:
        self.session.delete(commitment)
        self.session.flush()

    def for_weeks(
        self, rep_ids: Collection[str] | None, weeks: Collection[str]
    ) -> list[ReviewCommitment]:
        query = (
            select(ReviewCommitment)
            .where(ReviewCommitment.week.in_(list(weeks)))
            .order_by(ReviewCommitment.rep_id, ReviewCommitment.id)
        )
        if rep_ids is not None:
            query = query.where(ReviewCommitment.rep_id.in_(sorted(rep_ids)))
        return list(self.session.scalars(query))


def overdue_tasks(
    session: Session, owner_ids: Collection[str] | None, *, since: datetime, until: datetime
) -> list[tuple[str, str, datetime, datetime | None, datetime | None]]:
    """(owner, deal, overdue from, task closed, deal closed) of the deals' tasks that were
    overdue at some moment of [since, until). A task is overdue from its due time, or from
    its creation when it was created past due (before then it did not exist, so it slipped
    nothing: a rule's first sweep must not rewrite past weeks); until it is done or the deal
    closes. Next steps that are tasks are these tasks."""
    overdue_from = case((Task.created_at > Task.due_at, Task.created_at), else_=Task.due_at)
    query = (
        select(Task.owner_id, Task.deal_id, overdue_from, Task.closed_at, Deal.closed_at)
        .join(Deal, Deal.id == Task.deal_id)
        .where(
            overdue_from < until,
            or_(
                Task.closed_at.is_(None),
                and_(Task.closed_at > overdue_from, Task.closed_at > since),
            ),
            or_(
                Deal.outcome == Outcome.OPEN,
                and_(
                    Deal.closed_at.is_not(None),
                    Deal.closed_at > overdue_from,
                    Deal.closed_at > since,
                ),
            ),
        )
    )
    if owner_ids is not None:
        query = query.where(Task.owner_id.in_(sorted(owner_ids)))
    return [
        (owner, deal or "", due, done, closed)
        for owner, deal, due, done, closed in session.execute(query)
    ]
