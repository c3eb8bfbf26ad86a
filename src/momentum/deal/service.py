"""Deals as a rep or manager sees them: which lack a next step, which are at risk and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.repository import DealRepository
from momentum.deal.schemas import DealAtRisk, DealSummary, RiskReason
from momentum.flag.repository import FlagRepository
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService


class DealService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.deals = DealRepository(session)
        self.scope = ScopeService(session)

    def without_next_step(self, actor: Actor) -> list[DealSummary]:
        """Open deals with no future meeting and no open next step or task set by a person."""
        owners = self.scope.visible_owner_ids(actor)
        return [
            DealSummary.model_validate(deal)
            for deal in self.deals.open_without_next_step(owners, now=self.clock.now())
        ]

    def at_risk(self, actor: Actor) -> list[DealAtRisk]:
        """Deals with at least one uncleared flag, each with the rules' plain reasons."""
        owners = self.scope.visible_owner_ids(actor)
        found: dict[str, DealAtRisk] = {}
        for flag, deal in FlagRepository(self.session).open_with_deals(owners):
            entry = found.setdefault(
                deal.id, DealAtRisk(deal=DealSummary.model_validate(deal), reasons=[])
            )
            entry.reasons.append(
                RiskReason(
                    rule=flag.rule,
                    reason=flag.reason,
                    severity=flag.severity,
                    raised_at=flag.raised_at,
                )
            )
        return list(found.values())
