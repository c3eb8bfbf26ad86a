from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.value_asset.models import ValueAsset, ValueAssetVersion
from momentum.value_asset.repository import ValueAssetRepository
from momentum.value_asset.schemas import NewValueAsset, ValueAssetVersionView


def _tags(new: NewValueAsset) -> str | None:
    return ",".join(tag.strip() for tag in new.tags if tag.strip()) or None


class ValueAssetService:
    """The library of insights, articles and data points sent ahead of meeting two. Like the
    playbook, no edit is lost: each adds a version, and reminders and bookings record the
    version they used."""

    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.assets = ValueAssetRepository(session)

    def add(self, actor: Actor, new: NewValueAsset) -> ValueAsset:
        """Managers and administrators keep the library. The asset's version 1 is written
        with it."""
        _require_library_keeper(actor)
        now = self.clock.now()
        asset = self.assets.add(
            ValueAsset(
                title=new.title,
                kind=new.kind,
                summary=new.summary,
                url=new.url,
                tags=_tags(new),
                active=True,
                created_at=now,
            )
        )
        self._add_version(asset, number=1, author_user_id=actor.user_id)
        return asset

    def edit(self, actor: Actor, asset_id: int, new: NewValueAsset) -> ValueAsset:
        """A new version of the asset; the previous ones stay as they were, for the reminders
        that carried them. An edit that changes nothing adds no version."""
        _require_library_keeper(actor)
        asset = self.assets.lock(asset_id)
        latest = self.assets.latest_version(asset_id) if asset else None
        if asset is None or latest is None:
            raise NotFound(f"no value asset {asset_id}")
        if not asset.active:
            raise Conflict(f"value asset {asset_id} ({asset.title}) is retired")
        text = (new.title, new.kind, new.summary, new.url, _tags(new))
        if text == (latest.title, latest.kind, latest.summary, latest.url, latest.tags):
            return asset
        asset.title, asset.kind, asset.summary, asset.url, asset.tags = text
        self._add_version(asset, number=latest.number + 1, author_user_id=actor.user_id)
        return asset

    def _add_version(
        self, asset: ValueAsset, *, number: int, author_user_id: int | None
    ) -> ValueAssetVersion:
        return self.assets.add_version(
            ValueAssetVersion(
                asset_id=asset.id,
                number=number,
                title=asset.title,
                kind=asset.kind,
                summary=asset.summary,
                url=asset.url,
                tags=asset.tags,
                author_user_id=author_user_id,
                created_at=self.clock.now(),
            )
        )

    def get(self, asset_id: int) -> ValueAsset:
        asset = self.assets.get(asset_id)
        if asset is None:
            raise NotFound(f"no value asset {asset_id}")
        return asset

    def current_version(self, asset_id: int) -> ValueAssetVersion | None:
        """The version a reminder or booking made now records (``None`` for an asset
        without versions, which only a store edited by hand has)."""
        return self.assets.latest_version(asset_id)

    def history(self, asset_id: int) -> list[ValueAssetVersionView]:
        """Every version of an asset, newest first, with the value reminders that carried
        each: what an experiment on the library compares."""
        self.get(asset_id)
        reminders = self.assets.reminders_per_version(asset_id)
        return [
            ValueAssetVersionView(
                version_id=v.id,
                version=v.number,
                title=v.title,
                kind=v.kind,
                summary=v.summary,
                url=v.url,
                tags=v.tags,
                author_user_id=v.author_user_id,
                created_at=v.created_at,
                reminders=reminders.get(v.id, 0),
            )
            for v in self.assets.versions(asset_id)
        ]

    def library(self) -> list[ValueAsset]:
        return self.assets.active()

    def retire(self, actor: Actor, asset_id: int) -> ValueAsset:
        _require_library_keeper(actor)
        asset = self.get(asset_id)
        asset.active = False
        self.session.flush()
        return asset

    def choose(self, *, deal_id: str, asked: int | None) -> ValueAsset | None:
        """The asset a value reminder carries: the one asked for (it must be active), else the
        library's first active asset this deal's buyer has not been sent yet, else the first
        active one; ``None`` when the library is empty."""
        if asked is not None:
            asset = self.assets.get(asked)
            if asset is None:
                raise NotFound(f"no value asset {asked}")
            if not asset.active:
                raise Conflict(f"value asset {asked} ({asset.title}) is retired")
            return asset
        library = self.assets.active()
        if not library:
            return None
        used = self.assets.sent_to_deal(deal_id)
        fresh = [asset for asset in library if asset.id not in used]
        return (fresh or library)[0]


def _require_library_keeper(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("only managers and administrators change the value-asset library")
