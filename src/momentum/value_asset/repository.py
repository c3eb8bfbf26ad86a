from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.meeting.models import Meeting
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.value_asset.models import ValueAsset


class ValueAssetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, asset_id: int) -> ValueAsset | None:
        return self.session.get(ValueAsset, asset_id)

    def active(self) -> list[ValueAsset]:
        return list(
            self.session.scalars(
                select(ValueAsset).where(ValueAsset.active.is_(True)).order_by(ValueAsset.id)
            )
        )

    def add(self, asset: ValueAsset) -> ValueAsset:
        self.session.add(asset)
        self.session.flush()
        return asset

    def sent_to_deal(self, deal_id: str) -> set[int]:
        """Assets a value reminder on this deal already carried to the buyer."""
        return {
            asset_id
            for asset_id in self.session.scalars(
                select(Reminder.value_asset_id)
                .join(Meeting, Meeting.id == Reminder.meeting_id)
                .where(
                    Meeting.deal_id == deal_id,
                    Reminder.kind == ReminderKind.VALUE,
                    Reminder.status == ReminderStatus.SENT,
                )
            )
            if asset_id is not None
        }
