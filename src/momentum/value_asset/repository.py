from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentum.meeting.models import Meeting
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.value_asset.models import ValueAsset, ValueAssetVersion


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

    def lock(self, asset_id: int) -> ValueAsset | None:
        """The asset, row-locked on PostgreSQL, so two edits number their versions in turn."""
        return self.session.scalars(
            select(ValueAsset)
            .where(ValueAsset.id == asset_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()

    def add_version(self, version: ValueAssetVersion) -> ValueAssetVersion:
        self.session.add(version)
        self.session.flush()
        return version

    def version(self, version_id: int) -> ValueAssetVersion | None:
        return self.session.get(ValueAssetVersion, version_id)

    def versions(self, asset_id: int) -> list[ValueAssetVersion]:
        """Every version of an asset, newest first."""
        return list(
            self.session.scalars(
                select(ValueAssetVersion)
                .where(ValueAssetVersion.asset_id == asset_id)
                .order_by(ValueAssetVersion.number.desc())
            )
        )

    def latest_version(self, asset_id: int) -> ValueAssetVersion | None:
        return self.session.scalars(
            select(ValueAssetVersion)
            .where(ValueAssetVersion.asset_id == asset_id)
            .order_by(ValueAssetVersion.number.desc())
            .limit(1)
        ).first()

    def reminders_per_version(self, asset_id: int) -> dict[int, int]:
        """Value reminders that recorded each version of the asset, by version id."""
        query = (
            select(Reminder.value_asset_version_id, func.count())
            .join(ValueAssetVersion, ValueAssetVersion.id == Reminder.value_asset_version_id)
            .where(ValueAssetVersion.asset_id == asset_id, Reminder.kind == ReminderKind.VALUE)
            .group_by(Reminder.value_asset_version_id)
        )
        return {
            version_id: int(count)
            for version_id, count in self.session.execute(query)
            if version_id is not None
        }

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
