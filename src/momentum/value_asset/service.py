from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.value_asset.models import ValueAsset
from momentum.value_asset.repository import ValueAssetRepository
from momentum.value_asset.schemas import NewValueAsset


class ValueAssetService:
    """The library of insights, articles and data points sent ahead of meeting two."""

    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.assets = ValueAssetRepository(session)

    def add(self, actor: Actor, new: NewValueAsset) -> ValueAsset:
        """Managers and administrators keep the library."""
        _require_library_keeper(actor)
        return self.assets.add(
            ValueAsset(
                title=new.title,
                kind=new.kind,
                summary=new.summary,
                url=new.url,
                tags=",".join(tag.strip() for tag in new.tags if tag.strip()) or None,
                active=True,
                created_at=self.clock.now(),
            )
        )

    def library(self) -> list[ValueAsset]:
        return self.assets.active()

    def retire(self, actor: Actor, asset_id: int) -> ValueAsset:
        _require_library_keeper(actor)
        asset = self.assets.get(asset_id)
        if asset is None:
            raise NotFound(f"no value asset {asset_id}")
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
