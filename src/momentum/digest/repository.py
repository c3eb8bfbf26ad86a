"""Every query of the digest: its recipients, the week's leading indicators the review does
not count, and the one row per manager and week."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from momentum.deal.models import Deal, Outcome
from momentum.digest.models import ManagerDigest
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.task.models import Task, TaskStatus
from momentum.user.models import Role, User

NO_SHOW_RULE = "no_show"  # the built-in rule whose task is "rebook the no-show"


class DigestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def managers(self) -> list[User]:
        """Active managers linked to a rep (their scope), by id."""
        return list(
            self.session.scalars(
                select(User)
                .where(User.role == Role.MANAGER, User.active.is_(True), User.rep_id.is_not(None))
                .order_by(User.id)
            )
        )

    def record(self, *, user_id: int, week: str, figures: dict[str, Any], now: datetime) -> bool:
        """Write the digest of ``week`` for ``user_id`` unless one is there; whether this call
        wrote it. A concurrent writer of the same row waits for the other's commit, then
        writes nothing."""
        values = {"user_id": user_id, "week": week, "figures": figures, "created_at": now}
        insert: Any = (
            postgresql.insert(ManagerDigest)
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(ManagerDigest)
        )
        statement = insert.values(**values).on_conflict_do_nothing(
            index_elements=["user_id", "week"]
        )
        return self.session.execute(statement.returning(ManagerDigest.id)).first() is not None

    def recorded(self, user_id: int, week: str) -> ManagerDigest | None:
        return self.session.scalars(
            select(ManagerDigest).where(
                ManagerDigest.user_id == user_id, ManagerDigest.week == week
            )
        ).first()

    def second_meetings_unprepared(
        self, owner_ids: Collection[str] | None, *, since: datetime, until: datetime
    ) -> list[tuple[str, str, datetime, bool, bool]]:
        """Scheduled second meetings (exactly one held meeting on the deal before them)
        starting in [since, until) on open deals: (deal, owner, start, has agenda, has
        homework) of those missing either."""
        earlier = aliased(Meeting)
        held_before = (
            select(func.count())
            .where(
                earlier.deal_id == Meeting.deal_id,
                earlier.status == MeetingStatus.HELD,
                earlier.start_at < Meeting.start_at,
            )
            .correlate(Meeting)
            .scalar_subquery()
        )
        query = (
            select(
                Meeting.deal_id,
                Deal.owner_id,
                Meeting.start_at,
                Meeting.agenda.is_not(None),
                Meeting.homework.is_not(None),
            )
            .join(Deal, Deal.id == Meeting.deal_id)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.start_at >= since,
                Meeting.start_at < until,
                Deal.outcome == Outcome.OPEN,
                (Meeting.agenda.is_(None)) | (Meeting.homework.is_(None)),
                held_before == 1,
            )
            .order_by(Meeting.start_at, Meeting.id)
        )
        if owner_ids is not None:
            query = query.where(Deal.owner_id.in_(sorted(owner_ids)))
        return [
            (deal, owner, start, bool(agenda), bool(homework))
            for deal, owner, start, agenda, homework in self.session.execute(query)
        ]

    def no_shows_to_rebook(self, owner_ids: Collection[str] | None) -> int:
        query = select(func.count()).where(
            and_(Task.rule == NO_SHOW_RULE, Task.status == TaskStatus.OPEN)
        )
        if owner_ids is not None:
            query = query.where(Task.owner_id.in_(sorted(owner_ids)))
        return int(self.session.execute(query).scalar_one())
