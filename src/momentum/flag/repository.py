from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, distinct, func, or_, select, update
from sqlalchemy.orm import Session

from momentum.db.bulk import update_rows
from momentum.db.rows import among, plain_rows_in
from momentum.db.upsert import insert_unless_open
from momentum.deal.models import Deal
from momentum.flag.models import OPEN_FLAG, Flag, Severity

# A flag to raise: (deal, rule, reason, severity), the columns of RAISED.
RaisedFlag = tuple[str, str, str, Severity]
RAISED = ("deal_id", "rule", "reason", "severity")
# The same with since when its condition holds (None: the rule did not say).
DatedFlag = tuple[str, str, str, Severity, datetime | None]


class FlagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_flags(self, deal_ids: Sequence[str] | None) -> list[tuple[str, str, int, str, bool]]:
        """(deal, rule, flag id, reason, whether it lacks ``condition_since``) of every
        uncleared flag, on ``deal_ids`` or all."""
        query = select(
            Flag.deal_id, Flag.rule, Flag.id, Flag.reason, Flag.condition_since.is_(None)
        ).where(Flag.cleared_at.is_(None))
        return [
            (deal_id, rule, flag_id, reason, bool(undated))
            for deal_id, rule, flag_id, reason, undated in plain_rows_in(
                self.session, query, Flag.deal_id, deal_ids
            )
        ]

    def insert_many(self, rows: Sequence[RaisedFlag], *, raised_at: datetime) -> None:
        """Raise flags whose condition's start is not known (see :meth:`raise_many`)."""
        self.raise_many([(*row, None) for row in rows], raised_at=raised_at)

    def raise_many(self, rows: Sequence[DatedFlag], *, raised_at: datetime) -> int:
        """Raise flags (no ORM bookkeeping), all at ``raised_at``, each with since when its
        condition holds (never after ``raised_at``). One already open for the same deal and
        rule, raised meanwhile by a concurrent evaluation, is left as it is. Returns how many
        were raised."""
        return insert_unless_open(
            self.session,
            Flag.__table__,  # type: ignore[arg-type]
            (*RAISED, "condition_since", "raised_at"),
            [
                (*row[:4], None if row[4] is None else min(row[4], raised_at), raised_at)
                for row in rows
            ],
            open_when=OPEN_FLAG,
        )

    def set_condition_since(self, dates: Sequence[tuple[int, datetime]]) -> None:
        """Since when the condition of open flags raised without it holds, by flag id (the
        flags raised before it was recorded, once their rule fires again)."""
        update_rows(self.session, Flag.__table__, "id", ["condition_since"], dates)  # type: ignore[arg-type]

    def open_ids(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The uncleared flag's id for each (deal, rule)."""
        deal_ids = sorted({deal_id for deal_id, _ in keys})
        return {
            (deal_id, rule): flag_id
            for deal_id, rule, flag_id, _, _ in self.open_flags(deal_ids)
            if (deal_id, rule) in keys
        }

    def clear_many(self, ids: Sequence[int], *, now: datetime) -> None:
        query = update(Flag).values(cleared_at=now).execution_options(synchronize_session=False)
        for condition in among(self.session, Flag.id, ids):
            self.session.execute(query.where(condition))

    def set_reasons(self, changes: Sequence[tuple[int, str]]) -> None:
        """New reasons by flag id: a day's sweep restates every "no activity for N days"."""
        update_rows(self.session, Flag.__table__, "id", ["reason"], changes)  # type: ignore[arg-type]

    def open_with_deals(self, owners: Collection[str] | None) -> list[tuple[Flag, Deal]]:
        query = (
            select(Flag, Deal)
            .join(Deal, Deal.id == Flag.deal_id)
            .where(Flag.cleared_at.is_(None))
            .order_by(Deal.owner_id, Deal.id, Flag.raised_at)
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(list(owners)))
        return [(flag, deal) for flag, deal in self.session.execute(query).all()]

    def open_counts(self, owners: Collection[str] | None) -> tuple[int, dict[str, int]]:
        """How many deals have an uncleared flag, and how many per rule (a deal has at most
        one uncleared flag per rule): counted in the database, not row by row."""
        deals = select(func.count(distinct(Flag.deal_id))).where(Flag.cleared_at.is_(None))
        rules = select(Flag.rule, func.count()).where(Flag.cleared_at.is_(None)).group_by(Flag.rule)
        if owners is not None:
            mine = Flag.deal_id.in_(select(Deal.id).where(Deal.owner_id.in_(list(owners))))
            deals, rules = deals.where(mine), rules.where(mine)
        per_rule: dict[str, int] = dict(self.session.execute(rules).all())
        return self.session.execute(deals).scalar_one(), per_rule

    def is_open(self, flag_id: int) -> bool:
        return (
            self.session.execute(
                select(Flag.id).where(Flag.id == flag_id, Flag.cleared_at.is_(None))
            ).first()
            is not None
        )

    def open_for_deals(self, deal_ids: Sequence[str]) -> list[Flag]:
        """The uncleared flags of ``deal_ids``, in the order they were raised."""
        if not deal_ids:
            return []
        return list(
            self.session.scalars(
                select(Flag)
                .where(Flag.deal_id.in_(list(deal_ids)), Flag.cleared_at.is_(None))
                .order_by(Flag.deal_id, Flag.raised_at, Flag.id)
            )
        )

    def page(
        self,
        owners: Collection[str] | None,
        *,
        rule: str | None,
        deal_id: str | None,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> list[tuple[Flag, Deal]]:
        """Open flags with their deals, newest first (then by id)."""
        query = (
            select(Flag, Deal).join(Deal, Deal.id == Flag.deal_id).where(Flag.cleared_at.is_(None))
        )
        if owners is not None:
            query = query.where(Deal.owner_id.in_(sorted(owners)))
        if rule is not None:
            query = query.where(Flag.rule == rule)
        if deal_id is not None:
            query = query.where(Flag.deal_id == deal_id)
        if after is not None:
            raised, last_id = after
            query = query.where(
                or_(Flag.raised_at < raised, and_(Flag.raised_at == raised, Flag.id > last_id))
            )
        query = query.order_by(Flag.raised_at.desc(), Flag.id).limit(limit)
        return [(flag, deal) for flag, deal in self.session.execute(query).all()]
